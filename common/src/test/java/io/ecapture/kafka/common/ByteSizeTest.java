package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
  @Test
  void parsesBytesAndBinaryUnits() {
    assertEquals(1048576, ByteSize.parse("1048576").bytes());
    assertEquals(8L << 20, ByteSize.parse("8MiB").bytes());
    assertEquals(8L << 20, ByteSize.parse("8m").bytes());
    assertEquals(8L << 20, ByteSize.parse(" 8 MB ").bytes());
    assertEquals(512L << 10, ByteSize.parse("512k").bytes());
    assertEquals(512L << 10, ByteSize.parse("512KiB").bytes());
    assertEquals(1L << 30, ByteSize.parse("1g").bytes());
    assertEquals(100, ByteSize.parse("100b").bytes());
  }

  @Test
  void printsTheLargestExactUnit() {
    assertEquals("8MiB", ByteSize.of(8L << 20).toString());
    assertEquals("9MiB", ByteSize.of(9L << 20).toString());
    assertEquals("1536KiB", ByteSize.of(1536L << 10).toString());
    assertEquals("1000", ByteSize.of(1000).toString());
    assertEquals("0", ByteSize.of(0).toString());
    assertEquals(ByteSize.of(8L << 20), ByteSize.parse(ByteSize.of(8L << 20).toString()));
  }

  @Test
  void rejectsWhatIsNotASize() {
    assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("lots"));
    assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("8 parsecs"));
    assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("-1"));
    assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(""));
    assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("99999999999999g"));
    assertThrows(IllegalArgumentException.class, () -> ByteSize.of(3L << 30).toIntExact("x"));
  }
}
