package io.ecapture.kafka.processor.protocol.websocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

class PerMessageDeflateTest {
  @Test
  void readsTheAcceptedExtensionAndItsContextParameters() {
    assertEquals(new PerMessageDeflate(true, true, false),
        PerMessageDeflate.fromResponseHeader("permessage-deflate; server_no_context_takeover"));
    assertEquals(new PerMessageDeflate(true, false, true), PerMessageDeflate.fromResponseHeader(
        "x-unknown, Permessage-Deflate;client_no_context_takeover; client_max_window_bits=10"));
    assertEquals(PerMessageDeflate.OFF, PerMessageDeflate.fromResponseHeader(null));
    assertEquals(PerMessageDeflate.OFF, PerMessageDeflate.fromResponseHeader("x-webkit-deflate-frame"));
  }

  /** RFC 7692 §7.2.3.1: "Hello" compressed, as the RFC lists it. */
  @Test
  void inflatesTheRfc7692Example() {
    try (MessageInflater inflater = new MessageInflater(1024, 65536)) {
      MessageInflater.Result result = inflater.inflate(
          new byte[] {(byte) 0xf2, 0x48, (byte) 0xcd, (byte) 0xc9, (byte) 0xc9, 0x07, 0x00}, true, false);
      assertTrue(result.ok());
      assertEquals("Hello", new String(result.bytes(), StandardCharsets.US_ASCII));
    }
  }

  @Test
  void aDecompressionBombStopsAndLosesTheContext() {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    deflater.setInput(new byte[10 << 20]);
    deflater.finish();
    byte[] buffer = new byte[1 << 20];
    int n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
    deflater.end();
    try (MessageInflater inflater = new MessageInflater(1024, 64 * 1024)) {
      MessageInflater.Result result = inflater.inflate(Arrays.copyOf(buffer, n), true, false);
      assertFalse(result.ok());
      assertTrue(result.truncated() && result.contextLost());
      assertArrayEquals(new byte[1024], result.bytes());
    }
  }

  /**
   * Messages compressed with one context (zlib, SYNC_FLUSH, RFC 7692 §7.2.1): after each one a
   * new inflater seeded with the previous one's window inflates the next exactly as the
   * long-lived one does; the window is always the last 32 KiB inflated.
   */
  @Test
  void aSeededInflaterContinuesTheContextAndTheWindowIsTheLast32KiB() {
    Deflater deflater = new Deflater(6, true);
    java.util.Random random = new java.util.Random(3);
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    byte[] history = new byte[0];
    for (int i = 0; i < 12; i++) {
      StringBuilder text = new StringBuilder();
      while (text.length() < 1000 + i * 1500) {
        text.append("{\"id\":").append(random.nextInt(50)).append(",\"name\":\"item-")
            .append(random.nextInt(20)).append("\"},");
      }
      byte[] message = text.toString().getBytes(StandardCharsets.US_ASCII);
      all.writeBytes(message);
      try (MessageInflater seeded = new MessageInflater(1 << 20, 1 << 24, history)) {
        MessageInflater.Result result = seeded.inflate(compress(deflater, message), true, false);
        assertTrue(result.ok(), "message " + i);
        assertArrayEquals(message, result.bytes());
        history = seeded.window();
      }
      byte[] everything = all.toByteArray();
      assertArrayEquals(Arrays.copyOfRange(everything,
          Math.max(0, everything.length - MessageInflater.WINDOW_BYTES), everything.length), history);
    }
    deflater.end();
  }

  /**
   * A message ending in a final block (BFINAL, §7.2.3.4) ends the DEFLATE stream, but the next
   * message may still refer to the window (§7.2.2): it inflates, instead of losing the context.
   */
  @Test
  void theWindowCarriesOverAFinalBlock() {
    byte[] first = "a message whose words come back in the next message".getBytes(StandardCharsets.US_ASCII);
    byte[] second = "whose words come back: a message".getBytes(StandardCharsets.US_ASCII);
    Deflater finishing = new Deflater(6, true);
    finishing.setInput(first);
    finishing.finish();
    byte[] buffer = new byte[1024];
    byte[] one = Arrays.copyOf(buffer, finishing.deflate(buffer));
    finishing.end();
    Deflater next = new Deflater(6, true);
    next.setDictionary(first);
    try (MessageInflater inflater = new MessageInflater(1024, 65536)) {
      MessageInflater.Result a = inflater.inflate(one, true, false);
      assertTrue(a.ok() && !a.contextLost());
      MessageInflater.Result b = inflater.inflate(compress(next, second), true, false);
      assertTrue(b.ok(), "refers to the first message across its final block");
      assertArrayEquals(second, b.bytes());
    }
    next.end();
  }

  /** One message as permessage-deflate sends it: SYNC_FLUSH output without 00 00 ff ff. */
  private static byte[] compress(Deflater deflater, byte[] message) {
    deflater.setInput(message);
    byte[] buffer = new byte[message.length + 1024];
    int n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
    return Arrays.copyOf(buffer, n - 4);
  }
}
