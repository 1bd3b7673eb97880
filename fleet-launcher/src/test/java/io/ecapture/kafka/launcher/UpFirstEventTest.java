package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first event after {@code up} starts: the real command on a fresh data directory (its
 * broker new, no internal topic, no group, no transaction yet); as soon as it says it is up, a
 * client attaches and ONE real curl request is made. That request must reach the client, once:
 * nothing of the processor's start (group join, first transaction, coordinators created on first
 * use) may lose or hold it. How fast is measured by {@code bench/pipeline-latency.sh first}, not
 * here. {@code up} also says whether its processor runs yet.
 */
class UpFirstEventTest {
  private static final Duration START = Duration.ofSeconds(180);
  private static final Duration ARRIVAL = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void firstRequestAfterUpSaysItIsUpReachesAClient() throws Exception {
    EbpfEnvironment.requireEbpf();
    int gatewayPort = EmbeddedKafka.freePort();
    String marker = "first-" + UUID.randomUUID();
    try (TlsTestServer server = TlsTestServer.start(dir, false);
        UpProcess up = UpProcess.start("up", dir.resolve("data"), List.of(
            "--kafka-port", Integer.toString(EmbeddedKafka.freePort()),
            "--listen", "127.0.0.1:" + gatewayPort, "--collector-status-port", "-1",
            "--partitions", "2", "--status-interval-s", "5"))) {
      assertTrue(up.awaitUp(START), "up did not start: " + up.stderr());
      up.stdout().lines().filter(l -> l.contains("capture            OFF")).findFirst()
          .ifPresent(EbpfEnvironment::unavailable);
      assertTrue(up.stdout().lines().anyMatch(l -> l.startsWith("  processor          running")
              || l.startsWith("  processor          still starting")),
          "up says whether its processor runs: " + up.stdout());
      try (EcaptureqTestClient client = new EcaptureqTestClient(gatewayPort)) {
        server.curl(marker);
        assertNotNull(client.await(request(marker), ARRIVAL),
            "the first request after up was not shown to a client; up said:\n" + up.stderr());
        Thread.sleep(1_000); // a duplicate would come right behind it
        assertEquals(1, client.received().stream().filter(request(marker)).count(),
            "the first request reached the client more than once");
      }
    }
  }

  private static Predicate<LogEntry> request(String marker) {
    return e -> e.getLogType() == LogType.EVENT && e.getEventPayload().getType() == 1
        && e.getEventPayload().getPayload().toString(StandardCharsets.UTF_8).contains("X-Marker: " + marker);
  }
}
