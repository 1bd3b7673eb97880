package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.protocol.http2.Http2FrameParser;
import io.ecapture.kafka.processor.protocol.http2.Http2TestFrames;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.proto.parsed.WebSocketFields;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HPACK tables and permessage-deflate windows survive a restart (a new driver and new processor
 * instances over the stored state, see {@link TopologyHarness#restart()}): header blocks that
 * refer to dynamic-table entries set before it, and compressed messages that refer to earlier
 * ones, decode exactly as without the restart.
 */
class DecodingContextRestartTest {
  // RFC 7541 C.3.1-C.3.3: three requests on one connection, without Huffman coding
  private static final byte[] C31 = hex("828684410f7777772e6578616d706c652e636f6d");
  private static final byte[] C32 = hex("828684be58086e6f2d6361636865");
  private static final byte[] C33 = hex("828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565");
  private static final int END_STREAM_AND_HEADERS = 0x5;

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

  @Test
  void rfc7541AppendixC3DecodesAcrossARestart() {
    RawEvents events = new RawEvents("h2-c3");
    byte[] first = concat(Http2FrameParser.CLIENT_PREFACE, Http2TestFrames.frame(4, 0, 0, new byte[0]),
        headers(1, C31));
    harness.send(events.data(Direction.WRITE, 0, first, 0));
    ParsedMessage one = single(harness.output());
    assertEquals("www.example.com", one.getHttp().getAuthority());
    assertEquals(1, harness.store().get("h2-c3").getWrite().getHpackEntriesCount(), "C.3.1 added one");

    harness = harness.restart();
    byte[] second = headers(3, C32);
    harness.send(events.data(Direction.WRITE, first.length, second, 10));
    harness.send(events.data(Direction.WRITE, first.length + second.length, headers(5, C33), 20));
    List<ParsedMessage> out = harness.output();
    assertEquals(2, out.size(), out.toString());
    ParsedMessage two = out.get(0);
    assertEquals("www.example.com", two.getHttp().getAuthority(), "index 62, set before the restart");
    assertEquals("no-cache", header(two, "cache-control"));
    ParsedMessage three = out.get(1);
    assertEquals("/index.html", three.getHttp().getPath());
    assertEquals("www.example.com", three.getHttp().getAuthority(), "index 63 after one insert");
    assertEquals("custom-value", header(three, "custom-key"));
    for (ParsedMessage message : out) {
      assertFalse(ParsedText.rendered(message).toStringUtf8().contains("HPACK table state unknown"));
    }
    assertEquals(1, harness.metrics.contextsRestored(), "the table was rebuilt, then kept");
    assertEquals(0, harness.metrics.hpackTablesLost());
    ProcessorDirectionState write = harness.store().get("h2-c3").getWrite();
    assertEquals(List.of(":authority", "cache-control", "custom-key"),
        write.getHpackEntriesList().stream().map(Header::getName).toList(), "C.3.3's table");
    assertFalse(write.getHpackTableUnknown());
  }

  /**
   * Netty-written HTTP/2 (later blocks refer to entries earlier ones added) split across a
   * restart at several points of both streams: the same messages as without a restart.
   */
  @Test
  void aNettyExchangeSplitAcrossARestartGivesTheSameMessages() throws IOException {
    Http2RealBytesTest.Exchange exchange = Http2RealBytesTest.buildExchange();
    RawEvents whole = new RawEvents("h2-ref");
    harness.send(whole.data(Direction.WRITE, 0, exchange.client(), 0));
    harness.send(whole.data(Direction.READ, 0, exchange.server(), 0));
    List<ParsedMessage> expected = inStreamOrder(harness.output());
    assertEquals(5, expected.size());
    long restored = 0;
    byte[] client = exchange.client();
    byte[] server = exchange.server();
    for (int cut = exchange.grpcHeadersEnd(); cut < client.length; cut += 29) {
      RawEvents events = new RawEvents("h2-restart-" + cut);
      int serverCut = server.length * (cut % 5 + 1) / 6;
      harness.send(events.data(Direction.WRITE, 0, Arrays.copyOf(client, cut), 0));
      harness.send(events.data(Direction.READ, 0, Arrays.copyOf(server, serverCut), 0));
      List<ParsedMessage> before = harness.output();
      harness = harness.restart();
      harness.send(events.data(Direction.WRITE, cut, Arrays.copyOfRange(client, cut, client.length), 0));
      harness.send(events.data(Direction.READ, serverCut,
          Arrays.copyOfRange(server, serverCut, server.length), 0));
      List<ParsedMessage> all = new java.util.ArrayList<>(before);
      all.addAll(harness.output());
      assertEquals(expected, inStreamOrder(all), "restart at client byte " + cut);
      assertEquals(0, harness.metrics.hpackTablesLost());
      restored += harness.metrics.contextsRestored();
    }
    assertTrue(restored >= 5, "tables rebuilt after " + restored + " restarts only");
  }

  /** Normalized, and per direction in stream order: a restart may interleave the two sides. */
  private static List<ParsedMessage> inStreamOrder(List<ParsedMessage> messages) {
    return Http2RealBytesTest.normalized(messages).stream()
        .sorted(java.util.Comparator.comparing(ParsedMessage::getDirection)
            .thenComparingLong(ParsedMessage::getStreamOffset))
        .toList();
  }

  /**
   * Two compressed server messages sharing one context (the second refers to the first), with a
   * restart between them: the second still inflates, from the window kept in the state.
   */
  @Test
  void aDeflateContextSurvivesARestart() {
    WebSocketRealBytesTest.Exchange exchange = WebSocketRealBytesTest.buildExchange();
    RawEvents whole = new RawEvents("ws-ref");
    harness.send(whole.data(Direction.WRITE, 0, exchange.client(), 0));
    harness.send(whole.data(Direction.READ, 0, exchange.server(), 0));
    List<ParsedMessage> expected = WebSocketRealBytesTest.normalized(harness.output());

    RawEvents events = new RawEvents("ws-restart");
    byte[] server = exchange.server();
    int cut = exchange.secondMessageStart();
    harness.send(events.data(Direction.WRITE, 0, exchange.client(), 0));
    harness.send(events.data(Direction.READ, 0, Arrays.copyOf(server, cut), 0));
    List<ParsedMessage> all = new java.util.ArrayList<>(harness.output());
    assertFalse(harness.store().get("ws-restart").getRead().getWsInflateWindow().isEmpty());

    harness = harness.restart();
    harness.send(events.data(Direction.READ, cut, Arrays.copyOfRange(server, cut, server.length), 0));
    all.addAll(harness.output());
    List<WebSocketFields> received = WebSocketRealBytesTest.webSocket(all, Direction.READ);
    WebSocketFields second = received.get(1);
    assertTrue(second.getInflated(), "the second message refers to the first one's bytes");
    assertFalse(second.getInflateFailed());
    assertEquals(received.get(0).getPayload(), second.getPayload());
    assertEquals(expected, WebSocketRealBytesTest.normalized(all));
    assertEquals(1, harness.metrics.contextsRestored());
    assertEquals(0, harness.metrics.webSocketInflateFailures());
  }

  private static byte[] headers(int stream, byte[] block) {
    return Http2TestFrames.frame(1, END_STREAM_AND_HEADERS, stream, block);
  }

  private static ParsedMessage single(List<ParsedMessage> out) {
    assertEquals(1, out.size(), out.toString());
    return out.get(0);
  }

  private static String header(ParsedMessage message, String name) {
    return message.getHttp().getHeadersList().stream().filter(h -> h.getName().equals(name))
        .map(Header::getValue).findFirst().orElse(null);
  }

  private static byte[] concat(byte[]... parts) {
    return WebSocketRealBytesTest.concat(parts);
  }

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s);
  }
}
