package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code up}'s embedded broker (a child JVM) killed with SIGKILL under a running fleet with real
 * capture: the death is reported at once (status line, callback), the broker is restarted on the
 * same data with backoff, the collector spools while it is away, and the pipeline resumes by
 * itself. Markers (real curl requests) sent before, during and after the outage all reach an
 * eCaptureQ client exactly once.
 */
class BrokerSupervisionTest {
  private static final Duration ARRIVAL = Duration.ofSeconds(180);
  /** Long enough to curl the "during" markers while the broker is surely down. */
  private static final Duration RESTART_BACKOFF = Duration.ofSeconds(6);

  private final String run = UUID.randomUUID().toString().substring(0, 8);

  @TempDir Path dir;

  @Test
  void aKilledBrokerIsReportedRestartedAndNothingIsLost() throws Exception {
    EbpfEnvironment.requireEbpf();
    FleetConfig config =
        FleetConfig.builder(dir.resolve("data"))
            .embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, 0)
            .partitions(2)
            .gatewayListen("127.0.0.1:0")
            .capture(true).hostId("supervised-" + run).collectorStatusPort(-1)
            .idleFlush(Duration.ofMillis(500))
            .brokerRestartBackoff(RESTART_BACKOFF, Duration.ofSeconds(30))
            .build();
    List<String> changes = new CopyOnWriteArrayList<>();
    try (Fleet fleet = Fleet.start(config, f -> changes.add(f.statusLine()))) {
      if (!fleet.capturing()) {
        EbpfEnvironment.unavailable(fleet.captureError());
      }
      assertTrue(fleet.statusLine().startsWith("broker[up pid=" + fleet.brokerPid()), fleet.statusLine());
      List<String> before = markers("before", 2);
      List<String> during = markers("during", 3);
      List<String> after = markers("after", 2);
      try (EcaptureqTestClient client = new EcaptureqTestClient(fleet.gatewayPort());
          TlsTestServer server = TlsTestServer.start(dir, false)) {
        for (String marker : before) {
          server.curl(marker);
          assertNotNull(client.await(request(marker), ARRIVAL), "before the kill: " + marker);
        }

        long brokerPid = fleet.brokerPid();
        ProcessHandle.of(brokerPid).orElseThrow().destroyForcibly(); // SIGKILL
        // reported at once: the status line and the callback up prints it with
        assertTrue(await(() -> !fleet.brokerUp(), Duration.ofSeconds(10)), "death not noticed");
        String down = fleet.statusLine();
        assertTrue(down.startsWith("broker[DOWN for "), down);
        assertTrue(down.contains("(exit 137)") && down.contains("deaths=1"), down);
        assertTrue(changes.stream().anyMatch(l -> l.startsWith("broker[DOWN")), changes.toString());

        // captured while the broker is away: the collector spools them
        CollectorStats.Snapshot atKill = fleet.collector().stats();
        for (String marker : during) {
          server.curl(marker);
        }
        assertTrue(await(() -> fleet.collector().stats().spooled() >= atKill.spooled() + during.size(),
            Duration.ofSeconds(10)), "the collector did not spool: " + fleet.collector().stats().summary());
        assertTrue(!fleet.brokerUp(), "the broker came back too early for this test: " + fleet.statusLine());
        assertEquals(atKill.sent(), fleet.collector().stats().sent(), "sent with no broker?");

        // restarted on the same data and ports, counted
        assertTrue(await(() -> fleet.brokerRestarts() == 1, Duration.ofSeconds(120)),
            "not restarted: " + fleet.statusLine());
        assertNotEquals(brokerPid, fleet.brokerPid());
        assertTrue(fleet.statusLine().startsWith("broker[up pid=" + fleet.brokerPid() + " deaths=1 restarts=1]"),
            fleet.statusLine());
        assertTrue(changes.stream().anyMatch(l -> l.startsWith("broker[up")), changes.toString());

        for (String marker : after) {
          server.curl(marker);
        }
        List<String> all = new ArrayList<>(before);
        all.addAll(during);
        all.addAll(after);
        for (String marker : all) {
          assertNotNull(client.await(request(marker), ARRIVAL),
              "never reached the client: " + marker + "; " + fleet.statusLine());
        }
        // nothing more to come: the collector delivered its spool, the processor and the
        // gateway are caught up; then every marker was seen exactly once
        assertTrue(await(() -> caughtUp(fleet), Duration.ofSeconds(60)), fleet.statusLine());
        java.util.Map<String, Integer> inTopic = UpRestartTest.requestsInParsed(fleet.bootstrapServers());
        for (String marker : all) {
          assertEquals(1, client.received().stream().filter(request(marker)).count(),
              "times at the client: " + marker);
          assertEquals(1, inTopic.getOrDefault(marker, 0), "times in ecapture.parsed: " + marker);
        }
        assertTrue(client.errors().isEmpty(), client.errors().toString());
      }
      // the restarted broker's files are private too (its child JVM runs under umask 077)
      UpRestartTest.assertPrivate(dir.resolve("data").resolve("broker"));
    }
  }

  private static boolean caughtUp(Fleet fleet) {
    CollectorStats.Snapshot c = fleet.collector().stats();
    return c.sent() + c.sendRejected() >= c.spooled() && fleet.gateway().stats().consumerLag() == 0;
  }

  private List<String> markers(String what, int n) {
    List<String> markers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      markers.add(what + "-" + i + "-" + run + "-" + UUID.randomUUID());
    }
    return markers;
  }

  private static Predicate<LogEntry> request(String marker) {
    return e -> e.getLogType() == LogType.EVENT && e.getEventPayload().getType() == 1
        && e.getEventPayload().getPayload().toString(StandardCharsets.UTF_8).contains("X-Marker: " + marker);
  }

  private static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(50);
    }
    return condition.getAsBoolean();
  }
}
