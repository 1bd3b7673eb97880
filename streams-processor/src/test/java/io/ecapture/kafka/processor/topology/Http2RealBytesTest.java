package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.GrpcFields;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 and gRPC exchanges whose bytes were written by Netty's HTTP/2 frame writer and HPACK
 * encoder ({@link NettyHttp2Wire}): one client and one server byte stream, multiplexed streams
 * answered out of order, gRPC with gzip-compressed messages and trailers, padding, PRIORITY,
 * RST_STREAM, PING, WINDOW_UPDATE, GOAWAY. Then every split point of the client stream.
 */
class Http2RealBytesTest {
  private static final String HTML = "<html><body>" + "hello http/2 ".repeat(40) + "</body></html>";

  @TempDir Path stateDir;
  private TopologyHarness harness;
  private Exchange exchange;

  /** The two byte streams, with where the client's stream-1 HEADERS frame lies. */
  record Exchange(byte[] client, byte[] server, int grpcHeadersStart, int grpcHeadersEnd) {}

  @BeforeEach
  void start() throws IOException {
    harness = new TopologyHarness(stateDir);
    exchange = buildExchange();
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  static Exchange buildExchange() throws IOException {
    ByteArrayOutputStream client = new ByteArrayOutputStream();
    try (NettyHttp2Wire c = new NettyHttp2Wire(); NettyHttp2Wire s = new NettyHttp2Wire()) {
      client.writeBytes(c.preface().settings(new Http2Settings().initialWindowSize(1 << 20)).take());
      int grpcStart = client.size();
      client.writeBytes(c.headers(1, new DefaultHttp2Headers()
          .method("POST").scheme("https").authority("api.test").path("/helloworld.Greeter/SayHello")
          .add("content-type", "application/grpc").add("grpc-encoding", "gzip")
          .add("te", "trailers").add("user-agent", "grpc-java-netty/1.70"), 0, false).take());
      int grpcEnd = client.size();
      client.writeBytes(c.data(1, grpcMessage("hello-request", true), 0, true).take());
      // same user-agent and authority: this block refers to the dynamic table entries above
      client.writeBytes(c.headersWithPriority(3, new DefaultHttp2Headers()
          .method("GET").scheme("https").authority("api.test").path("/index.html")
          .add("user-agent", "grpc-java-netty/1.70").add("accept-encoding", "gzip"), 1, (short) 32, true)
          .take());
      client.writeBytes(c.headers(5, new DefaultHttp2Headers().method("GET").scheme("https")
          .authority("api.test").path("/slow"), 17, false).take());
      client.writeBytes(c.rstStream(5, Http2Error.CANCEL.code()).windowUpdate(0, 65535)
          .priority(7, 0, (short) 16).ping(false, 42).take());

      byte[] html = gzip(HTML.getBytes(StandardCharsets.UTF_8));
      int half = html.length / 2;
      ByteArrayOutputStream server = new ByteArrayOutputStream();
      server.writeBytes(s.settings(new Http2Settings().maxConcurrentStreams(100)).settingsAck().take());
      server.writeBytes(s.headers(3, new DefaultHttp2Headers().status("200")
          .add("content-type", "text/html").add("content-encoding", "gzip"), 0, false)
          .data(3, java.util.Arrays.copyOfRange(html, 0, half), 10, false)
          .data(3, java.util.Arrays.copyOfRange(html, half, html.length), 0, true).take());
      server.writeBytes(s.headers(1, new DefaultHttp2Headers().status("200")
          .add("content-type", "application/grpc").add("grpc-encoding", "gzip"), 0, false)
          .data(1, grpcMessage("hello-reply", true), 0, false)
          .headers(1, new DefaultHttp2Headers().add("grpc-status", "0")
              .add("grpc-message", "all%20good"), 0, true)
          .ping(true, 42).goAway(5, Http2Error.NO_ERROR.code()).take());
      return new Exchange(client.toByteArray(), server.toByteArray(), grpcStart, grpcEnd);
    }
  }

  @Test
  void everyFieldOfAMultiplexedExchangeIsParsed() {
    RawEvents events = new RawEvents("h2-whole");
    harness.send(events.data(Direction.WRITE, 0, exchange.client(), 0));
    harness.send(events.data(Direction.READ, 0, exchange.server(), 1_000_000));
    List<ParsedMessage> out = harness.output();
    assertEquals(5, out.size(), out.toString());

    ParsedMessage grpcCall = out.get(0);
    assertEquals(Protocol.GRPC, grpcCall.getProtocol());
    assertEquals(MessageKind.REQUEST, grpcCall.getKind());
    assertEquals(1, grpcCall.getHttp2StreamId());
    assertEquals("POST", grpcCall.getHttp().getMethod());
    assertEquals("/helloworld.Greeter/SayHello", grpcCall.getHttp().getPath());
    assertEquals("api.test", grpcCall.getHttp().getAuthority());
    GrpcFields call = grpcCall.getGrpc();
    assertEquals("helloworld.Greeter", call.getService());
    assertEquals("SayHello", call.getMethod());
    assertEquals("gzip", call.getEncoding());
    assertEquals(1, call.getMessagesCount());
    assertTrue(call.getMessages(0).getCompressed());
    assertTrue(call.getMessages(0).getDecoded());
    assertEquals("hello-request", call.getMessages(0).getData().toStringUtf8());
    assertFalse(call.getMessagesTruncated());
    assertTrue(ParsedText.rendered(grpcCall).toStringUtf8().contains("hello-request"),
        "the display shows the decompressed message");

    ParsedMessage page = out.get(1);
    assertEquals(Protocol.HTTP2, page.getProtocol());
    assertEquals("/index.html", page.getHttp().getPath());
    assertEquals("grpc-java-netty/1.70", header(page, "user-agent"));
    assertEquals("gzip", header(page, "accept-encoding"));

    ParsedMessage reset = out.get(2);
    assertEquals(5, reset.getHttp2StreamId());
    assertEquals("/slow", reset.getHttp().getPath());
    assertTrue(reset.getHttp2Reset());
    assertEquals(Http2Error.CANCEL.code(), reset.getHttp2ErrorCode());
    assertTrue(reset.getHttp().getBodyTruncated());

    ParsedMessage pageResponse = out.get(3);
    assertEquals(MessageKind.RESPONSE, pageResponse.getKind());
    assertEquals(3, pageResponse.getHttp2StreamId());
    assertEquals(page.getPairId(), pageResponse.getPairId());
    assertEquals(200, pageResponse.getHttp().getStatus());
    assertTrue(pageResponse.getHttp().getBodyDecoded());
    assertEquals(HTML, pageResponse.getHttp().getBody().toStringUtf8(), "padding removed, gzip undone");

    ParsedMessage grpcReply = out.get(4);
    assertEquals(Protocol.GRPC, grpcReply.getProtocol());
    assertEquals(grpcCall.getPairId(), grpcReply.getPairId());
    GrpcFields reply = grpcReply.getGrpc();
    assertTrue(reply.getHasStatus());
    assertEquals(0, reply.getStatus());
    assertEquals("all good", reply.getStatusMessage());
    assertEquals("hello-reply", reply.getMessages(0).getData().toStringUtf8());

    // client: SETTINGS, WINDOW_UPDATE, PRIORITY, PING; server: SETTINGS, ACK, PING ack, GOAWAY
    assertEquals(8, harness.metrics.http2ControlFrames());
    assertEquals(0, harness.metrics.hpackTablesLost());
  }

  /**
   * The client stream cut in two at every byte boundary (so every frame header, HPACK block,
   * padding byte and gRPC prefix is split once) gives the same messages as the whole stream.
   */
  @Test
  void everySplitPointOfTheClientStreamGivesTheSameMessages() {
    RawEvents whole = new RawEvents("h2-ref");
    harness.send(whole.data(Direction.WRITE, 0, exchange.client(), 0));
    harness.send(whole.data(Direction.READ, 0, exchange.server(), 0));
    List<ParsedMessage> expected = normalized(harness.output());
    assertEquals(5, expected.size());
    for (int cut = 1; cut < exchange.client().length; cut++) {
      RawEvents events = new RawEvents("h2-split-" + cut);
      harness.sendSplit(events, Direction.WRITE, 0, exchange.client(), cut);
      harness.sendSplit(events, Direction.READ, 0, exchange.server(), exchange.server().length - cut % 97);
      assertEquals(expected, normalized(harness.output()), "split at byte " + cut);
    }
    assertEquals(0, harness.metrics.hpackTablesLost());
  }

  /**
   * A lost header block (capture gap) loses the HPACK table with it: the next block, which
   * refers to entries the lost one added, is flagged instead of decoded against a wrong table.
   */
  @Test
  void aLostHeaderBlockMakesLaterBlocksFlaggedNotWrong() {
    RawEvents events = new RawEvents("h2-gap");
    byte[] client = exchange.client();
    harness.send(events.data(Direction.WRITE, 0,
        java.util.Arrays.copyOfRange(client, 0, exchange.grpcHeadersStart()), 0));
    harness.send(events.data(Direction.WRITE, exchange.grpcHeadersEnd(),
        java.util.Arrays.copyOfRange(client, exchange.grpcHeadersEnd(), client.length), 10));
    harness.idle(Duration.ofSeconds(2)); // the hole becomes a gap
    List<ParsedMessage> out = harness.output();
    ParsedMessage page = out.stream().filter(m -> m.getHttp2StreamId() == 3).findFirst().orElseThrow();
    assertEquals(0, page.getHttp().getHeadersCount(), "no headers guessed from a lost table");
    assertTrue(ParsedText.rendered(page).toStringUtf8().contains("HPACK table state unknown"));
    assertTrue(harness.metrics.hpackTablesLost() >= 1);
    assertTrue(harness.metrics.gaps() >= 1);
  }

  private static String header(ParsedMessage message, String name) {
    return message.getHttp().getHeadersList().stream().filter(h -> h.getName().equals(name))
        .map(Header::getValue).findFirst().orElse(null);
  }

  /** Without what differs per connection and per split: ids and capture times. */
  static List<ParsedMessage> normalized(List<ParsedMessage> messages) {
    List<ParsedMessage> out = new ArrayList<>();
    for (ParsedMessage m : messages) {
      out.add(m.toBuilder().clearConnectionId().clearFirstByteTimeNs().clearLastByteTimeNs()
          .clearLatencyNs().setPairId(m.getPairId().substring(m.getPairId().indexOf('#'))).build());
    }
    return out;
  }

  /** gRPC Length-Prefixed-Message, its bytes gzip-compressed when {@code compressed}. */
  static byte[] grpcMessage(String text, boolean compressed) throws IOException {
    byte[] data = text.getBytes(StandardCharsets.UTF_8);
    byte[] body = compressed ? gzip(data) : data;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(compressed ? 1 : 0);
    out.write(body.length >>> 24);
    out.write(body.length >>> 16);
    out.write(body.length >>> 8);
    out.write(body.length);
    out.writeBytes(body);
    return out.toByteArray();
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }
}
