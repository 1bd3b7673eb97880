package io.ecapture.kafka.collector.probe.gotls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ecapture.kafka.bpf.BpfObjects;
import io.ecapture.kafka.collector.BpfLayout;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.decode.EventLayout;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gotls.bpf.o's structs, as its BTF records them, against what the Java side writes and reads. */
class GoTlsLayoutTest {
  @TempDir Path dir;

  @Test
  void goOffsetsMatchWhatTheModuleWrites() throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    BpfLayout.Struct offsets = BpfLayout.struct(dir, BpfObjects.GOTLS.extract(dir), "go_offsets");
    assertEquals(GoTlsModule.OFFSETS_SIZE, offsets.size());
    assertEquals(Map.of("supported", GoTlsModule.OFF_SUPPORTED, "conn_conn_data", GoTlsModule.OFF_CONN_CONN_DATA,
        "conn_is_client", GoTlsModule.OFF_CONN_IS_CLIENT, "tcpconn_fd", GoTlsModule.OFF_TCPCONN_FD,
        "netfd_sysfd", GoTlsModule.OFF_NETFD_SYSFD, "conn_vers", GoTlsModule.OFF_CONN_VERS), offsets.offsets());
  }

  @Test
  void goKeyLogAndTheSharedEventHeader() throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    Path object = BpfObjects.GOTLS.extract(dir);
    BpfLayout.Struct keylog = BpfLayout.struct(dir, object, "go_keylog");
    assertEquals(144, keylog.size());
    assertEquals(Map.of("label_len", 0, "random_len", 4, "secret_len", 8, "pad", 12, "label", 16, "random", 48,
        "secret", 80), keylog.offsets());
    // the records it writes into tlscapture's ring are tlscapture.h's tls_event
    assertEquals(EventLayout.HEADER_SIZE, BpfLayout.struct(dir, object, "tls_event").size());
  }
}
