package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.CommitPacing;
import io.ecapture.kafka.processor.LastFetchedOffsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedPunctuator;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/**
 * The commit requests after an emit, on a mock context whose clock the test moves: a token bucket
 * of {@code burst} requests refilled one per interval, a waiting emit committed by the next record
 * or by a punctuator that exists only while it waits, nothing requested without a parsed message.
 */
class CommitPacerTest {
  private static final long T0 = 1_767_225_600_000L;

  private final MockProcessorContext<Object, Object> mock = new MockProcessorContext<>();

  private CommitPacer pacer(CommitPacing pacing) {
    mock.setCurrentSystemTimeMs(T0);
    return new CommitPacer(mock, new CommitPacer.Bucket(pacing, T0));
  }

  /** One {@code process} call of the processor: forwards {@code parsed} messages, then the hook. */
  private void process(CommitPacer pacer, ProcessorContext<Object, Object> context, int parsed) {
    for (int i = 0; i < parsed; i++) {
      context.forward(new Record<>("c", "m" + i, T0), TopologyNames.PARSED_SINK);
    }
    pacer.afterWork();
  }

  private boolean committedAndReset() {
    boolean committed = mock.committed();
    mock.resetCommit();
    return committed;
  }

  private List<CapturedPunctuator> active() {
    return mock.scheduledPunctuators().stream().filter(p -> !p.cancelled()).toList();
  }

  @Test
  void anEmitRequestsACommitAtOnceAndARecordWithoutOutputDoesNot() {
    CommitPacer pacer = pacer(new CommitPacing(Duration.ofMillis(20), 4));
    ProcessorContext<Object, Object> context = pacer.context();
    process(pacer, context, 0);
    assertFalse(committedAndReset(), "nothing emitted, nothing to make visible");
    process(pacer, context, 2);
    assertTrue(committedAndReset());
    assertEquals(1, pacer.requested(), "one request per process call, however many messages");
    // a dead letter is not a parsed message a reader waits for
    context.forward(new Record<>("c", "dead", T0), TopologyNames.DLQ_SINK);
    pacer.afterWork();
    assertFalse(committedAndReset());
    assertEquals(List.of(), active(), "no punctuator while nothing waits");
  }

  @Test
  void aBatchAlreadyPolledIsCommittedOnceAtItsLastRecord() {
    CommitPacer pacer = pacer(new CommitPacing(Duration.ofMillis(20), 4));
    ProcessorContext<Object, Object> context = pacer.context();
    TopicPartition raw = new TopicPartition("ecapture.raw", 2);
    try {
      // the stream thread's poll returned offsets 10..13 of this task's partition
      new LastFetchedOffsets().onConsume(new ConsumerRecords<>(Map.of(raw, java.util.stream.LongStream
          .rangeClosed(10, 13).mapToObj(o -> new ConsumerRecord<>(raw.topic(), raw.partition(), o,
              new byte[0], new byte[0])).toList()), Map.of()));
      for (long offset = 10; offset < 13; offset++) {
        mock.setRecordMetadata(raw.topic(), raw.partition(), offset);
        mock.setCurrentSystemTimeMs(T0 + offset - 9); // a loop pass of its own, as Streams makes them
        process(pacer, context, 1);
        assertFalse(committedAndReset(), "offset " + offset + ": the rest of the batch is buffered");
        assertTrue(pacer.pending());
        assertEquals(List.of(), active(), "no punctuator: the batch's last record requests");
      }
      mock.setRecordMetadata(raw.topic(), raw.partition(), 13);
      process(pacer, context, 0); // the last record emits nothing; the batch's messages still wait
      assertTrue(committedAndReset(), "one commit for the batch");
      assertEquals(1, pacer.requested());
      assertFalse(pacer.pending());
      // a record of another partition (another task of the thread) does not wait for this batch
      mock.setRecordMetadata(raw.topic(), 3, 0);
      process(pacer, context, 1);
      assertTrue(committedAndReset());
      assertEquals(2, pacer.requested());
    } finally {
      LastFetchedOffsets.clearForThisThread();
    }
  }

  @Test
  void outputOfABacklogIsLeftToTheCommitInterval() {
    CommitPacer pacer = pacer(new CommitPacing(Duration.ofMillis(20), 4, Duration.ofSeconds(1)));
    ProcessorContext<Object, Object> context = pacer.context();
    // records captured a minute ago (a processor catching up): no request, no punctuator
    context.forward(new Record<>("c", "old", T0 - 60_000), TopologyNames.PARSED_SINK);
    pacer.afterWork();
    assertFalse(committedAndReset());
    assertFalse(pacer.pending());
    assertEquals(List.of(), active());
    assertEquals(1, pacer.behind());
    // at the max lag it is still live; a record the processor's clock sees ahead too
    context.forward(new Record<>("c", "edge", T0 - 1000), TopologyNames.PARSED_SINK);
    pacer.afterWork();
    assertTrue(committedAndReset());
    context.forward(new Record<>("c", "skewed", T0 + 5000), TopologyNames.PARSED_SINK);
    pacer.afterWork();
    assertTrue(committedAndReset(), "same pass, the commit asked for covers it");
    assertEquals(2, pacer.requested());
    assertEquals(1, pacer.behind());
  }

