package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/** Many clients at once, handshakes that break the protocol, and permessage-deflate. */
class GatewayConnectionsTest {

  private static GatewayConfig.Builder config() {
    return GatewayConfig.builder().listen("127.0.0.1:0").bootstrapServers("").replayLogs(0);
  }

  @Test
  void twoHundredConcurrentClientsAllReceiveAnEvent() throws Exception {
    int count = 200;
    List<RawWsClient> clients = new ArrayList<>(count);
    try (Gateway gateway = Gateway.start(config().build())) {
      try {
        for (int i = 0; i < count; i++) {
          clients.add(new RawWsClient(gateway.port(), 64 << 10));
        }
        for (RawWsClient c : clients) {
          assertEquals(LogType.HEARTBEAT, c.next().getLogType());
        }
        assertEquals(count, gateway.stats().clients().size());
        gateway.publish(GatewayWebSocketTest.event(9, "to all 200"));
        for (RawWsClient c : clients) {
          LogEntry e = c.next();
          assertEquals(LogType.EVENT, e.getLogType());
          assertEquals("to all 200", e.getEventPayload().getPayload().toStringUtf8());
        }
        GatewayStats stats = gateway.stats();
        assertEquals(0, stats.framesDropped());
        assertEquals(2L * count, stats.framesSent(), "heartbeat 0 and the event, to each");
      } finally {
        for (RawWsClient c : clients) {
          c.close();
        }
      }
    }
  }

  @Test
  void malformedHandshakesAreRefusedCleanlyAndCounted() throws Exception {
    try (Gateway gateway = Gateway.start(config().build())) {
      int port = gateway.port();
      String upgrade = "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
      String noKey =
          RawWsClient.exchange(port, "GET / HTTP/1.1\r\n" + upgrade + "Sec-WebSocket-Version: 13\r\n\r\n");
      assertTrue(noKey.startsWith("HTTP/1.1 400"), noKey);
      String badKey =
          RawWsClient.exchange(port, "GET / HTTP/1.1\r\n" + upgrade
              + "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n");
      assertTrue(badKey.startsWith("HTTP/1.1 400"), badKey);
      String oldVersion =
          RawWsClient.exchange(port, "GET / HTTP/1.1\r\n" + upgrade
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n");
      assertTrue(oldVersion.startsWith("HTTP/1.1 426"), oldVersion);
      assertTrue(oldVersion.contains("Sec-WebSocket-Version: 13\r\n"), "RFC 6455 4.4: " + oldVersion);
      String post =
          RawWsClient.exchange(port, "POST / HTTP/1.1\r\n" + upgrade
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
              + "Content-Length: 0\r\n\r\n");
      assertTrue(post.startsWith("HTTP/1.1 400"), post);
      // not HTTP at all: Jetty's parser answers, our handler never sees it
      String garbage = RawWsClient.exchange(port, "\u0016\u0003\u0001\u0000\u00a5hello\r\n\r\n");
      assertTrue(garbage.isEmpty() || garbage.startsWith("HTTP/1.1 400"), garbage);

      assertEquals(4, gateway.stats().malformedHandshakes());
      assertEquals(0, gateway.stats().handshakesRefused());
      String metrics = RawWsClient.exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
      assertTrue(metrics.startsWith("HTTP/1.1 200"), metrics);
      // and the server still serves real clients
      try (WsClient client = WsClient.connect(port)) {
        assertEquals(LogType.HEARTBEAT, client.next().getLogType());
      }
    }
  }

  @Test
  void permessageDeflateIsNegotiatedWhenOfferedAndFramesInflateToLogEntries() throws Exception {
    try (Gateway gateway = Gateway.start(config().build());
        RawWsClient client =
            new RawWsClient(gateway.port(), 64 << 10,
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n")) {
      assertTrue(
          client.responseHead().toLowerCase(java.util.Locale.ROOT)
              .contains("sec-websocket-extensions: permessage-deflate"),
          client.responseHead());
      RawWsClient.Frame heartbeat = client.nextFrame();
      assertTrue(heartbeat.compressed(), "RSV1 marks a compressed message");
      assertEquals(LogType.HEARTBEAT, LogEntry.parseFrom(inflate(heartbeat.payload())).getLogType());
      String text = "compress me ".repeat(200);
      gateway.publish(GatewayWebSocketTest.event(3, text));
      RawWsClient.Frame event = client.nextFrame();
      assertTrue(event.payload().length < text.length() / 4, "actually compressed");
      assertEquals(text, LogEntry.parseFrom(inflate(event.payload())).getEventPayload().getPayload().toStringUtf8());
    }
  }

  @Test
  void withoutAnOfferNoExtensionIsUsed() throws Exception {
    try (Gateway gateway = Gateway.start(config().build());
        RawWsClient client = new RawWsClient(gateway.port(), 64 << 10)) {
      assertTrue(!client.responseHead().toLowerCase(java.util.Locale.ROOT).contains("sec-websocket-extensions"),
          client.responseHead());
      assertEquals(LogType.HEARTBEAT, client.next().getLogType());
    }
  }

  /** RFC 7692 7.2.2: append 00 00 ff ff, then raw DEFLATE. */
  private static byte[] inflate(byte[] payload) throws Exception {
    Inflater inflater = new Inflater(true);
    byte[] input = new byte[payload.length + 4];
    System.arraycopy(payload, 0, input, 0, payload.length);
    input[payload.length + 2] = (byte) 0xff;
    input[payload.length + 3] = (byte) 0xff;
    inflater.setInput(input);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    while (!inflater.needsInput()) {
      int n = inflater.inflate(buf);
      if (n == 0 && inflater.needsInput()) {
        break;
      }
      out.write(buf, 0, n);
    }
    inflater.end();
    return out.toByteArray();
  }
}
