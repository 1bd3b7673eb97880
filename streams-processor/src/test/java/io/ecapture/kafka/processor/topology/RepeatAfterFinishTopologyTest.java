package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A finished connection's records that arrive again (the collector re-sends what a broker
 * failover left unacknowledged, after the first copies were stored and parsed) are dropped as
 * repeats, not parsed as a second connection; new bytes still are parsed; the memory ends.
 */
class RepeatAfterFinishTopologyTest extends HarnessTopologyTest {
  private static final String REQUEST = "GET /once HTTP/1.1\r\nHost: h\r\n\r\n";
  private static final String RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

  private List<RawEvent> wholeConnection() {
    return List.of(
        events.data(Direction.WRITE, 0, REQUEST, 0),
        events.data(Direction.READ, 0, RESPONSE, 10),
        events.close(RESPONSE.length(), REQUEST.length()));
  }

  @Test
  void aConnectionSentTwiceIsParsedOnce() {
    wholeConnection().forEach(harness::send);
    List<ParsedMessage> first = harness.parsed().readValuesToList();
    assertEquals(2, first.size());
    assertEquals("/once", first.get(0).getHttp().getPath());
    assertNull(harness.openState(CONN), "finished");
    assertEquals(0, harness.metrics.openConnections());

    wholeConnection().forEach(harness::send);
    harness.idle(1000);
    assertTrue(harness.parsed().isEmpty(), "the re-sent copies are repeats");
    assertEquals(3, harness.metrics.repeatsAfterFinish());
  }

  @Test
  void theMemorySurvivesARestart() {
    wholeConnection().forEach(harness::send);
    assertEquals(2, harness.parsed().readValuesToList().size());
    harness = harness.restart();
    harness.send(events.data(Direction.READ, 0, RESPONSE, 10));
    assertTrue(harness.parsed().isEmpty());
    assertEquals(1, harness.metrics.repeatsAfterFinish());
  }

  @Test
  void theMemoryEnds() {
    wholeConnection().forEach(harness::send);
    assertEquals(2, harness.parsed().readValuesToList().size());
    harness.idle(ProcessorConfig.DEFAULT_FINISHED_MEMORY.minusSeconds(30).toMillis());
    assertTrue(harness.store().get(CONN) != null, "still remembered");
    harness.idle(Duration.ofSeconds(60).toMillis());
    assertNull(harness.store().get(CONN), "forgotten after the finished memory");
    harness.send(events.data(Direction.WRITE, 0, REQUEST, 0));
    assertEquals("/once", harness.parsed().readValue().getHttp().getPath(),
        "after the memory ends, the same id is a new connection again");
  }

  @Test
  void newBytesAfterTheEndAreStillParsed() {
    wholeConnection().forEach(harness::send);
    harness.parsed().readValuesToList();
    harness.send(events.data(Direction.WRITE, REQUEST.length(), REQUEST, 20));
    harness.idle(Duration.ofSeconds(2).toMillis());
    assertEquals(1, harness.parsed().readValuesToList().size(), "bytes past the end are not repeats");
  }

  @Test
  void zeroMemoryForgetsAtOnce() {
    harness.close();
    harness = new TopologyHarness(ProcessorConfig.builder().stateDir(stateDir)
        .finishedMemory(Duration.ZERO).build());
    wholeConnection().forEach(harness::send);
    assertNull(harness.store().get(CONN));
  }
}
