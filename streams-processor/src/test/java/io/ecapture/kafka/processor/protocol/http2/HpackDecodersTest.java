package io.ecapture.kafka.processor.protocol.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import io.ecapture.kafka.processor.fuzz.Fuzz;
import org.junit.jupiter.api.Test;

/** HPACK through Netty's decoder: RFC 7541 Appendix C.3 as data, lost tables, hostile blocks. */
class HpackDecodersTest {
  // RFC 7541 C.3.1-C.3.3: three requests on one connection, without Huffman coding
  private static final byte[] C31 = hex("828684410f7777772e6578616d706c652e636f6d");
  private static final byte[] C32 = hex("828684be58086e6f2d6361636865");
  private static final byte[] C33 = hex("828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565");

  private final HpackDecoders decoders = hpack(65536, new ProcessorMetrics());
  private final Map<String, ProcessorDirectionState.Builder> states = new HashMap<>();

  @Test
  void rfc7541AppendixC3DecodesWithTheDynamicTableCarriedOver() {
    assertEquals("www.example.com", value(decode("c", C31), ":authority"));
    List<Header> second = decode("c", C32);
    assertEquals("www.example.com", value(second, ":authority"), "index 62 from the table");
    assertEquals("no-cache", value(second, "cache-control"));
    List<Header> third = decode("c", C33);
    assertEquals("/index.html", value(third, ":path"));
    assertEquals("www.example.com", value(third, ":authority"), "index 63 after one insert");
    assertEquals("custom-value", value(third, "custom-key"));
  }

  /** RFC 7541 C.3.3 lists the table after the third request: the state holds exactly it. */
  @Test
  void theStateHoldsTheDynamicTableOldestFirst() {
    decode("c", C31);
    decode("c", C32);
    decode("c", C33);
    ProcessorDirectionState.Builder dir = state("c", Direction.WRITE);
    assertEquals(List.of(field(":authority", "www.example.com"), field("cache-control", "no-cache"),
        field("custom-key", "custom-value")), dir.getHpackEntriesList());
    assertEquals(164, PersistedHpackTable.size(dir), "RFC 7541 C.3.3: table size 164");
    assertFalse(dir.hasHpackTableMaxSize(), "default size, no update seen");
  }

  /**
   * A restart: a new decoder set (nothing in memory) over the state as the store gives it back
   * (serialized and parsed) decodes C.3.2 and C.3.3, which refer to entries C.3.1 added.
   */
  @Test
  void aNewInstanceRebuildsTheTableFromTheState() throws Exception {
    decode("c", C31);
    ProcessorMetrics metrics = new ProcessorMetrics();
    HpackDecoders restarted = hpack(65536, metrics);
    ProcessorDirectionState.Builder dir =
        ProcessorDirectionState.parseFrom(state("c", Direction.WRITE).build().toByteArray()).toBuilder();
    HpackDecoders.Decoded second = restarted.decode("c", Direction.WRITE, dir, 3, C32);
    assertFalse(second.tableLost());
    assertEquals("www.example.com", value(second.headers(), ":authority"));
    assertEquals("no-cache", value(second.headers(), "cache-control"));
    HpackDecoders.Decoded third = restarted.decode("c", Direction.WRITE, dir, 5, C33);
    assertEquals("www.example.com", value(third.headers(), ":authority"));
    assertEquals("custom-value", value(third.headers(), "custom-key"));
    assertEquals(1, metrics.contextsRestored(), "rebuilt once, then kept in memory");
  }

