package io.ecapture.kafka.processor.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ecapture.kafka.common.HexDump;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The shared body rendering: eCapture's hex dump layout (common's {@link HexDump}), text detection. */
class TextRendererTest {
  @Test
  void matchesTheLayoutOfGoHexDump() {
    // expected text is what Go's hex.Dump prints for these bytes (eCapture's dump format)
    byte[] data = "Hello, World!\nsecond line.....".getBytes(StandardCharsets.US_ASCII);
    String expected =
        "00000000  48 65 6c 6c 6f 2c 20 57  6f 72 6c 64 21 0a 73 65  |Hello, World!.se|\n"
      + "00000010  63 6f 6e 64 20 6c 69 6e  65 2e 2e 2e 2e 2e        |cond line.....|\n";
    assertEquals(expected, HexDump.dump(data));
  }

  @Test
  void emptyInputDumpsNothing() {
    assertEquals("", HexDump.dump(new byte[0]));
  }

  @Test
  void binaryIsNotText() {
    assertNull(TextRenderer.asText(new byte[] {0x16, 0x03, 0x01}));
    assertNull(TextRenderer.asText(new byte[] {(byte) 0xc3}));
    assertEquals("caf\u00e9\r\n", TextRenderer.asText("caf\u00e9\r\n".getBytes(StandardCharsets.UTF_8)));
  }

  /** The plain-ASCII fast path answers exactly what the checked UTF-8 decode answers. */
  @Test
  void theAsciiFastPathAgreesWithTheCheckedDecode() {
    byte[] alphabet = {'a', 'Z', '{', '"', ' ', '~', '\t', '\r', '\n', 0x00, 0x1b, 0x7f,
        (byte) 0xc3, (byte) 0xa9, (byte) 0xe2, (byte) 0x82, (byte) 0xac, (byte) 0x80, (byte) 0xff};
    java.util.Random random = new java.util.Random(14);
    for (int i = 0; i < 20_000; i++) {
      byte[] data = new byte[random.nextInt(12)];
      boolean asciiOnly = random.nextBoolean();
      for (int j = 0; j < data.length; j++) {
        data[j] = alphabet[random.nextInt(asciiOnly ? 9 : alphabet.length)];
      }
      assertEquals(checkedDecode(data), TextRenderer.asText(data), java.util.HexFormat.of().formatHex(data));
    }
  }

  /** The general path, as it was before the fast path. */
  private static String checkedDecode(byte[] data) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(data)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      return null;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') {
        return null;
      }
    }
    return text;
  }
}
