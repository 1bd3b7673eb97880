package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.bpf.BpfObjects;
import io.ecapture.kafka.collector.BpfLayout;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.control.CaptureFilter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the probe side writes into the kernel must match the packaged BPF object: struct
 * ssl_offsets as clang laid it out, and the filter and library constants of the shared header.
 */
class ProbeLayoutTest {
  @Test
  void sslOffsetsMatchTheCompiledObjectsBtf(@TempDir Path dir) throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    Path object = BpfObjects.TLSCAPTURE.extract(dir);
    BpfLayout.Struct offsets = BpfLayout.struct(dir, object, "ssl_offsets");
    // TlsProbes writes `supported` and then OpenSslOffsets.asArray(), one u32 each, in order
    assertEquals(4 * (1 + OpenSslOffsets.FIELDS), offsets.size(), "sizeof(struct ssl_offsets)");
    assertEquals(OpenSslOffsets.FIELDS, OpenSslOffsets.OPENSSL_3_0_17.asArray().length);
    List<String> names = List.copyOf(offsets.offsets().keySet());
    assertEquals(List.of("supported", "ssl_version"), names.subList(0, 2));
    assertEquals(List.of("ssl_s3", "ssl_hit", "ssl_in_init", "ssl_type"), names.subList(names.size() - 4, names.size()));
  }

  @Test
  void headerConstantsMatchTheSharedHeader() throws Exception {
    String header = BpfLayout.sharedHeader();
    assertTrue(header.contains("#define SSL_S3_EMBEDDED 0xffffffffU"), "SSL_S3_EMBEDDED");
    assertEquals(0xffffffff, OpenSslOffsets.S3_EMBEDDED);
    assertTrue(header.contains("#define SSL_NO_TYPE 0xffffffffU"), "SSL_NO_TYPE");
    assertEquals(0xffffffff, OpenSslOffsets.NO_TYPE);
    assertTrue(header.contains("FILTER_BY_PID = " + ProcessFilterMaps.FILTER_BY_PID + ","), "FILTER_BY_PID");
    assertTrue(header.contains("FILTER_BY_UID = " + ProcessFilterMaps.FILTER_BY_UID + ","), "FILTER_BY_UID");
    assertTrue(header.contains("FILTER_BY_COMM = " + ProcessFilterMaps.FILTER_BY_COMM + ","), "FILTER_BY_COMM");
    assertTrue(header.contains("FILTER_BY_CGROUP = " + ProcessFilterMaps.FILTER_BY_CGROUP + ","), "FILTER_BY_CGROUP");
    assertTrue(header.contains("#define MAX_CGROUP_LEVELS " + ProcessFilterMaps.MAX_CGROUP_LEVELS + "\n"), "MAX_CGROUP_LEVELS");
    assertTrue(header.contains("#define MAX_LIBRARIES " + TlsProbes.MAX_LIBRARIES + "\n"), "MAX_LIBRARIES");
    assertTrue(header.contains("#define MAX_FILTER_ENTRIES " + CaptureFilter.MAX_ENTRIES + "\n"), "MAX_FILTER_ENTRIES");
  }
}