  /**
   * Netty's encoder (Huffman coding, small tables with size updates, so entries are evicted)
   * writes random header lists; the decoder is dropped from memory at random points and rebuilt
   * from the serialized state. Every block decodes to exactly what was encoded.
   */
  @Test
  void encoderBlocksDecodeAcrossRandomRestarts() {
    Fuzz.run(60, r -> {
      try {
        encodeAndDecodeWithRestarts(r);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  private static void encodeAndDecodeWithRestarts(java.util.Random r) throws Exception {
      DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder(
          Http2HeadersEncoder.NEVER_SENSITIVE, false, 32, 0);
      ProcessorDirectionState.Builder dir = ProcessorDirectionState.newBuilder();
      HpackDecoders live = hpack(1 << 20, new ProcessorMetrics());
      for (int block = 0; block < 40; block++) {
        if (r.nextInt(8) == 0) {
          encoder.maxHeaderTableSize(List.of(0L, 64L, 256L, 4096L, 8192L).get(r.nextInt(5)));
        }
        DefaultHttp2Headers headers = new DefaultHttp2Headers();
        headers.method(r.nextBoolean() ? "GET" : "POST").path("/p" + r.nextInt(6));
        for (int i = r.nextInt(6); i > 0; i--) {
          headers.add("x-h" + r.nextInt(8), "v" + "é".repeat(r.nextInt(3)) + r.nextInt(10));
        }
        ByteBuf out = Unpooled.buffer();
        encoder.encodeHeaders(block, headers, out);
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        out.release();
        if (r.nextInt(4) == 0) {
          live = hpack(1 << 20, new ProcessorMetrics());
          dir = ProcessorDirectionState.parseFrom(dir.build().toByteArray()).toBuilder();
        }
        HpackDecoders.Decoded decoded = live.decode("f", Direction.READ, dir, block, bytes);
        assertFalse(decoded.tableLost(), "block " + block);
        List<Header> expected = new java.util.ArrayList<>();
        headers.forEach(h -> expected.add(field(h.getKey().toString(), h.getValue().toString())));
        assertEquals(expected, decoded.headers(), "block " + block); // é is one octet, 0xe9
        assertTrue(PersistedHpackTable.size(dir) <= PersistedHpackTable.maxSize(dir));
      }
  }

  @Test
  void aBlockReferringToAnUnseenEntryLosesTheTableInsteadOfGuessing() {
    HpackDecoders.Decoded decoded = decoders.decode("joined-late", Direction.WRITE,
        state("joined-late", Direction.WRITE), 3, C32);
    assertNull(decoded.headers());
    assertTrue(decoded.tableLost());
  }

  @Test
  void afterALossAFreshTableDecodesEveryBlockThatDoesNotReferToLostEntries() {
    assertTrue(decodeLossy("c", Direction.WRITE, C32).tableLost()); // refers to C31's entry
    assertEquals("www.example.com", value(decode("c", C31), ":authority"), "static + literal");
    assertEquals("no-cache", value(decode("c", C32), "cache-control"), "entry added after the loss");
  }

  @Test
  void directionsAndConnectionsHaveTheirOwnTables() {
    decode("a", C31);
    assertTrue(decodeLossy("a", Direction.READ, C32).tableLost(), "other direction");
    assertTrue(decodeLossy("b", Direction.WRITE, C32).tableLost(), "other connection");
    assertFalse(decodeLossy("a", Direction.WRITE, C32).tableLost());
  }

  @Test
  void arbitraryBlocksNeverThrowAndStayUnderTheHeaderListLimit() {
    Fuzz.run(300, r -> {
      HpackDecoders small = hpack(1024, new ProcessorMetrics());
      HpackDecoders.Decoded decoded = small.decode("x", Direction.WRITE,
          ProcessorDirectionState.newBuilder(), 1, Fuzz.bytes(r, 600));
      if (decoded.headers() != null) {
        long size = decoded.headers().stream()
            .mapToLong(h -> h.getName().length() + h.getValue().length() + 32).sum();
        assertTrue(size <= 1024, "header list of " + size);
      }
    });
  }

  /** Decoders as the processor makes them, with {@code maxHeaderListBytes}. */
  private static HpackDecoders hpack(long maxHeaderListBytes, ProcessorMetrics metrics) {
    return new HpackDecoders(maxHeaderListBytes, ProcessorLimits.DEFAULT_MAX_HPACK_TABLE_BYTES,
        ProcessorLimits.DEFAULT_MAX_HPACK_DECODERS, metrics);
  }

  private List<Header> decode(String connection, byte[] block) {
    HpackDecoders.Decoded decoded = decodeLossy(connection, Direction.WRITE, block);
    assertFalse(decoded.tableLost());
    return decoded.headers();
  }

  /** As {@link Http2StreamAssembler} does: a lost table restarts empty, in memory and state. */
  private HpackDecoders.Decoded decodeLossy(String connection, Direction direction, byte[] block) {
    ProcessorDirectionState.Builder dir = state(connection, direction);
    HpackDecoders.Decoded decoded = decoders.decode(connection, direction, dir, 1, block);
    if (decoded.tableLost()) {
      decoders.forget(connection, direction, dir);
    }
    return decoded;
  }

  private ProcessorDirectionState.Builder state(String connection, Direction direction) {
    return states.computeIfAbsent(connection + "/" + direction,
        k -> ProcessorDirectionState.newBuilder());
  }

  private static Header field(String name, String value) {
    return Header.newBuilder().setName(name).setValue(value).build();
  }

  private static String value(List<Header> headers, String name) {
    return headers.stream().filter(h -> h.getName().equals(name)).map(Header::getValue)
        .findFirst().orElse(null);
  }

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s);
  }
}