  @Test
  void emitsOfOneLoopPassShareOneToken() {
    CommitPacer pacer = pacer(new CommitPacing(Duration.ofMillis(20), 1));
    ProcessorContext<Object, Object> context = pacer.context();
    for (int i = 0; i < 5; i++) { // records processed in the same millisecond: before any commit
      process(pacer, context, 1);
      assertTrue(committedAndReset(), "record " + i);
    }
    assertEquals(List.of(), active());
    mock.setCurrentSystemTimeMs(T0 + 5); // a later pass: the bucket (burst 1) is empty
    process(pacer, context, 1);
    assertFalse(committedAndReset());
    assertTrue(pacer.pending());
  }

  @Test
  void aBurstIsCommittedAtOnceThenAWaitingEmitByTheNextRecordOnceATokenIsBack() {
    CommitPacer pacer = pacer(new CommitPacing(Duration.ofMillis(20), 3));
    ProcessorContext<Object, Object> context = pacer.context();
    for (int i = 0; i < 3; i++) {
      mock.setCurrentSystemTimeMs(T0 + i); // separate loop passes
      process(pacer, context, 1);
      assertTrue(committedAndReset(), "request " + i + " of the burst");
    }
    mock.setCurrentSystemTimeMs(T0 + 3);
    process(pacer, context, 1); // the bucket is empty (3 ms gave back 0.15 of a token): this one waits
    assertFalse(committedAndReset());
    assertTrue(pacer.pending());
    assertEquals(1, active().size(), "a punctuator for the waiting emit");
    assertEquals(PunctuationType.WALL_CLOCK_TIME, active().get(0).getType());
    assertEquals(Duration.ofMillis(17), active().get(0).getInterval(), "when the next token is back");

    mock.setCurrentSystemTimeMs(T0 + 10); // not a whole token yet: still waiting, still one punctuator
    process(pacer, context, 0);
    assertFalse(committedAndReset());
    assertEquals(1, active().size());

    mock.setCurrentSystemTimeMs(T0 + 20); // a record without output finds the token back
    process(pacer, context, 0);
    assertTrue(committedAndReset());
    assertFalse(pacer.pending());
    assertEquals(List.of(), active(), "the punctuator is gone once the request was made");
    assertEquals(4, pacer.requested());
  }

  @Test
  void aWaitingEmitAfterTheLastRecordIsCommittedByThePunctuator() {
    CommitPacer pacer = pacer(new CommitPacing(Duration.ofMillis(50), 1));
    ProcessorContext<Object, Object> context = pacer.context();
    process(pacer, context, 1);
    assertTrue(committedAndReset());
    mock.setCurrentSystemTimeMs(T0 + 1);
    process(pacer, context, 1); // no token, and no record follows
    assertFalse(committedAndReset());
    CapturedPunctuator retry = active().get(0);
    assertEquals(Duration.ofMillis(49), retry.getInterval());
    mock.setCurrentSystemTimeMs(T0 + 50);
    retry.getPunctuator().punctuate(T0 + 50);
    assertTrue(committedAndReset());
    assertTrue(retry.cancelled());
    assertEquals(2, pacer.requested());
    // quiet for a while: the bucket is full again (burst 1), the next emit commits at once
    mock.setCurrentSystemTimeMs(T0 + 1_000);
    process(pacer, context, 1);
    assertTrue(committedAndReset());
  }

  @Test
  void theTasksOfAThreadShareItsBucket() {
    // under exactly_once_v2 one commit covers every task of the thread: the limit is the thread's
    CommitPacer.Bucket bucket = new CommitPacer.Bucket(new CommitPacing(Duration.ofMillis(20), 2), T0);
    MockProcessorContext<Object, Object> other = new MockProcessorContext<>();
    mock.setCurrentSystemTimeMs(T0);
    other.setCurrentSystemTimeMs(T0);
    CommitPacer a = new CommitPacer(mock, bucket);
    CommitPacer b = new CommitPacer(other, bucket);
    process(a, a.context(), 1);
    assertTrue(committedAndReset());
    other.setCurrentSystemTimeMs(T0 + 1);
    b.context().forward(new Record<>("c", "m", T0), TopologyNames.PARSED_SINK);
    b.afterWork();
    assertTrue(other.committed(), "the second token");
    mock.setCurrentSystemTimeMs(T0 + 2);
    process(a, a.context(), 1);
    assertFalse(committedAndReset(), "the thread's two tokens are gone");
    assertTrue(a.pending());
    assertEquals(1, a.requested());
    assertEquals(1, b.requested());
  }

  @Test
  void theProcessorsOwnPunctuationsThatEmitRequestACommitToo() {
    CommitPacer pacer = pacer(CommitPacing.DEFAULTS);
    ProcessorContext<Object, Object> context = pacer.context();
    context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME,
        ts -> context.forward(new Record<>("c", "flushed", ts), TopologyNames.PARSED_SINK));
    CapturedPunctuator flush = mock.scheduledPunctuators().get(0);
    flush.getPunctuator().punctuate(T0 + 1_000);
    assertTrue(committedAndReset(), "an idle flush's message is committed like any other");
    assertEquals(1, mock.forwarded().size());
  }

  @Test
  void intervalZeroRequestsAfterEveryEmitAndOffNever() {
    CommitPacer unlimited = pacer(new CommitPacing(Duration.ZERO, 1));
    ProcessorContext<Object, Object> context = unlimited.context();
    for (int i = 0; i < 10; i++) {
      process(unlimited, context, 1);
      assertTrue(committedAndReset());
    }
    assertEquals(List.of(), active());

    CommitPacer off = pacer(CommitPacing.OFF);
    assertTrue(off.context() == mock, "off: the processor gets the real context");
    process(off, off.context(), 3);
    assertFalse(committedAndReset());
    assertEquals(0, off.requested());
    assertEquals(List.of(), active());
  }
}
