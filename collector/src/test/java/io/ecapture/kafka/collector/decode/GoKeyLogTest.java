package io.ecapture.kafka.collector.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A Go key-log record becomes the line Go's KeyLogWriter writes; bad lengths are refused. */
class GoKeyLogTest {
  private static MemorySegment record(Arena arena, String label, int randomLen, int secretLen) {
    MemorySegment record = arena.allocate(EventLayout.HEADER_SIZE + GoKeyLog.SIZE);
    record.set(ValueLayout.JAVA_INT_UNALIGNED, EventLayout.KIND, EventLayout.KIND_GO_KEYLOG);
    record.set(ValueLayout.JAVA_INT_UNALIGNED, EventLayout.DATA_LEN, GoKeyLog.SIZE);
    MemorySegment body = record.asSlice(EventLayout.HEADER_SIZE);
    byte[] text = label.getBytes(StandardCharsets.US_ASCII);
    body.set(ValueLayout.JAVA_INT_UNALIGNED, GoKeyLog.LABEL_LEN, text.length);
    body.set(ValueLayout.JAVA_INT_UNALIGNED, GoKeyLog.RANDOM_LEN, randomLen);
    body.set(ValueLayout.JAVA_INT_UNALIGNED, GoKeyLog.SECRET_LEN, secretLen);
    MemorySegment.copy(text, 0, body, ValueLayout.JAVA_BYTE, GoKeyLog.LABEL, text.length);
    for (int i = 0; i < 32; i++) {
      body.set(ValueLayout.JAVA_BYTE, GoKeyLog.RANDOM + i, (byte) i);
    }
    for (int i = 0; i < GoKeyLog.MAX_SECRET; i++) {
      body.set(ValueLayout.JAVA_BYTE, GoKeyLog.SECRET + i, (byte) (0xa0 + i));
    }
    return record;
  }

  @Test
  void lineAsGoWritesIt() throws Exception {
    try (Arena arena = Arena.ofConfined()) {
      String line = GoKeyLog.line(record(arena, "CLIENT_TRAFFIC_SECRET_0", 32, 32));
      assertEquals("CLIENT_TRAFFIC_SECRET_0 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
          + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf", line);
      // TLS 1.2: 48-byte master secret
      assertEquals(13 + 1 + 64 + 1 + 96, GoKeyLog.line(record(arena, "CLIENT_RANDOM", 32, 48)).length());
    }
  }

  @Test
  void refusesBadLengthsAndLabels() {
    try (Arena arena = Arena.ofConfined()) {
      assertThrows(MalformedEventException.class, () -> GoKeyLog.line(record(arena, "CLIENT_RANDOM", 16, 48)));
      assertThrows(MalformedEventException.class, () -> GoKeyLog.line(record(arena, "CLIENT_RANDOM", 32, 65)));
      assertThrows(MalformedEventException.class, () -> GoKeyLog.line(record(arena, "bad label", 32, 32)));
    }
  }
}
