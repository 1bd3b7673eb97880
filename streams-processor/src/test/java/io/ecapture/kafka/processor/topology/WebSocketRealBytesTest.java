package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import io.ecapture.kafka.proto.parsed.WebSocketFields;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSocket exchanges whose frames Netty's encoders wrote ({@link NettyWebSocketWire}): masked
 * client frames, a fragmented compressed text message with a ping between its fragments, two
 * compressed server messages sharing one compression context (RFC 7692 context takeover), pong
 * and close. The HTTP/1.1 upgrade around them is written by hand (RFC 6455 §1.3 example key).
 */
class WebSocketRealBytesTest {
  private static final String JSON =
      "{\"event\":\"tick\",\"symbols\":[\"AAA\",\"BBB\",\"CCC\"],\"price\":[1.5,2.25,3.125]}";

  @TempDir Path stateDir;
  private TopologyHarness harness;

  @BeforeEach
  void start() {
    harness = new TopologyHarness(stateDir);
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  /** Upgrade request + client frames, 101 + server frames, and where the 2nd server message starts. */
  record Exchange(byte[] client, byte[] server, int upgradeLength, int responseLength,
      int secondMessageStart) {}

  static Exchange buildExchange() {
    try (NettyWebSocketWire.Pair wires = NettyWebSocketWire.deflatePair()) {
      byte[] upgrade = ("GET /chat HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
          + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
      byte[] accepted = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
          + "Sec-WebSocket-Extensions: " + wires.extensionsHeader() + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1);
      byte[] clientFrames = wires.client()
          .write(new TextWebSocketFrame(false, 0, "hello websocket, "))
          .write(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})))
          .write(new ContinuationWebSocketFrame(false, 0, "this message came "))
          .write(new ContinuationWebSocketFrame(true, 0, "in three fragments"))
          .write(new CloseWebSocketFrame(1000, "bye"))
          .take();
      byte[] first = wires.server()
          .write(new BinaryWebSocketFrame(Unpooled.copiedBuffer(JSON, StandardCharsets.UTF_8)))
          .take();
      byte[] rest = wires.server()
          .write(new BinaryWebSocketFrame(Unpooled.copiedBuffer(JSON, StandardCharsets.UTF_8)))
          .write(new PongWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})))
          .write(new CloseWebSocketFrame(1000, "bye"))
          .take();
      return new Exchange(concat(upgrade, clientFrames), concat(accepted, first, rest),
          upgrade.length, accepted.length, accepted.length + first.length);
    }
  }

  @Test
  void fragmentedCompressedMessagesAreReassembledAndInflated() {
    Exchange exchange = buildExchange();
    RawEvents events = new RawEvents("ws-whole");
    harness.send(events.data(Direction.WRITE, 0, exchange.client(), 0));
    harness.send(events.data(Direction.READ, 0, exchange.server(), 1_000));
    List<ParsedMessage> out = harness.output();
    List<WebSocketFields> client = webSocket(out, Direction.WRITE);
    List<WebSocketFields> server = webSocket(out, Direction.READ);

    assertEquals(3, client.size(), client.toString());
    assertEquals("ping", client.get(0).getOpcodeName(), "a control frame leaves at once");
    assertEquals(3, client.get(0).getPayload().size());
    WebSocketFields text = client.get(1);
    assertEquals("text", text.getOpcodeName());
    assertTrue(text.getFin() && text.getMasked() && text.getCompressed() && text.getInflated());
    assertEquals(3, text.getFrames());
    assertEquals("hello websocket, this message came in three fragments",
        text.getPayload().toStringUtf8());
    assertFalse(text.getPayloadTruncated());
    assertEquals(1000, client.get(2).getCloseCode());

    assertEquals(4, server.size(), server.toString());
    for (WebSocketFields message : server.subList(0, 2)) {
      assertEquals("binary", message.getOpcodeName());
      assertTrue(message.getInflated(), "the second one only inflates with the first's context");
      assertEquals(JSON, message.getPayload().toStringUtf8());
      assertFalse(message.getMasked());
    }
    assertTrue(server.get(1).getPayloadLength() < server.get(0).getPayloadLength(),
        "context takeover made the repeat smaller on the wire");
    assertEquals("pong", server.get(2).getOpcodeName());
    assertEquals(1000, server.get(3).getCloseCode());
    assertEquals(0, harness.metrics.webSocketInflateFailures());
  }

  @Test
  void everySplitPointOfTheServerStreamGivesTheSameMessages() {
    Exchange exchange = buildExchange();
    RawEvents whole = new RawEvents("ws-ref");
    harness.send(whole.data(Direction.WRITE, 0, exchange.client(), 0));
    harness.send(whole.data(Direction.READ, 0, exchange.server(), 0));
    List<ParsedMessage> expected = normalized(harness.output());
    for (int cut = 1; cut < exchange.server().length; cut++) {
      RawEvents events = new RawEvents("ws-split-" + cut);
      harness.sendSplit(events, Direction.WRITE, 0, exchange.client(), exchange.upgradeLength() + cut % 40);
      harness.sendSplit(events, Direction.READ, 0, exchange.server(), cut);
      assertEquals(expected, normalized(harness.output()), "split at byte " + cut);
    }
  }

  /**
   * The first compressed server message is lost (capture gap): the second one refers to it, so
   * it cannot be inflated and is flagged, never inflated against the wrong history.
   */
  @Test
  void aLostMessageLeavesTheNextOneFlaggedNotWronglyInflated() {
    Exchange exchange = buildExchange();
    RawEvents events = new RawEvents("ws-gap");
    harness.send(events.data(Direction.WRITE, 0, exchange.client(), 0));
    byte[] server = exchange.server();
    harness.send(events.data(Direction.READ, 0,
        java.util.Arrays.copyOfRange(server, 0, exchange.responseLength()), 0));
    harness.send(events.data(Direction.READ, exchange.secondMessageStart(),
        java.util.Arrays.copyOfRange(server, exchange.secondMessageStart(), server.length), 10));
    harness.idle(Duration.ofSeconds(2));
    List<WebSocketFields> messages = webSocket(harness.output(), Direction.READ);
    WebSocketFields second = messages.get(0);
    assertEquals("binary", second.getOpcodeName());
    assertTrue(second.getCompressed());
    assertTrue(second.getInflateFailed());
    assertFalse(second.getInflated());
    assertEquals(1, harness.metrics.webSocketInflateFailures());
    assertEquals("pong", messages.get(1).getOpcodeName());
  }

  static List<WebSocketFields> webSocket(List<ParsedMessage> out, Direction direction) {
    return out.stream().filter(m -> m.getProtocol() == Protocol.WEBSOCKET
        && m.getDirection() == direction).map(ParsedMessage::getWebsocket).toList();
  }

  static List<ParsedMessage> normalized(List<ParsedMessage> messages) {
    List<ParsedMessage> out = new ArrayList<>();
    for (ParsedMessage m : messages) {
      String pair = m.getPairId();
      out.add(m.toBuilder().clearConnectionId().clearFirstByteTimeNs().clearLastByteTimeNs()
          .clearLatencyNs().setPairId(pair.isEmpty() ? "" : pair.substring(pair.indexOf('#')))
          .build());
    }
    return out;
  }

  static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
