package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.NodeModules;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exec-time attach through the whole pipeline: a node executable no process ran before (a fresh
 * copy) starts after the fleet; its first and only connection, a wss:// client and server (ws)
 * exchanging 5 messages each way, is captured by the collector at exec, parsed by the processor
 * as WebSocket messages and shown to an eCaptureQ client as WebSocket events: every message,
 * both directions.
 */
class ExecAttachEndToEndTest {
  private static final Duration ARRIVAL = Duration.ofSeconds(90);

  @TempDir Path dir;

  @Test
  void aFreshNodeProcessesWebSocketMessagesReachAnEcaptureqClient() throws Exception {
    Path scripts = NodeModules.installed();
    Path installedNode = Path.of(new ProcessBuilder("sh", "-c", "command -v node").start().inputReader().readLine())
        .toRealPath();
    Path node = dir.resolve("bin").resolve("node");
    Files.createDirectories(node.getParent());
    Files.copy(installedNode, node, StandardCopyOption.COPY_ATTRIBUTES);
    FleetConfig config = FleetConfig.builder(dir.resolve("data"))
        .embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, 0)
        .partitions(2)
        .gatewayListen("127.0.0.1:0")
        .capture(true).hostId("exec-e2e").collectorStatusPort(-1)
        .idleFlush(Duration.ofMillis(500)).build();
    try (Fleet fleet = Fleet.start(config)) {
      if (!fleet.capturing()) {
        EbpfEnvironment.unavailable(fleet.captureError());
      }
      assertTrue(fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60)), "gateway never got its partitions");
      assertTrue(fleet.collector().execWatch().orElseThrow().awaitHold(60_000), fleet.collector().execWatchStatus().hold());
      try (EcaptureqTestClient client = new EcaptureqTestClient(fleet.gatewayPort());
          TlsTestServer certificates = TlsTestServer.start(dir, false)) { // writes cert.pem and key.pem
        String marker = UUID.randomUUID().toString().substring(0, 8);
        ProcessBuilder builder = new ProcessBuilder(node.toString(), scripts.resolve("wss-echo.js").toString())
            .directory(scripts.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("CERT", dir.resolve("cert.pem").toString());
        builder.environment().put("KEY", dir.resolve("key.pem").toString());
        builder.environment().put("MARKER", marker);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "node finished");
        assertEquals(0, process.exitValue(), output);

        List<String> messages = new ArrayList<>();
        IntStream.range(0, 5).forEach(i -> {
          messages.add("ping " + marker + " " + i);
          messages.add("pong ping " + marker + " " + i);
        });
        for (String message : messages) {
          // one event per end: the client's and the server's connection (client frames unmasked)
          LogEntry second = client.await(e -> count(client, process.pid(), message) >= 2, ARRIVAL);
          assertNotNull(second, "two WebSocket events (client and server end) of '" + message + "'; received: "
              + describe(client, process.pid()));
        }
      }
    }
  }

  private static long count(EcaptureqTestClient client, long pid, String message) {
    return client.received().stream()
        .filter(e -> e.getLogType() == LogType.EVENT)
        .map(LogEntry::getEventPayload)
        // the gateway shows a header line ("WebSocket text fin=1 masked=1 length=15"), then the message
        .filter(e -> e.getPid() == pid && e.getType() == 5
            && e.getPayload().toString(StandardCharsets.UTF_8).lines().anyMatch(message::equals))
        .count();
  }

  private static String describe(EcaptureqTestClient client, long pid) {
    StringBuilder s = new StringBuilder();
    for (LogEntry entry : client.received()) {
      if (entry.getLogType() == LogType.EVENT && entry.getEventPayload().getPid() == pid) {
        Event e = entry.getEventPayload();
        s.append("\n  type=").append(e.getType()).append(' ')
            .append(e.getPayload().toString(StandardCharsets.UTF_8).lines().findFirst().orElse(""));
      }
    }
    return s.toString();
  }
}
