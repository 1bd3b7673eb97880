package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Header;
import java.util.HexFormat;
import java.util.List;
import io.ecapture.kafka.processor.fuzz.Fuzz;
import org.junit.jupiter.api.Test;

/** HPACK through Netty's decoder: RFC 7541 Appendix C.3 as data, lost tables, hostile blocks. */
class HpackDecodersTest {
  // RFC 7541 C.3.1-C.3.3: three requests on one connection, without Huffman coding
  private static final byte[] C31 = hex("828684410f7777772e6578616d706c652e636f6d");
  private static final byte[] C32 = hex("828684be58086e6f2d6361636865");
  private static final byte[] C33 = hex("828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565");

  private final HpackDecoders decoders = new HpackDecoders(65536);

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

  @Test
  void aBlockReferringToAnUnseenEntryLosesTheTableInsteadOfGuessing() {
    HpackDecoders.Decoded decoded = decoders.decode("joined-late", Direction.WRITE, 3, C32);
    assertNull(decoded.headers());
    assertTrue(decoded.tableLost());
  }

  @Test
  void afterALossAFreshTableDecodesEveryBlockThatDoesNotReferToLostEntries() {
    assertTrue(decoders.decode("c", Direction.WRITE, 1, C32).tableLost()); // refers to C31's entry
    assertEquals("www.example.com", value(decode("c", C31), ":authority"), "static + literal");
    assertEquals("no-cache", value(decode("c", C32), "cache-control"), "entry added after the loss");
  }

  @Test
  void directionsAndConnectionsHaveTheirOwnTables() {
    decode("a", C31);
    assertTrue(decoders.decode("a", Direction.READ, 1, C32).tableLost(), "other direction");
    assertTrue(decoders.decode("b", Direction.WRITE, 1, C32).tableLost(), "other connection");
    assertFalse(decoders.decode("a", Direction.WRITE, 3, C32).tableLost());
  }

  @Test
  void arbitraryBlocksNeverThrowAndStayUnderTheHeaderListLimit() {
    Fuzz.run(300, r -> {
      HpackDecoders small = new HpackDecoders(1024);
      HpackDecoders.Decoded decoded = small.decode("x", Direction.WRITE, 1, Fuzz.bytes(r, 600));
      if (decoded.headers() != null) {
        long size = decoded.headers().stream()
            .mapToLong(h -> h.getName().length() + h.getValue().length() + 32).sum();
        assertTrue(size <= 1024, "header list of " + size);
      }
    });
  }

  private List<Header> decode(String connection, byte[] block) {
    HpackDecoders.Decoded decoded = decoders.decode(connection, Direction.WRITE, 1, block);
    assertFalse(decoded.tableLost());
    return decoded.headers();
  }

  private static String value(List<Header> headers, String name) {
    return headers.stream().filter(h -> h.getName().equals(name)).map(Header::getValue)
        .findFirst().orElse(null);
  }

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s);
  }
}
