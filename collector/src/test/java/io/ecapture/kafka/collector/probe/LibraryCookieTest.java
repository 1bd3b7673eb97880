package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several libssl files are probed; each event names the file whose function was called. */
class LibraryCookieTest {
  @TempDir Path dir;

  @Test
  void eventsNameTheLibsslFileTheProcessActuallyUses() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("curl");
    List<Path> system = LibSslLocator.locate();
    Path systemLib = system.getFirst();
    // a copy nobody loads comes first, so the system library gets bpf_cookie 1
    Path unused = Files.copy(systemLib, dir.resolve("libssl.so.3"));
    CollectorConfig config =
        CollectorConfig.builder()
            .hostId("cookie-host")
            .libsslPaths(List.of(unused, systemLib))
            .statusPort(CollectorConfig.STATUS_DISABLED).build();
    RecordingSink sink = new RecordingSink();
    try (TlsTestServer server = TlsTestServer.start(dir, false);
        Collector collector = Collector.start(config, stats -> sink)) {
      Process curl = new ProcessBuilder("curl", "-sk", "https://127.0.0.1:" + server.port() + "/").start();
      long pid = curl.pid();
      curl.getInputStream().readAllBytes();
      curl.waitFor();
      List<RawEvent> data =
          sink.awaitEvents(e -> e.getProcess().getPid() == pid && e.hasData(), Duration.ofSeconds(10));
      assertFalse(data.isEmpty());
      for (RawEvent event : data) {
        assertEquals("openssl " + systemLib, event.getData().getTlsLibrary());
      }
    }
  }
}
