package io.ecapture.kafka.processor.topology;

import static io.ecapture.kafka.processor.topology.TopologyBytes.slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bytes of no known protocol: resynced past (counted) up to the next message start, flushed when
 * the direction is idle, shown as text or hex dump, cut into records under Kafka's limit.
 */
class UnknownDataTopologyTest extends HarnessTopologyTest {
  @Test
  void unknownDataIsFlushedAsHexDumpOnlyAfterTheDirectionIsIdle() {
    byte[] binary = {0x16, 0x03, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};
    harness.send(events.data(Direction.WRITE, 0, binary, 0));
    harness.idle(900);
    assertTrue(harness.parsed().isEmpty());
    harness.idle(200);

    ParsedMessage message = harness.parsed().readValue();
    assertEquals(Protocol.PROTOCOL_UNKNOWN, message.getProtocol());
    assertEquals(MessageKind.DATA, message.getKind());
    assertArrayEquals(binary, message.getRaw().toByteArray());
    assertEquals("00000000  16 03 01 00 05 68 65 6c  6c 6f                    |.....hello|\n",
        ParsedText.rendered(message).toStringUtf8());
    assertTrue(harness.parsed().isEmpty());
  }

  @Test
  void unknownBytesBeforeARequestAreSplitOffAtOnce() {
    harness.send(events.data(Direction.WRITE, 0, "\u0000\u0001garbage\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 0));
    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(2, out.size());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(0).getProtocol());
    assertEquals(10, out.get(0).getLength());
    assertEquals(Protocol.HTTP1, out.get(1).getProtocol());
    assertEquals(10, out.get(1).getStreamOffset());
  }

  @Test
  void binaryDataInManyChunksIsOneUnknownMessageOnceARequestFollows() {
    byte[] binary = new byte[5000];
    new Random(3).nextBytes(binary);
    binary[0] = 0x17; // not the start of any HTTP message
    for (int i = 0; i < binary.length; i++) {
      if (binary[i] == '\n') {
        binary[i] = ' '; // keep every would-be line start out of the data
      }
    }
    for (int pos = 0; pos < binary.length; pos += 100) {
      harness.send(events.data(Direction.WRITE, pos, slice(binary, pos, pos + 100), pos));
    }
    assertTrue(harness.parsed().isEmpty());
    harness.send(events.data(Direction.WRITE, binary.length, "\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n", 9));

    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(2, out.size());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(0).getProtocol());
    assertEquals(binary.length + 1, out.get(0).getLength());
    assertEquals("/after", out.get(1).getHttp().getPath());
    assertEquals(1, harness.metrics.resyncs());
  }

  @Test
  void largeUnknownDataIsSplitIntoRecordsUnderTheKafkaLimit() {
    // pieces of at most the body limit, each rendered within the rendered limit
    harness.close();
    harness = new TopologyHarness(stateDir, io.ecapture.kafka.processor.ProcessorLimits.builder()
        .maxBodyBytes(256 << 10).maxRenderedBytes(64 << 10).build());
    byte[] binary = new byte[600 << 10];
    new Random(9).nextBytes(binary);
    binary[0] = 0x17;
    for (int i = 0; i < binary.length; i++) {
      if (binary[i] == '\n') {
        binary[i] = 0;
      }
    }
    for (int pos = 0; pos < binary.length; pos += 16384) {
      int end = Math.min(binary.length, pos + 16384);
      harness.send(events.data(Direction.READ, pos, slice(binary, pos, end), pos));
    }
    harness.idle(1000);
    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(3, out.size());
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    long expectedOffset = 0;
    for (ParsedMessage m : out) {
      assertEquals(expectedOffset, m.getStreamOffset());
      expectedOffset += m.getLength();
      joined.writeBytes(m.getRaw().toByteArray());
      assertTrue(m.getSerializedSize() < 1 << 19, "record of " + m.getSerializedSize() + " bytes");
      assertTrue(ParsedText.rendered(m).toStringUtf8().contains("more bytes not shown]"));
      assertTrue(m.getRenderedTruncated());
      // the whole hex dump of the piece: 79 characters per 16 bytes
      assertEquals(m.getRaw().size() / 16 * 79 + (m.getRaw().size() % 16 == 0 ? 0 : 63 + m.getRaw().size() % 16),
          m.getRenderedOriginalLength());
    }
    assertArrayEquals(binary, joined.toByteArray());
  }
}
