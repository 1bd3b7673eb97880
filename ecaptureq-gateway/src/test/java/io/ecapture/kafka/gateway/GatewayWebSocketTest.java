package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.proto.ecaptureq.Heartbeat;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The gateway's WebSocket behaviour, driven by a real client over loopback (no Kafka). */
class GatewayWebSocketTest {
  private static final Pattern MISSED = Pattern.compile(": (\\d+) messages were dropped");

  private static GatewayConfig.Builder config() {
    return GatewayConfig.builder().listen("127.0.0.1:0").bootstrapServers("");
  }

  static ParsedMessage event(int pid, String text) {
    return ParsedMessage.newBuilder()
        .setHostId("host-" + pid)
        .setPid(pid)
        .setComm("curl")
        .setProtocol(Protocol.HTTP1).setKind(MessageKind.REQUEST)
        .setRendered(ByteString.copyFromUtf8(text))
        .build();
  }

  @Test
  void connectReplaysRecentProcessLogsThenSendsHeartbeatZero() throws Exception {
    try (Gateway gateway = Gateway.start(config().replayLogs(3).build())) {
      for (int i = 1; i <= 5; i++) {
        gateway.publishLog("line " + i);
      }
      long before = System.currentTimeMillis() / 1000;
      try (WsClient client = WsClient.connect(gateway.port())) {
        for (int i = 3; i <= 5; i++) {
          LogEntry log = client.next();
          assertEquals(LogType.PROCESS_LOG, log.getLogType());
          assertEquals("line " + i, log.getRunLog());
        }
        LogEntry first = client.next();
        long after = System.currentTimeMillis() / 1000;
        assertEquals(LogType.HEARTBEAT, first.getLogType());
        Heartbeat hb = first.getHeartbeatPayload();
        assertEquals(0, hb.getCount());
        assertEquals("heartbeat:0", hb.getMessage());
        assertTrue(hb.getTimestamp() >= before && hb.getTimestamp() <= after, "Unix seconds");
      }
    }
  }

  @Test
  void periodicHeartbeatsCountPerConnection() throws Exception {
    try (Gateway gateway =
        Gateway.start(config().replayLogs(0).heartbeatInterval(Duration.ofMillis(50)).build())) {
      try (WsClient client = WsClient.connect(gateway.port())) {
        for (int n = 0; n < 4; n++) {
          Heartbeat hb = client.next().getHeartbeatPayload();
          assertEquals(n, hb.getCount());
          assertEquals("heartbeat:" + n, hb.getMessage());
        }
        // a second connection starts its own count at 0
        try (WsClient other = WsClient.connect(gateway.port())) {
          assertEquals(0, other.next().getHeartbeatPayload().getCount());
        }
      }
    }
  }

  @Test
  void eventsReachEveryClientWhoseFilterAcceptsThem() throws Exception {
    try (Gateway gateway = Gateway.start(config().replayLogs(0).build());
        WsClient all = WsClient.connect(gateway.port());
        WsClient onlyPid1 = WsClient.connect(gateway.port(), "/any/path?pid=1", "http://localhost/")) {
      assertEquals(LogType.HEARTBEAT, all.next().getLogType());
      assertEquals(LogType.HEARTBEAT, onlyPid1.next().getLogType());
      gateway.publish(event(2, "for everyone"));
      gateway.publish(event(1, "for both"));
      assertEquals("for everyone", all.nextNonHeartbeat().getEventPayload().getPayload().toStringUtf8());
      assertEquals("for both", all.nextNonHeartbeat().getEventPayload().getPayload().toStringUtf8());
      LogEntry only = onlyPid1.nextNonHeartbeat();
      assertEquals(LogType.EVENT, only.getLogType());
      assertEquals(1, only.getEventPayload().getPid());
      assertEquals("for both", only.getEventPayload().getPayload().toStringUtf8());
    }
  }

