package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.proto.ecaptureq.Event;
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
 * The whole product on this machine: a real KRaft broker in a child JVM (as {@code up} runs it),
 * the streams processor, the gateway and the collector with real eBPF probes on the system
 * libssl. curl talks TLS to openssl s_server; an eCaptureQ-style WebSocket client must see the
 * request and the response as EVENT LogEntries.
 */
class FleetEndToEndTest {
  private static final Duration ARRIVAL = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void curlRequestAndResponseReachAnEcaptureqClientThroughKafka() throws Exception {
    FleetConfig config =
        FleetConfig.builder(dir.resolve("data"))
            .embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, 0)
            .partitions(2)
            .gatewayListen("127.0.0.1:0")
            .capture(true).hostId("e2e-host").collectorStatusPort(-1)
            .idleFlush(Duration.ofMillis(500)).build();
    try (Fleet fleet = Fleet.start(config)) {
      if (!fleet.capturing()) {
        EbpfEnvironment.unavailable(fleet.captureError());
      }
      assertTrue(fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60)), "gateway never got its partitions");
      try (EcaptureqTestClient client = new EcaptureqTestClient(fleet.gatewayPort());
          TlsTestServer server = TlsTestServer.start(dir, false)) {
        assertNotNull(
            client.await(e -> e.getLogType() == LogType.HEARTBEAT && e.getHeartbeatPayload().getCount() == 0, Duration.ofSeconds(10)),
            "no heartbeat at connect");

        String marker = UUID.randomUUID().toString();
        TlsTestServer.CurlResult curl = server.curl(marker);
        assertTrue(curl.output().contains("<HTML>"), "s_server did not answer: " + curl.output());

        Event request = awaitEvent(client, e -> e.getType() == 1 && e.getPid() == curl.pid() && payload(e).contains(marker), "request");
        assertTrue(payload(request).startsWith("GET / HTTP/1.1"), payload(request));
        assertTrue(payload(request).contains("X-Marker: " + marker), payload(request));
        assertEvent(request, curl.pid(), server.port());

        Event response = awaitEvent(client, e -> e.getType() == 3 && e.getPid() == curl.pid(), "response");
        assertTrue(payload(response).startsWith("HTTP/1."), payload(response));
        assertEvent(response, curl.pid(), server.port());
        assertTrue(client.errors().isEmpty(), client.errors().toString());
      }
    }
  }

  /** pid, pname, uuid, Unix-ns timestamp and the 4-tuple, as eCaptureQ shows them. */
  private static void assertEvent(Event e, long pid, int serverPort) {
    assertEquals(pid, e.getPid());
    assertEquals("curl", e.getPname());
    assertEquals(e.getPayload().size(), e.getLength());
    // Unix nanoseconds: after 2020-01-01 and not in the future by more than a minute
    long nowNs = System.currentTimeMillis() * 1_000_000L;
    assertTrue(e.getTimestamp() > 1_577_836_800_000_000_000L && e.getTimestamp() < nowNs + 60_000_000_000L,
        "timestamp not in Unix ns: " + e.getTimestamp());
    assertEquals("127.0.0.1", e.getSrcIp());
    assertEquals("127.0.0.1", e.getDstIp());
    assertEquals(serverPort, e.getDstPort(), "curl's remote port is the server's");
    assertTrue(e.getSrcPort() > 0 && e.getSrcPort() != serverPort);
    // Pid_Tid_Comm_Fd_DataType_Tuple
    String tuple = "127.0.0.1:" + e.getSrcPort() + "-127.0.0.1:" + e.getDstPort();
    assertTrue(e.getUuid().startsWith(pid + "_"), e.getUuid());
    assertTrue(e.getUuid().contains("_curl_"), e.getUuid());
    assertTrue(e.getUuid().endsWith("_" + tuple), e.getUuid());
  }

  private static Event awaitEvent(EcaptureqTestClient client, Predicate<Event> match, String what)
      throws InterruptedException {
    LogEntry entry = client.await(e -> e.getLogType() == LogType.EVENT && match.test(e.getEventPayload()), ARRIVAL);
    if (entry == null) {
      fail("no " + what + " event within " + ARRIVAL + "; received: " + describe(client.received()));
    }
    return entry.getEventPayload();
  }

  private static String describe(List<LogEntry> entries) {
    StringBuilder s = new StringBuilder();
    for (LogEntry e : entries) {
      s.append("\n  ").append(e.getLogType());
      if (e.getLogType() == LogType.EVENT) {
        Event ev = e.getEventPayload();
        s.append(" type=").append(ev.getType()).append(" pid=").append(ev.getPid())
            .append(" pname=").append(ev.getPname()).append(" ")
            .append(payload(ev).lines().findFirst().orElse(""));
      } else if (e.getLogType() == LogType.PROCESS_LOG) {
        s.append(' ').append(e.getRunLog());
      }
    }
    return s.toString();
  }

  private static String payload(Event e) {
    return e.getPayload().toString(StandardCharsets.UTF_8);
  }
}
