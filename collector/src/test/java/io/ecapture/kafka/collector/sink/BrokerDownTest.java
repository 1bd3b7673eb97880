package io.ecapture.kafka.collector.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.ExternalCommand;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.control.CollectorStats;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spool disabled and no broker at the bootstrap address: sends fail and are counted; capture goes on. */
class BrokerDownTest {
  @TempDir Path dir;

  @Test
  void sendFailuresAreCountedAndCaptureContinues() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("curl");
    int deadPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      deadPort = socket.getLocalPort(); // closed again: nothing listens there
    }
    CollectorConfig config =
        CollectorConfig.builder().bootstrapServers("127.0.0.1:" + deadPort)
            .hostId("down-host")
            .statusPort(CollectorConfig.STATUS_DISABLED)
            .statsInterval(Duration.ofMillis(200))
            .spool(SpoolConfig.builder().enabled(false).build())
            .producerOverrides(
                Map.of("max.block.ms", "300", "request.timeout.ms", "300", "delivery.timeout.ms", "600")).build();
    CollectorStats.Snapshot stats;
    long started = System.nanoTime();
    try (TlsTestServer server = TlsTestServer.start(dir, false);
        Collector collector = Collector.start(config)) {
      for (int i = 0; i < 2; i++) {
        ExternalCommand.run(dir, List.of("curl", "-sk", "https://127.0.0.1:" + server.port() + "/"));
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (collector.stats().sendErrors() < 8 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      stats = collector.stats();
    }
    assertTrue(stats.captured() >= 8, "both curls captured: " + stats.summary());
    assertEquals(0, stats.sent(), stats.summary());
    assertTrue(stats.sendErrors() >= 8, "every event counted as failed: " + stats.summary());
    assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 60, "shutdown is bounded");
  }
}
