package io.ecapture.kafka.processor.protocol.websocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ParseStatus;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Frames from the examples of RFC 6455 §5.7, then hostile ones. */
class WebSocketFrameParserTest {
  private final WebSocketFrameParser parser = new WebSocketFrameParser(1 << 20);

  private ParseResult<WebSocketFrame> parse(byte[] data, boolean atEnd) {
    return parser.parse(data, 0, data.length, atEnd, ParseContext.NONE);
  }

  @Test
  void unmaskedTextFrame() {
    ParseResult<WebSocketFrame> result = parse(hex("810548656c6c6f"), false);
    assertEquals(ParseStatus.SUCCESS, result.status());
    WebSocketFrame frame = result.message();
    assertTrue(frame.fin());
    assertEquals(WebSocketFrame.TEXT, frame.opcode());
    assertFalse(frame.masked());
    assertEquals("Hello", new String(frame.payload(), StandardCharsets.UTF_8));
    assertEquals(7, result.consumed());
  }

  @Test
  void maskedTextFrameIsUnmasked() {
    ParseResult<WebSocketFrame> result = parse(hex("818537fa213d7f9f4d5158"), false);
    assertTrue(result.message().masked());
    assertEquals("Hello", new String(result.message().payload(), StandardCharsets.UTF_8));
    assertEquals(11, result.consumed());
  }

  @Test
  void fragmentedMessageGivesOneFramePerFragment() {
    byte[] data = hex("010348656c80026c6f");
    ParseResult<WebSocketFrame> first = parser.parse(data, 0, data.length, false, ParseContext.NONE);
    ParseResult<WebSocketFrame> second =
        parser.parse(data, first.consumed(), data.length, false, ParseContext.NONE);
    assertFalse(first.message().fin());
    assertEquals("Hel", new String(first.message().payload(), StandardCharsets.UTF_8));
    assertTrue(second.message().fin());
    assertEquals(WebSocketFrame.CONTINUATION, second.message().opcode());
    assertEquals("lo", new String(second.message().payload(), StandardCharsets.UTF_8));
  }

  @Test
  void pingAndMaskedPong() {
    assertEquals(WebSocketFrame.PING, parse(hex("890548656c6c6f"), false).message().opcode());
    WebSocketFrame pong = parse(hex("8a8537fa213d7f9f4d5158"), false).message();
    assertEquals("pong", pong.opcodeName());
    assertEquals("Hello", new String(pong.payload(), StandardCharsets.UTF_8));
  }

  @Test
  void sixteenAndSixtyFourBitLengths() {
    byte[] medium = new byte[4 + 256];
    System.arraycopy(hex("827e0100"), 0, medium, 0, 4);
    assertEquals(256, parse(medium, false).message().payloadLength());
    byte[] large = new byte[10 + 65536];
    System.arraycopy(hex("827f0000000000010000"), 0, large, 0, 10);
    ParseResult<WebSocketFrame> result = parse(large, false);
    assertEquals(65536, result.message().payload().length);
    assertEquals(large.length, result.consumed());
  }

  @Test
  void everySplitPointNeedsMoreData() {
    byte[] data = hex("818537fa213d7f9f4d5158");
    for (int split = 0; split < data.length; split++) {
      assertEquals(ParseStatus.NEEDS_MORE_DATA,
          parser.parse(data, 0, split, false, ParseContext.NONE).status(), "split " + split);
    }
  }

  @Test
  void frameCutAtEndIsTruncatedAndAnnouncesTheRest() {
    byte[] data = hex("8205010203");
    ParseResult<WebSocketFrame> result = parse(data, true);
    assertEquals(ParseStatus.SUCCESS, result.status());
    assertTrue(result.message().truncated());
    assertArrayEquals(new byte[] {1, 2, 3}, result.message().payload());
    assertEquals(2, result.bytesStillExpected());
  }

  @Test
  void closeFrameCarriesItsStatusCode() {
    WebSocketFrame close = parse(hex("880203e8"), false).message();
    assertEquals(1000, close.closeCode());
  }

  @Test
  void reservedOpcodeIsInvalid() {
    assertEquals(ParseStatus.INVALID, parse(hex("8300"), false).status());
  }

  @Test
  void fragmentedOrOversizedControlFrameIsInvalid() {
    assertEquals(ParseStatus.INVALID, parse(hex("0900"), false).status());
    assertEquals(ParseStatus.INVALID, parse(hex("897e0080"), false).status());
  }

  @Test
  void nonMinimalOrNegativeLengthsAreInvalid() {
    assertEquals(ParseStatus.INVALID, parse(hex("827e0005"), false).status());
    assertEquals(ParseStatus.INVALID, parse(hex("827f8000000000000000"), false).status());
    assertEquals(ParseStatus.INVALID, parse(hex("827f0000000000000005"), false).status());
  }

  @Test
  void hugeAnnouncedLengthDoesNotAllocateIt() {
    // 2^40 bytes announced, 3 present: the parser must wait, not allocate
    byte[] data = hex("827f0000010000000000010203");
    assertEquals(ParseStatus.NEEDS_MORE_DATA, parse(data, false).status());
    ParseResult<WebSocketFrame> atEnd = parse(data, true);
    assertEquals(3, atEnd.message().payload().length);
    assertEquals((1L << 40) - 3, atEnd.bytesStillExpected());
  }

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s);
  }
}
