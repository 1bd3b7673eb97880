package io.ecapture.kafka.processor.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.common.HexDump;
import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ParseStatus;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import io.ecapture.kafka.processor.protocol.grpc.GrpcFrame;
import io.ecapture.kafka.processor.protocol.grpc.GrpcFrameParser;
import io.ecapture.kafka.processor.protocol.http.BodyDecoder;
import io.ecapture.kafka.processor.protocol.http.DecodedBody;
import io.ecapture.kafka.processor.protocol.http1.Http1Message;
import io.ecapture.kafka.processor.protocol.http1.Http1Parser;
import io.ecapture.kafka.processor.protocol.http1.Http1Text;
import io.ecapture.kafka.processor.protocol.http2.Http2Frame;
import io.ecapture.kafka.processor.protocol.http2.Http2FrameParser;
import io.ecapture.kafka.processor.protocol.websocket.MessageInflater;
import io.ecapture.kafka.processor.protocol.websocket.PerMessageDeflate;
import io.ecapture.kafka.processor.protocol.websocket.WebSocketFrame;
import io.ecapture.kafka.processor.protocol.websocket.WebSocketFrameParser;
import io.ecapture.kafka.processor.protocol.websocket.WebSocketText;
import io.ecapture.kafka.processor.render.TextRenderer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every parser on arbitrary bytes and on mutated real messages: no exception escapes, the
 * result obeys the {@link ProtocolParser} contract, and nothing kept exceeds its limit.
 */
class ParserFuzzTest {
  /** Small limits, so that arbitrary inputs reach them. */
  static final ProcessorLimits LIMITS = ProcessorLimits.builder().maxStartLineBytes(256)
      .maxHeaderBytes(1024).maxBodyBytes(2048).maxBufferedBytes(4096).maxOutOfOrderBytes(4096)
      .maxHttp2FrameBytes(16384).maxRenderedBytes(1024).build();

  private final Http1Parser http1 = new Http1Parser(LIMITS);
  private final Http2FrameParser http2 = new Http2FrameParser(LIMITS.maxHttp2FrameBytes(), LIMITS.maxBodyBytes());
  private final WebSocketFrameParser webSocket = new WebSocketFrameParser(LIMITS.maxBodyBytes());
  private final GrpcFrameParser grpc = new GrpcFrameParser(LIMITS.maxBodyBytes(),
      LIMITS.maxGrpcMessages());
  private final BodyDecoder bodies = new BodyDecoder(LIMITS.maxBodyBytes());

  @Test
  void http1HonoursTheContract() {
    Fuzz.run(400, r -> http1HonoursTheContract(input(r), r.nextBoolean()));
  }

  private void http1HonoursTheContract(byte[] data, boolean atEnd) {
    ParseResult<Http1Message> result = checkContract(http1, data, atEnd);
    if (result.status() == ParseStatus.SUCCESS) {
      Http1Message message = result.message();
      assertTrue(message.body().length <= LIMITS.maxBodyBytes());
      int headerBytes = message.headers().stream()
          .mapToInt(h -> h.name().length() + h.value().length()).sum();
      assertTrue(headerBytes <= LIMITS.maxHeaderBytes(), "headers kept: " + headerBytes);
      assertNotNull(Http1Text.render(message, message.body(), LIMITS.maxRenderedBytes()));
    }
  }

  @Test
  void http2FramesHonourTheContract() {
    Fuzz.run(400, r -> {
      ParseResult<Http2Frame> result = checkContract(http2, input(r), r.nextBoolean());
      if (result.status() == ParseStatus.SUCCESS) {
        assertTrue(result.message().payload().length <= LIMITS.maxBodyBytes());
      }
    });
  }

  @Test
  void webSocketFramesHonourTheContract() {
    Fuzz.run(400, r -> {
      ParseResult<WebSocketFrame> result = checkContract(webSocket, input(r), r.nextBoolean());
      if (result.status() == ParseStatus.SUCCESS) {
        WebSocketFrame frame = result.message();
        assertTrue(frame.payload().length <= LIMITS.maxBodyBytes());
        assertNotNull(WebSocketText.render(frame, LIMITS.maxRenderedBytes()));
      }
    });
  }

  @Test
  void grpcMessagesHonourTheContract() {
    Fuzz.run(400, r -> {
      byte[] data = input(r);
      ParseResult<GrpcFrame> result = checkContract(grpc, data, r.nextBoolean());
      if (result.status() == ParseStatus.SUCCESS) {
        assertTrue(result.message().payload().length <= LIMITS.maxBodyBytes());
      }
      GrpcFrameParser.Split split = grpc.split(data, true);
      assertTrue(split.frames().size() <= LIMITS.maxGrpcMessages());
    });
  }

