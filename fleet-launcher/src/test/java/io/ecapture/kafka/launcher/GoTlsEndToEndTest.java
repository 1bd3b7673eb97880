package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.GoPrograms;
import io.ecapture.kafka.collector.probe.gotls.GoTlsConfig;
import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Go crypto/tls through the whole product: the collector probes a stripped Go binary (built here
 * from source) given with {@code --gotls-binary}; a Go HTTPS client talks to a Go HTTPS server
 * (both that binary); the processor parses and pairs the plaintext; an eCaptureQ WebSocket client
 * sees the client's request and response, and the server's view of the request, with their
 * tuples.
 */
class GoTlsEndToEndTest {
  private static final Duration ARRIVAL = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void goClientAndServerReachAnEcaptureqClient() throws Exception {
    EbpfEnvironment.requireEbpf();
    GoPrograms.Builds builds = GoPrograms.build();
    Path binary = builds.stripped();
    FleetConfig config = FleetConfig.builder(dir.resolve("data"))
        .embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, 0)
        .partitions(2)
        .gatewayListen("127.0.0.1:0")
        .capture(true).hostId("gotls-e2e").collectorStatusPort(-1)
        .collectorGoTls(new GoTlsConfig(true, List.of(binary)))
        .idleFlush(Duration.ofMillis(500)).build();
    Process server = null;
    try (Fleet fleet = Fleet.start(config)) {
      if (!fleet.capturing()) {
        EbpfEnvironment.unavailable(fleet.captureError());
      }
      assertTrue(fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60)), "gateway never got its partitions");
      try (EcaptureqTestClient client = new EcaptureqTestClient(fleet.gatewayPort())) {
        assertNotNull(client.await(e -> e.getLogType() == LogType.HEARTBEAT, Duration.ofSeconds(10)), "no heartbeat");
        Path portFile = dir.resolve("port");
        server = new ProcessBuilder(binary.toString(), "server", portFile.toString()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("server.log").toFile()).start();
        int port = awaitPort(portFile);
        String marker = UUID.randomUUID().toString();
        Process goClient = new ProcessBuilder(binary.toString(), "client", "https://127.0.0.1:" + port + "/", marker)
            .redirectErrorStream(true).redirectOutput(dir.resolve("client.out").toFile()).start();
        assertTrue(goClient.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, goClient.exitValue(), Files.readString(dir.resolve("client.out")));
        long clientPid = goClient.pid();
        long serverPid = server.pid();

        Event request = awaitEvent(client, e -> e.getType() == 1 && e.getPid() == clientPid
            && payload(e).contains(marker), "client request");
        assertTrue(payload(request).startsWith("GET / HTTP/1.1"), payload(request));
        assertEquals(port, request.getDstPort());
        assertEquals("127.0.0.1", request.getDstIp());
        assertEquals(binary.getFileName().toString().substring(0, 15), request.getPname());
        Event response = awaitEvent(client, e -> e.getType() == 3 && e.getPid() == clientPid
            && payload(e).contains("go-server-reply to " + marker), "client response");
        assertTrue(payload(response).startsWith("HTTP/1.1 200 OK"), payload(response));
        assertEquals(request.getSrcPort(), response.getSrcPort());
        Event served = awaitEvent(client, e -> e.getPid() == serverPid && payload(e).contains(marker), "server side");
        assertEquals(port, served.getSrcPort(), "the server's local port");
        assertEquals(request.getSrcPort(), served.getDstPort(), "the server's peer is the client");
        assertTrue(client.errors().isEmpty(), client.errors().toString());
      }
    } finally {
      if (server != null) {
        server.destroyForcibly();
      }
    }
  }

  private static int awaitPort(Path file) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (Files.exists(file)) {
        return Integer.parseInt(Files.readString(file).trim());
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the Go server wrote no port");
  }

  private static Event awaitEvent(EcaptureqTestClient client, Predicate<Event> match, String what)
      throws InterruptedException {
    LogEntry entry = client.await(e -> e.getLogType() == LogType.EVENT && match.test(e.getEventPayload()), ARRIVAL);
    if (entry == null) {
      StringBuilder seen = new StringBuilder();
      for (LogEntry e : client.received()) {
        if (e.getLogType() == LogType.EVENT) {
          Event ev = e.getEventPayload();
          seen.append("\n  type=").append(ev.getType()).append(" pid=").append(ev.getPid()).append(' ')
              .append(payload(ev).lines().findFirst().orElse(""));
        }
      }
      fail("no " + what + " event within " + ARRIVAL + "; received:" + seen);
    }
    return entry.getEventPayload();
  }

  private static String payload(Event e) {
    return e.getPayload().toString(StandardCharsets.UTF_8);
  }
}
