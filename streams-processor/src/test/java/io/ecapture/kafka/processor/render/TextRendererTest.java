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
}
