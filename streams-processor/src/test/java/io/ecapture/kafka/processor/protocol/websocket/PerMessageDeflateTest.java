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
}
