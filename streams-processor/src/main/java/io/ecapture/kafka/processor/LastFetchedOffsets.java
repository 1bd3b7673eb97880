package io.ecapture.kafka.processor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The main consumer's interceptor: remembers, per partition, the offset of the last record each
 * poll returned, for the thread that polled (a stream thread), so a task can tell whether records
 * it has not processed yet are already buffered behind the one in hand.
 *
 * <p>Why: Kafka Streams processes one record per task per loop pass while commits keep happening
 * (its {@code numIterations} halves on every commit), and a commit the processor requests after
 * emitting ({@link CommitPacing}) is made after that pass. Requesting at every emitting record so
 * committed each of a batch's records in its own transaction: a request, its response and the
 * other side's two records on one partition took four commits in a row, and the last message
 * waited for all of them (bench/pipeline-latency.sh live {@code parts=1}: p99 107 to 110 ms against
 * 96 ms with the pair on two partitions). The pacer now leaves the request to the batch's last
 * record ({@code CommitPacer}), one commit per fetched batch.
 *
 * <p>Installed by {@link ProcessorConfig#toStreamsProperties()} as {@code
 * main.consumer.interceptor.classes} under exactly_once_v2 with commit requests on; a user's own
 * value of that property replaces it (then every emitting record requests, as before). Runs on
 * the polling thread (Kafka calls {@code onConsume} inside {@code poll}); nothing is shared
 * between threads. A partition's entry is overwritten by the next poll that returns records of
 * it, so one left over from a revoked task only delays a request to the commit interval once.
 */
public final class LastFetchedOffsets implements ConsumerInterceptor<byte[], byte[]> {
  private static final ThreadLocal<Map<TopicPartition, Long>> LAST =
      ThreadLocal.withInitial(HashMap::new);

  /** Kafka creates it from the class name. */
  public LastFetchedOffsets() {}

  @Override
  public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
    if (!records.isEmpty()) {
      Map<TopicPartition, Long> last = LAST.get();
      for (TopicPartition partition : records.partitions()) {
        List<ConsumerRecord<byte[], byte[]>> fetched = records.records(partition);
        if (!fetched.isEmpty()) {
          last.put(partition, fetched.get(fetched.size() - 1).offset());
        }
      }
    }
    return records;
  }

  /**
   * Whether this thread's polls returned a record of {@code topic}-{@code partition} after
   * {@code offset}: false when they returned none of that partition (or no interceptor ran).
   */
  public static boolean fetchedAfter(String topic, int partition, long offset) {
    Long last = LAST.get().get(new TopicPartition(topic, partition));
    return last != null && last > offset;
  }

  /** Forgets this thread's offsets (for tests, which run on one thread). */
  public static void clearForThisThread() {
    LAST.get().clear();
  }

  @Override
  public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {}

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}
}
