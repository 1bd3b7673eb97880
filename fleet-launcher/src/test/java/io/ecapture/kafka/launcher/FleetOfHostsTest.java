package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.sink.SpoolConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet shape on one machine: two simulated hosts (network namespaces, each with its own
 * loopback, TLS server and curl), one collector per host, one broker, one processor, one gateway.
 * A client filtering on {@code ?host=} sees only that host's traffic; an unfiltered one sees both.
 */
class FleetOfHostsTest {
  private final String run = UUID.randomUUID().toString().substring(0, 6);
  private final List<String> namespaces = new ArrayList<>();
  private final List<Process> servers = new ArrayList<>();

  @TempDir Path dir;

  @AfterEach
  void removeHosts() throws Exception {
    for (Process server : servers) {
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
    }
    for (String ns : namespaces) {
      new ProcessBuilder("ip", "netns", "del", ns).start().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void eachHostsCollectorFeedsOneClusterAndClientsFilterByHost() throws Exception {
    FleetConfig config =
        FleetConfig.builder(dir.resolve("data"))
            .embeddedBroker(FleetConfig.BrokerMode.IN_PROCESS, 0)
            .partitions(4)
            .gatewayListen("127.0.0.1:0")
            .capture(false).hostId("unused").collectorStatusPort(-1)
            .idleFlush(Duration.ofMillis(500)).build();
    TlsTestServer.Certificate cert = TlsTestServer.Certificate.create(dir);
    String nsA = addHost("a");
    String nsB = addHost("b");
    try (Fleet fleet = Fleet.start(config);
        Collector collectorA = startCollector(fleet, config, "host-a-" + run, nsA);
        Collector collectorB = startCollector(fleet, config, "host-b-" + run, nsB)) {
      assertTrue(fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60)));
      try (EcaptureqTestClient all = new EcaptureqTestClient(fleet.gatewayPort());
          EcaptureqTestClient onlyA =
              new EcaptureqTestClient(fleet.gatewayPort(), "/?host=host-a-" + run)) {
        String markerA = "a-" + UUID.randomUUID();
        String markerB = "b-" + UUID.randomUUID();
        startServer(nsA, cert);
        startServer(nsB, cert);
        curlIn(nsA, markerA);
        curlIn(nsB, markerB);

        assertNotNull(all.await(request(markerA), Duration.ofSeconds(60)), "host a's request, unfiltered");
        assertNotNull(all.await(request(markerB), Duration.ofSeconds(60)), "host b's request, unfiltered");
        assertNotNull(onlyA.await(request(markerA), Duration.ofSeconds(60)), "host a's request, filtered");
        // everything the filtered client got is host a's: b's request reached the gateway before
        // we look, and must not be there
        assertTrue(onlyA.received().stream().noneMatch(request(markerB)), "host b leaked through ?host=");
        assertEquals(0, collectorA.stats().droppedInKernel());
        assertEquals(0, collectorB.stats().droppedInKernel());
      }
    }
  }

  private static Predicate<LogEntry> request(String marker) {
    return e -> e.getLogType() == LogType.EVENT && e.getEventPayload().getType() == 1
        && e.getEventPayload().getPayload().toString(StandardCharsets.UTF_8).contains(marker);
  }

  private Collector startCollector(Fleet fleet, FleetConfig config, String hostId, String ns) {
    try {
      return Collector.start(
          CollectorConfig.builder()
              .bootstrapServers(fleet.bootstrapServers())
              .hostId(hostId)
              .statusPort(CollectorConfig.STATUS_DISABLED)
              .spool(SpoolConfig.builder()
                  .directory(Fleet.spoolDirectory(config, hostId)).build())
              .netns(Path.of("/var/run/netns", ns))
              .build());
    } catch (RuntimeException e) {
      EbpfEnvironment.unavailable(e.getMessage());
      throw e;
    }
  }

  private String addHost(String name) throws Exception {
    String ns = "ekf-" + name + "-" + run;
    run(List.of("ip", "netns", "add", ns));
    namespaces.add(ns);
    run(List.of("ip", "-n", ns, "link", "set", "lo", "up"));
    return ns;
  }

  private void startServer(String ns, TlsTestServer.Certificate cert) throws Exception {
    servers.add(new ProcessBuilder("ip", "netns", "exec", ns, "openssl", "s_server", "-www", "-quiet",
            "-accept", "127.0.0.1:8443", "-cert", cert.cert().toString(), "-key", cert.key().toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve(ns + ".log").toFile())
        .start());
  }

  private void curlIn(String ns, String marker) throws Exception {
    run(List.of("ip", "netns", "exec", ns, "curl", "-sk", "--http1.1", "--retry", "30",
        "--retry-connrefused", "--retry-delay", "0", "-H", "X-Marker: " + marker, "https://127.0.0.1:8443/"));
  }

  private void run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
    }
  }
}
