package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the main consumer's interceptor remembers of each poll, per thread, and where it is installed. */
class LastFetchedOffsetsTest {
  private static final String RAW = "ecapture.raw";
  private static final String INTERCEPTORS =
      StreamsConfig.mainConsumerPrefix(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG);
  private final LastFetchedOffsets interceptor = new LastFetchedOffsets();

  @AfterEach
  void forget() {
    LastFetchedOffsets.clearForThisThread();
  }

  /** A poll's result: for each partition, records at the offsets given (first..last). */
  static ConsumerRecords<byte[], byte[]> polled(Object... partitionFirstLast) {
    Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> records = new LinkedHashMap<>();
    for (int i = 0; i < partitionFirstLast.length; i += 3) {
      TopicPartition partition = (TopicPartition) partitionFirstLast[i];
      List<ConsumerRecord<byte[], byte[]>> list = new ArrayList<>();
      for (long offset = (long) partitionFirstLast[i + 1]; offset <= (long) partitionFirstLast[i + 2]; offset++) {
        list.add(new ConsumerRecord<>(partition.topic(), partition.partition(), offset, new byte[0], new byte[0]));
      }
      records.put(partition, list);
    }
    return new ConsumerRecords<>(records, Map.of());
  }

  @Test
  void rememberstheLastOffsetEachPollReturnedPerPartition() {
    TopicPartition p0 = new TopicPartition(RAW, 0);
    TopicPartition p1 = new TopicPartition(RAW, 1);
    ConsumerRecords<byte[], byte[]> records = polled(p0, 5L, 7L, p1, 0L, 0L);
    assertSame(records, interceptor.onConsume(records), "the records pass unchanged");
    assertTrue(LastFetchedOffsets.fetchedAfter(RAW, 0, 5));
    assertTrue(LastFetchedOffsets.fetchedAfter(RAW, 0, 6));
    assertFalse(LastFetchedOffsets.fetchedAfter(RAW, 0, 7), "7 is the batch's last");
    assertFalse(LastFetchedOffsets.fetchedAfter(RAW, 1, 0));
    assertFalse(LastFetchedOffsets.fetchedAfter(RAW, 2, 0), "a partition no poll returned");
    assertFalse(LastFetchedOffsets.fetchedAfter("other", 0, 0));

    // an empty poll changes nothing; a later one that returns the partition again replaces it
    // (after a seek back, e.g. a task that came back, its offsets are lower)
    interceptor.onConsume(ConsumerRecords.empty());
    assertTrue(LastFetchedOffsets.fetchedAfter(RAW, 0, 6));
    interceptor.onConsume(polled(p0, 2L, 3L));
    assertFalse(LastFetchedOffsets.fetchedAfter(RAW, 0, 6));
    assertTrue(LastFetchedOffsets.fetchedAfter(RAW, 0, 2));
    assertFalse(LastFetchedOffsets.fetchedAfter(RAW, 1, 0), "the other partition's entry stays");
  }

  @Test
  void anotherThreadSeesNothingOfThisThreadsPolls() throws Exception {
    interceptor.onConsume(polled(new TopicPartition(RAW, 0), 0L, 9L));
    AtomicBoolean seen = new AtomicBoolean(true);
    Thread other = new Thread(() -> seen.set(LastFetchedOffsets.fetchedAfter(RAW, 0, 0)));
    other.start();
    other.join();
    assertFalse(seen.get(), "each stream thread has its own tasks and its own polls");
    assertTrue(LastFetchedOffsets.fetchedAfter(RAW, 0, 0));
  }

  @Test
  void installedOnTheMainConsumerWhenCommitsAreRequestedAndReplaceableByTheUser() {
    ProcessorConfig defaults = ProcessorConfig.builder().build();
    assertEquals(LastFetchedOffsets.class.getName(), defaults.toStreamsProperties().get(INTERCEPTORS));
    assertFalse(ProcessorConfig.builder().commitPacing(CommitPacing.OFF).build()
        .toStreamsProperties().containsKey(INTERCEPTORS), "no requests, nothing to batch");
    assertFalse(ProcessorConfig.builder().processingGuarantee(StreamsConfig.AT_LEAST_ONCE).build()
        .toStreamsProperties().containsKey(INTERCEPTORS), "at_least_once requests no commits");
    assertEquals("", ProcessorConfig.builder().streamsOverride(INTERCEPTORS, "").build()
        .toStreamsProperties().get(INTERCEPTORS), "the user's value wins");
  }
}
