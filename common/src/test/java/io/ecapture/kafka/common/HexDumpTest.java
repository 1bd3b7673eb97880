package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HexDumpTest {
  @Test
  void matchesGoEncodingHexDumpOnItsDocumentedExample() {
    // the output Go's encoding/hex documents for hex.Dump of this sentence
    String expected =
        "00000000  47 6f 20 69 73 20 61 6e  20 6f 70 65 6e 20 73 6f  |Go is an open so|\n"
            + "00000010  75 72 63 65 20 70 72 6f  67 72 61 6d 6d 69 6e 67  |urce programming|\n"
            + "00000020  20 6c 61 6e 67 75 61 67  65 2e                    | language.|\n";
    byte[] content = "Go is an open source programming language.".getBytes(StandardCharsets.US_ASCII);
    assertEquals(expected, HexDump.dump(content));
  }

  @Test
  void aPartialLineEndingInTheFirstGroupIsPaddedPastTheMiddleGap() {
    assertEquals("00000000  00 7f 41                                          |..A|\n",
        HexDump.dump(new byte[] {0, 0x7f, 0x41}));
    assertEquals("", HexDump.dump(new byte[0]));
  }

  @Test
  void everyFullLineHasTheDocumentedWidth() {
    String dump = HexDump.dump(new byte[64]);
    for (String line : dump.split("\n")) {
      assertEquals(HexDump.LINE_CHARS - 1, line.length());
    }
  }

  @Test
  void dumpWithinKeepsWholeLinesThatFitAndAtLeastOne() {
    byte[] data = new byte[100];
    assertEquals(2 * HexDump.LINE_CHARS, HexDump.dumpWithin(data, 2 * HexDump.LINE_CHARS + 10).length());
    assertEquals(HexDump.LINE_CHARS, HexDump.dumpWithin(data, 5).length());
    assertEquals(HexDump.dump(data), HexDump.dumpWithin(data, Integer.MAX_VALUE));
  }

  @Test
  void aRangeStartsItsOffsetsAtZero() {
    byte[] data = "xxGET".getBytes(StandardCharsets.US_ASCII);
    assertEquals("00000000  47 45 54                                          |GET|\n",
        HexDump.dump(data, 2, 3));
  }
}
