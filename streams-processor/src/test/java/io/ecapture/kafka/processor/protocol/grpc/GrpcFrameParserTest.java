package io.ecapture.kafka.processor.protocol.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.ProcessorLimits;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class GrpcFrameParserTest {
  private final GrpcFrameParser parser =
      new GrpcFrameParser(4, ProcessorLimits.DEFAULT_MAX_GRPC_MESSAGES);

  @Test
  void splitsLengthPrefixedMessagesAndCutsPayloadsAtTheLimit() {
    byte[] body = HexFormat.of().parseHex("000000000268690100000006616263646566");
    GrpcFrameParser.Split split = parser.split(body, true);
    assertEquals(2, split.frames().size());
    assertEquals("hi", new String(split.frames().get(0).payload()));
    assertFalse(split.frames().get(0).compressed());
    GrpcFrame second = split.frames().get(1);
    assertTrue(second.compressed());
    assertEquals(6, second.length());
    assertEquals("abcd", new String(second.payload()), "kept up to the limit");
    assertTrue(second.truncated() && split.truncated());
  }

  @Test
  void aBodyCutInsideAMessageGivesItTruncated() {
    GrpcFrameParser.Split split = parser.split(HexFormat.of().parseHex("00000000056869"), false);
    assertEquals(1, split.frames().size());
    assertEquals(5, split.frames().get(0).length());
    assertTrue(split.frames().get(0).truncated() && split.truncated());
  }

  @Test
  void aReservedFlagStopsTheSplitFlagged() {
    GrpcFrameParser.Split split = parser.split(HexFormat.of().parseHex("0000000001610700000000"), true);
    assertEquals(1, split.frames().size());
    assertTrue(split.truncated());
  }

  @Test
  void aStreamOfMoreMessagesThanTheBoundIsListedUpToItFlagged() {
    byte[] body = HexFormat.of().parseHex("0000000000".repeat(5));
    GrpcFrameParser.Split split = new GrpcFrameParser(4, 3).split(body, true);
    assertEquals(3, split.frames().size());
    assertTrue(split.truncated());
  }
}
