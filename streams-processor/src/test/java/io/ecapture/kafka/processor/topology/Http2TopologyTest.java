package io.ecapture.kafka.processor.topology;

import static io.ecapture.kafka.processor.topology.TopologyBytes.HPACK_C31;
import static io.ecapture.kafka.processor.topology.TopologyBytes.HPACK_C32;
import static io.ecapture.kafka.processor.topology.TopologyBytes.HPACK_C33;
import static io.ecapture.kafka.processor.topology.TopologyBytes.HPACK_C51;
import static io.ecapture.kafka.processor.topology.TopologyBytes.concat;
import static io.ecapture.kafka.processor.topology.TopologyBytes.h2;
import static io.ecapture.kafka.processor.topology.TopologyBytes.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.protocol.http2.Http2FrameParser;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 through the topology: streams with one HPACK table per direction (RFC 7541 Appendix C),
 * CONTINUATION, pairing by stream id, an open stream flushed at idle.
 */
class Http2TopologyTest extends HarnessTopologyTest {
  @Test
  void anHttp2BodyPastTheBodyLimitIsCutAndSaysSo() {
    harness.close();
    harness = new TopologyHarness(stateDir,
        io.ecapture.kafka.processor.ProcessorLimits.builder().maxBodyBytes(64 << 10).build());
    java.util.HexFormat hex = java.util.HexFormat.of();
    // a response on stream 3 (RFC 7541 C.5.1 headers: 302), 100 000 bytes of DATA in 16 KiB frames
    byte[] body = "0123456789".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
    byte[] server = concat(h2(0x4, 0, 0, new byte[0]), h2(0x1, 0x4, 3, hex.parseHex(HPACK_C51)));
    for (int pos = 0; pos < body.length; pos += 16384) {
      boolean last = pos + 16384 >= body.length;
      server = concat(server, h2(0x0, last ? 0x1 : 0, 3, slice(body, pos, Math.min(body.length, pos + 16384))));
    }
    harness.send(events.data(Direction.READ, 0, server, 0));

    ParsedMessage m = harness.parsed().readValue();
    assertEquals(302, m.getHttp().getStatus());
    assertTrue(m.getHttp().getBodyTruncated());
    assertTrue(m.getHttp().getBodyLimitExceeded());
    assertEquals(body.length, m.getHttp().getBodyOriginalLength());
    assertEquals(64 << 10, m.getHttp().getBody().size());
    assertTrue(ParsedText.rendered(m).toStringUtf8().endsWith("\n[ecapture-kafka: body cut at the "
        + "processor's body limit, " + (64 << 10) + " of " + body.length + " bytes kept]"));
  }

  @Test
  void http2StreamsAreParsedWithOneHpackTableAndPairedByStreamId() {
    java.util.HexFormat hex = java.util.HexFormat.of();
    int endHeaders = 0x4;
    int endStream = 0x1;
    byte[] client = concat(concat(concat(concat(concat(
        Http2FrameParser.CLIENT_PREFACE,
        h2(0x4, 0, 0, new byte[0])),
        h2(0x1, endHeaders | endStream, 1, hex.parseHex(HPACK_C31))),
        h2(0x1, endHeaders, 3, hex.parseHex(HPACK_C32))),
        h2(0x0, endStream, 3, "abc".getBytes(StandardCharsets.US_ASCII))),
        // C.3.3's block split over HEADERS + CONTINUATION
        concat(h2(0x1, endStream, 5, hex.parseHex(HPACK_C33.substring(0, 20))),
            h2(0x9, endHeaders, 5, hex.parseHex(HPACK_C33.substring(20)))));
    byte[] server = concat(concat(concat(
        h2(0x4, 0, 0, new byte[0]),
        h2(0x1, endHeaders, 3, hex.parseHex(HPACK_C51))),
        h2(0x0, endStream, 3, "moved".getBytes(StandardCharsets.US_ASCII))),
        h2(0x1, endHeaders | endStream, 1, new byte[] {(byte) 0x88}));
    // the client bytes in random pieces, as several SSL_write calls would deliver them
    Random random = new Random(11);
    int pos = 0;
    while (pos < client.length) {
      int length = 1 + random.nextInt(Math.min(30, client.length - pos));
      harness.send(events.data(Direction.WRITE, pos, slice(client, pos, pos + length), pos));
      pos += length;
    }
    harness.send(events.data(Direction.READ, 0, server, 1000));

    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(5, out.size());
    ParsedMessage get1 = out.get(0);
    assertEquals(Protocol.HTTP2, get1.getProtocol());
    assertEquals(MessageKind.REQUEST, get1.getKind());
    assertEquals(1, get1.getHttp2StreamId());
    assertEquals("GET", get1.getHttp().getMethod());
    assertEquals("/", get1.getHttp().getPath());
    assertEquals("www.example.com", get1.getHttp().getAuthority());
    ParsedMessage get3 = out.get(1);
    assertEquals("www.example.com", get3.getHttp().getAuthority()); // from the dynamic table
    assertTrue(get3.getHttp().getHeadersList().stream()
        .anyMatch(h -> h.getName().equals("cache-control") && h.getValue().equals("no-cache")));
    assertEquals("abc", get3.getHttp().getBody().toStringUtf8());
    ParsedMessage get5 = out.get(2);
    assertEquals("/index.html", get5.getHttp().getPath());
    assertTrue(get5.getHttp().getHeadersList().stream().anyMatch(h -> h.getName().equals("custom-key")));
    ParsedMessage moved = out.get(3);
    assertEquals(MessageKind.RESPONSE, moved.getKind());
    assertEquals(302, moved.getHttp().getStatus());
    assertEquals("moved", moved.getHttp().getBody().toStringUtf8());
    assertEquals(get3.getPairId(), moved.getPairId());
    ParsedMessage ok = out.get(4);
    assertEquals(200, ok.getHttp().getStatus());
    assertEquals(get1.getPairId(), ok.getPairId());
    assertTrue(ParsedText.rendered(ok).toStringUtf8().startsWith("HTTP/2 200\r\n"));
    assertTrue(ParsedText.rendered(get1).toStringUtf8().startsWith("GET / HTTP/2\r\n"));
  }

  @Test
  void anOpenHttp2StreamIsFlushedTruncatedWhenIdle() {
    byte[] client = concat(Http2FrameParser.CLIENT_PREFACE,
        concat(h2(0x1, 0x4, 1, java.util.HexFormat.of().parseHex(HPACK_C31)),
            h2(0x0, 0, 1, "partial".getBytes(StandardCharsets.US_ASCII))));
    harness.send(events.data(Direction.WRITE, 0, client, 0));
    assertTrue(harness.parsed().isEmpty());
    harness.idle(1000);
    ParsedMessage message = harness.parsed().readValue();
    assertEquals("GET", message.getHttp().getMethod());
    assertEquals("partial", message.getHttp().getBody().toStringUtf8());
    assertTrue(message.getHttp().getBodyTruncated());
  }
}