  @Test
  void bodyDecodingNeverThrowsAndStaysUnderTheLimit() {
    Fuzz.run(300, r -> {
      byte[] data = input(r);
      DecodedBody body = bodies.decode(Fuzz.pick(r, CODINGS), data);
      assertTrue(body.bytes().length <= Math.max(LIMITS.maxBodyBytes(), data.length));
    });
  }

  @Test
  void inflatingArbitraryBytesNeverThrowsAndStaysBounded() {
    Fuzz.run(300, r -> {
      try (MessageInflater inflater =
          new MessageInflater(LIMITS.maxBodyBytes(),
              (long) LIMITS.maxInflateFactor() * LIMITS.maxBodyBytes())) {
        MessageInflater.Result result = inflater.inflate(input(r), r.nextBoolean(), r.nextBoolean());
        assertTrue(result.bytes().length <= LIMITS.maxBodyBytes());
        if (!result.ok()) {
          assertTrue(result.contextLost() || result.truncated());
        }
      }
    });
  }

  @Test
  void renderingArbitraryBytesIsBounded() {
    Fuzz.run(200, r -> {
      byte[] data = input(r);
      byte[] text = TextRenderer.unknown(data, LIMITS.maxRenderedBytes()).bytes();
      // the limit, plus a short note of what was left out
      assertTrue(text.length <= LIMITS.maxRenderedBytes() + 256, "rendered " + text.length);
      assertNotNull(HexDump.dump(data));
    });
  }

  @Test
  void extensionHeadersNeverThrow() {
    Fuzz.run(200, r -> assertNotNull(PerMessageDeflate.fromResponseHeader(headerValue(r))));
  }

  /** Parses at every start offset of the input; checks what every result must satisfy. */
  static <M> ParseResult<M> checkContract(ProtocolParser<M> parser, byte[] data,
      boolean atEnd) {
    ParseResult<M> first = null;
    for (int from = 0; from <= Math.min(data.length, 8); from++) {
      parser.detect(data, from, data.length);
      int boundary = parser.findBoundary(data, from, data.length);
      assertTrue(boundary == -1 || (boundary >= from && boundary < data.length),
          "boundary " + boundary);
      ParseResult<M> result = parser.parse(data, from, data.length, atEnd, ParseContext.NONE);
      assertNotNull(result);
      switch (result.status()) {
        case SUCCESS -> {
          assertNotNull(result.message());
          assertTrue(result.consumed() > 0 && result.consumed() <= data.length - from,
              "consumed " + result.consumed() + " of " + (data.length - from));
          assertTrue(result.bytesStillExpected() >= 0);
        }
        case NEEDS_MORE_DATA -> assertTrue(!atEnd, "NEEDS_MORE_DATA at end of input");
        case INVALID -> assertNotNull(result.error());
      }
      if (first == null) {
        first = result;
      }
    }
    return first;
  }

  private static final List<String> CODINGS = List.of("gzip", "deflate", "br", "zstd", "identity",
      "gzip, br", "x-gzip", "zstd, gzip", "unknown", "");

  private static final List<String> EXTENSION_HEADERS = List.of("permessage-deflate",
      "permessage-deflate; server_no_context_takeover",
      "x-webkit-deflate-frame, permessage-deflate;client_no_context_takeover;;=",
      ";;;,,,", "permessage-deflate; client_max_window_bits=15");

  /** Arbitrary bytes, or a real message of some protocol with random mutations. */
  private static byte[] input(Random random) {
    return random.nextBoolean() ? Fuzz.bytes(random, 3000) : Mutations.of(Samples.ALL, random);
  }

  private static String headerValue(Random random) {
    return random.nextBoolean()
        ? Fuzz.text(random, "permessage-deflate_client_server_no_context_takeover max_window_bits=15;, ", 80)
        : Fuzz.pick(random, EXTENSION_HEADERS);
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void samplesThemselvesParse() {
    // sanity: unmutated samples are well-formed for at least one parser
    for (byte[] sample : Samples.ALL) {
      boolean any = http1.parse(sample, 0, sample.length, true, ParseContext.NONE).status() == ParseStatus.SUCCESS
          || http2.parse(sample, 0, sample.length, true, ParseContext.NONE).status() == ParseStatus.SUCCESS
          || webSocket.parse(sample, 0, sample.length, true, ParseContext.NONE).status() == ParseStatus.SUCCESS;
      assertEquals(true, any);
    }
  }
}
