package io.ecapture.kafka.collector.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class TlsKeyLogTest {
  private static final HexFormat HEX = HexFormat.of();

  /** RFC 8448 section 3 (simple 1-RTT handshake): the client handshake traffic secret. */
  @Test
  void expandLabelMatchesTheRfc8448ClientHandshakeTrafficSecret() {
    byte[] handshakeSecret = HEX.parseHex("1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac");
    byte[] transcript = HEX.parseHex("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8");
    assertEquals("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21",
        HEX.formatHex(TlsKeyLog.expandLabel("HmacSHA256", handshakeSecret, "c hs traffic", transcript, 32)));
  }

  @Test
  void tls12GivesOneClientRandomLine() throws Exception {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment keys = arena.allocate(TlsKeyLog.SIZE);
      keys.set(ValueLayout.JAVA_INT_UNALIGNED, TlsKeyLog.VERSION, TlsKeyLog.TLS1_2);
      keys.set(ValueLayout.JAVA_INT_UNALIGNED, TlsKeyLog.MASTER_KEY_LENGTH, 48);
      keys.asSlice(TlsKeyLog.CLIENT_RANDOM, 32).fill((byte) 0xab);
      keys.asSlice(TlsKeyLog.MASTER_KEY, 48).fill((byte) 0x01);
      List<String> lines = TlsKeyLog.lines(keys);
      assertEquals(List.of("CLIENT_RANDOM " + "ab".repeat(32) + " " + "01".repeat(48)), lines);
    }
  }

  @Test
  void tls13GivesFiveLinesWithTheSuitesHashLength() throws Exception {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment keys = arena.allocate(TlsKeyLog.SIZE);
      keys.set(ValueLayout.JAVA_INT_UNALIGNED, TlsKeyLog.VERSION, TlsKeyLog.TLS1_3);
      keys.set(ValueLayout.JAVA_INT_UNALIGNED, TlsKeyLog.CIPHER_ID, TlsKeyLog.TLS_AES_256_GCM_SHA384);
      List<String> lines = TlsKeyLog.lines(keys);
      assertEquals(5, lines.size());
      assertTrue(lines.stream().allMatch(l -> l.split(" ")[2].length() == 96), lines.toString());
    }
  }

  @Test
  void malformedKeyRecordsAreRejected() {
    try (Arena arena = Arena.ofConfined()) {
      assertThrows(MalformedEventException.class, () -> TlsKeyLog.lines(arena.allocate(100)));
      MemorySegment keys = arena.allocate(TlsKeyLog.SIZE);
      keys.set(ValueLayout.JAVA_INT_UNALIGNED, TlsKeyLog.VERSION, 0x0301);
      assertThrows(MalformedEventException.class, () -> TlsKeyLog.lines(keys));
      keys.set(ValueLayout.JAVA_INT_UNALIGNED, TlsKeyLog.VERSION, TlsKeyLog.TLS1_2);
      keys.set(ValueLayout.JAVA_INT_UNALIGNED, TlsKeyLog.MASTER_KEY_LENGTH, 0);
      assertThrows(MalformedEventException.class, () -> TlsKeyLog.lines(keys), "no master key yet");
    }
  }
}
