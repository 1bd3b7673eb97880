package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.ProgressMark;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.util.List;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.junit.jupiter.api.Test;

/**
 * The idle flush and the collector's progress marks: a message in progress of a host that sends
 * marks waits for a mark newer than its last data (its rest may still be in a broker failover),
 * at most {@code --stalled-flush-ms} (30 s by default); a host without marks, plain unknown bytes
 * and a closed connection flush as before; marks leave no state and no output.
 */
class ProgressMarkTopologyTest extends HarnessTopologyTest {
  private static final String HEADERS = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n";
  private static final String BODY = "abcdefghijklmnopqrst";

  /** A mark of {@code host} appended {@code atNsAfterBase} ns after the harness's base time. */
  private void mark(String host, long atNsAfterBase) {
    RawEvent mark = RawEvent.newBuilder()
        .setHostId(host)
        .setWallTimeNs(RawEvents.BASE_NS + atNsAfterBase)
        .setProgress(ProgressMark.newBuilder().setSequence(atNsAfterBase))
        .build();
    harness.sendRaw(host + "#mark#0", mark.toByteArray());
  }

  private void requestAndHeaders() {
    harness.send(events.data(Direction.WRITE, 0, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0));
    harness.send(events.data(Direction.READ, 0, HEADERS, 1_000));
    assertEquals(1, harness.output().size()); // the request
  }

  @Test
  void partialResponseWaitsWhileNoNewerMarkOfItsHostArrivedAndFlushesWhenOneDoes() {
    mark("host-a", 500); // the host sends marks; this one is older than the headers
    requestAndHeaders();
    harness.idle(5_000);
    assertTrue(harness.output().isEmpty(), "the body may still be in flight: nothing flushed");
    mark("host-b", 10_000_000_000L); // another host's mark says nothing of host-a
    harness.idle(1_000);
    assertTrue(harness.output().isEmpty());
    assertTrue(harness.metrics.idleFlushesHeld() > 0);

    // newer than the headers, but the body may have been captured a moment after this mark and
    // be the record a failover holds back: the host must have been quiet for the idle time
    mark("host-a", 500_000_000L);
    harness.idle(500);
    assertTrue(harness.output().isEmpty(), "a mark inside the idle window proves nothing");

    mark("host-a", 1_000 + 1_000_000_000L); // host-a captured nothing more for 1 s after the headers
    harness.idle(500);
    List<ParsedMessage> out = harness.output();
    assertEquals(1, out.size());
    assertEquals(200, out.get(0).getHttp().getStatus());
    assertTrue(out.get(0).getHttp().getBodyTruncated());
    assertEquals(0, harness.metrics.stalledFlushes());
  }

  @Test
  void aRestartedTaskKeepsWaitingForTheHostsNextMark() {
    mark("host-a", 500);
    requestAndHeaders();
    // a restart or a task move: the marks read so far were in memory only; the connection's
    // stored state remembers that its host marks
    harness = harness.restart();
    // the restored task reads again what came after its last commit: the headers
    harness.send(events.data(Direction.READ, 0, HEADERS, 1_000));
    harness.idle(5_000);
    assertTrue(harness.output().isEmpty(), "the body may still be in flight: nothing flushed");
    assertTrue(harness.metrics.idleFlushesHeld() > 0);
    mark("host-a", 1_000 + 1_000_000_000L); // quiet for the idle time after the headers
    harness.idle(1_000);
    assertEquals(1, harness.output().size(), "the headers flushed once a mark says the rest is not in flight");
  }

  @Test
  void lateBodyCompletesTheWaitingResponse() {
    mark("host-a", 500);
    requestAndHeaders();
    harness.idle(10_000); // a broker failover: the body is still in the collector's producer
    harness.send(events.data(Direction.READ, HEADERS.length(), BODY, 3_000));
    List<ParsedMessage> out = harness.output();
    assertEquals(1, out.size());
    assertEquals(BODY, out.get(0).getHttp().getBody().toStringUtf8());
    assertFalse(out.get(0).getHttp().getBodyTruncated());
    assertEquals(0, harness.metrics.unknownMessages());
  }

  @Test
  void waitsAtMostTheStalledBound() {
    mark("host-a", 500);
    requestAndHeaders();
    harness.idle(harness.config.stalledFlush().toMillis() - 2_000);
    assertTrue(harness.output().isEmpty());
    harness.idle(3_000);
    List<ParsedMessage> out = harness.output();
    assertEquals(1, out.size());
    assertTrue(out.get(0).getHttp().getBodyTruncated());
    assertEquals(1, harness.metrics.stalledFlushes());
  }

  @Test
  void hostWithoutMarksFlushesAsBefore() {
    mark("host-b", 10_000_000_000L); // marks of another host only
    requestAndHeaders();
    harness.idle(1_000);
    List<ParsedMessage> out = harness.output();
    assertEquals(1, out.size());
    assertTrue(out.get(0).getHttp().getBodyTruncated());
    assertEquals(0, harness.metrics.idleFlushesHeld());
  }

  @Test
  void unknownBytesKeepTheirIdleFlush() {
    mark("host-a", 500);
    harness.send(events.data(Direction.READ, 0, new byte[] {0, 1, 2, 3, (byte) 0xff, 9, 9}, 1_000));
    harness.idle(1_000);
    List<ParsedMessage> out = harness.output();
    assertEquals(1, out.size());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(0).getProtocol());
  }

  @Test
  void marksMakeNoOutputNoStateAndNoDeadLetter() {
    for (int i = 0; i < 5; i++) {
      mark("host-a", i * 1_000_000L);
    }
    harness.idle(2_000);
    assertTrue(harness.output().isEmpty());
    assertTrue(harness.dlq().isEmpty());
    try (KeyValueIterator<String, ?> all = harness.store().all()) {
      assertFalse(all.hasNext(), "a mark is not a connection");
    }
    assertNull(harness.openState("host-a#mark#0"));
    assertEquals(5, harness.metrics.progressMarks());
    assertEquals(0, harness.metrics.messagesOut());
    assertEquals(0, harness.metrics.openConnections());
  }
}