  @Test
  void inboundMessagesAreIgnoredPingsAnsweredAndOversizedFramesClosedWith1009() throws Exception {
    try (Gateway gateway = Gateway.start(config().replayLogs(0).maxInboundFrameBytes(1024).build());
        WsClient client = WsClient.connect(gateway.port())) {
      assertEquals(LogType.HEARTBEAT, client.next().getLogType());
      client.socket().sendText("hello", true).get();
      client.socket().sendBinary(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}), true).get();
      client.socket().sendPing(java.nio.ByteBuffer.wrap(new byte[] {42})).get();
      assertEquals(42, client.awaitPong().get(0));
      gateway.publish(event(1, "still connected"));
      assertEquals("still connected", client.next().getEventPayload().getPayload().toStringUtf8());
      client.socket().sendBinary(java.nio.ByteBuffer.wrap(new byte[4096]), true).get();
      assertEquals(1009, client.awaitCloseCode(), "RFC 6455 7.4.1: message too big");
    }
  }

  @Test
  void handshakeAcceptsLocalOriginAndNoOriginAndRefusesForeignSites() throws Exception {
    try (Gateway gateway = Gateway.start(config().build())) {
      try (WsClient local = WsClient.connect(gateway.port(), "/", "http://localhost/");
          WsClient none = WsClient.connect(gateway.port(), "/", null)) {
        assertEquals(LogType.HEARTBEAT, local.nextOfType(LogType.HEARTBEAT).getLogType());
        assertEquals(LogType.HEARTBEAT, none.nextOfType(LogType.HEARTBEAT).getLogType());
      }
      assertThrows(
          ExecutionException.class,
          () -> WsClient.connect(gateway.port(), "/", "https://evil.example"));
      assertThrows(
          ExecutionException.class, () -> WsClient.connect(gateway.port(), "/?pid=x", null));
      assertEquals(2, gateway.stats().handshakesRefused());
    }
  }

  @Test
  void replayRequestsWithoutKafkaAreAnsweredWithANoticeAndLiveEventsFlow() throws Exception {
    try (Gateway gateway = Gateway.start(config().replayLogs(0).build());
        WsClient client = WsClient.connect(gateway.port(), "/?since=30s", "http://localhost/")) {
      assertEquals(LogType.HEARTBEAT, client.next().getLogType());
      assertTrue(client.next().getRunLog().contains("no replay: no Kafka feed"));
      gateway.publish(event(1, "live"));
      assertEquals("live", client.nextNonHeartbeat().getEventPayload().getPayload().toStringUtf8());
    }
  }

  @Test
  void bindingAnAddressInUseFailsWithAClearError() {
    try (Gateway first = Gateway.start(config().build())) {
      GatewayStartException e =
          assertThrows(
              GatewayStartException.class,
              () -> Gateway.start(config().listen("127.0.0.1:" + first.port()).build()));
      assertTrue(e.getMessage().contains(String.valueOf(first.port())), e.getMessage());
    }
  }

  @Test
  void slowClientLosesCountedFramesWhileAFastClientGetsEverything() throws Exception {
    int events = 1500;
    int batch = 10;
    byte[] text = new byte[4000];
    java.util.Arrays.fill(text, (byte) 'x');
    GatewayConfig cfg =
        config()
            .replayLogs(0)
            .maxQueuedFrames(64)
            .maxQueuedBytes(128 << 10)
            .socketSendBufferBytes(16 << 10)
            .build();
    try (Gateway gateway = Gateway.start(cfg);
        RawWsClient slow = new RawWsClient(gateway.port(), 4096);
        WsClient fast = WsClient.connect(gateway.port())) {
      assertEquals(LogType.HEARTBEAT, slow.next().getLogType());
      assertEquals(LogType.HEARTBEAT, fast.next().getLogType());
      for (int i = 0; i < events; i++) {
        gateway.publish(event(7, i + ":" + new String(text, 0, text.length)));
        // pace by the fast client only: the slow one must never hold the publisher up
        if (i % batch == batch - 1) {
          for (int j = i - batch + 1; j <= i; j++) {
            assertEquals(j, eventNumber(fast.nextNonHeartbeat()));
          }
        }
      }
      GatewayStats stats = gateway.stats();
      GatewayStats.ClientStats slowStats =
          stats.clients().stream().filter(c -> c.framesDropped() > 0).findFirst().orElseThrow();
      assertEquals(1, stats.clients().stream().filter(c -> c.framesDropped() > 0).count());
      assertEquals(stats.framesDropped(), slowStats.framesDropped());
      assertTrue(slowStats.queuedBytes() <= cfg.maxQueuedBytes(), "bounded: " + slowStats);
      assertTrue(slowStats.queuedFrames() <= cfg.maxQueuedFrames(), "bounded: " + slowStats);

      // the slow client now reads: what was queued for it, then, before the next event, a
      // process-log line saying how many it missed
      gateway.publish(event(7, events + ":last"));
      int delivered = 0;
      long noticed = 0;
      while (true) {
        LogEntry entry = slow.next();
        if (entry.getLogType() == LogType.PROCESS_LOG) {
          Matcher m = MISSED.matcher(entry.getRunLog());
          assertTrue(m.find(), entry.getRunLog());
          noticed += Long.parseLong(m.group(1));
        } else if (entry.getLogType() == LogType.EVENT) {
          if (eventNumber(entry) == events) {
            break;
          }
          delivered++;
        }
      }
      assertEquals(events, delivered + slowStats.framesDropped(), "every event delivered or counted");
      assertEquals(slowStats.framesDropped(), noticed, "the client was told about every drop");
    }
  }

  private static int eventNumber(LogEntry entry) {
    assertEquals(LogType.EVENT, entry.getLogType());
    String payload = entry.getEventPayload().getPayload().toStringUtf8();
    return Integer.parseInt(payload.substring(0, payload.indexOf(':')));
  }
}
