package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Records that cannot be processed go to the dead-letter topic with their reason; processing
 * goes on.
 */
class DeadLetterTopologyTest extends HarnessTopologyTest {
  @Test
  void poisonPillGoesToTheDeadLetterTopicAndProcessingContinues() {
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01};
    harness.sendRaw(CONN, garbage);
    harness.send(events.data(Direction.WRITE, 0, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0));

    TestRecord<byte[], byte[]> dead = harness.dlq().readRecord();
    assertArrayEquals(garbage, dead.value());
    assertEquals(CONN, new String(dead.key(), StandardCharsets.UTF_8));
    Header error = dead.headers().lastHeader(DeadLetters.HEADER_ERROR);
    assertTrue(new String(error.value(), StandardCharsets.UTF_8).contains("RawEvent"));
    assertEquals(Topics.RAW.name(), new String(
        dead.headers().lastHeader(DeadLetters.HEADER_SOURCE_TOPIC).value(), StandardCharsets.UTF_8));
    assertEquals(1, harness.metrics.deadLettered());
    assertEquals(1, harness.parsed().readValuesToList().size());
  }

  @Test
  void eventsThatCannotBeProcessedAreDeadLettered() {
    harness.sendRaw(CONN, RawEvent.newBuilder().setConnectionId(CONN).build().toByteArray());
    harness.sendRaw(CONN, null);
    assertEquals(2, harness.dlq().readRecordsToList().size());
    assertEquals(2, harness.metrics.deadLettered());
    assertTrue(harness.parsed().isEmpty());
  }
}
