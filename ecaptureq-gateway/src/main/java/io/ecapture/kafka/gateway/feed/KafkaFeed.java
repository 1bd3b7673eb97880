package io.ecapture.kafka.gateway.feed;

import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.gateway.GatewayCounters;
import io.ecapture.kafka.gateway.session.Broadcaster;
import io.ecapture.kafka.gateway.wire.ProcessLogFormatter;
import io.ecapture.kafka.proto.Serdes;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import io.ecapture.kafka.common.TopicSetup;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code ecapture.parsed} and {@code ecapture.logs} on one thread and hands every record to
 * the {@link Broadcaster}.
 *
 * <p>Partitions are assigned manually, not through a consumer group: every gateway instance must
 * see every record (it is a broadcast, not a work queue), and manual assignment needs no group
 * coordinator, no rebalance delay and leaves no group behind. Partitions are looked up again every
 * {@link GatewayConfig#assignmentRefresh()} ({@link GatewayConfig#missingTopicRetry()} until both topics exist), so topics
 * created after the gateway and added partitions are picked up; partitions that appear after the
 * first lookup of their topic are read from their beginning, and so is a topic found missing at an
 * earlier lookup, so nothing produced to them is lost. Lookups never create topics.
 *
 * <p>Where reading starts: {@code ecapture.parsed} at the end (live view) unless {@link
 * GatewayConfig#startFromLatest()} is false; {@code ecapture.logs} at the last {@link
 * GatewayConfig#replayLogs()} records of each partition, to refill the replay buffer after a
 * restart.
 *
 * <p>Values are decoded here rather than by the consumer's deserializer so one undecodable record
 * is counted, logged and skipped instead of failing the poll. Reads use {@code read_committed} so
 * an exactly-once processor's aborted output is never shown. While the broker is unreachable the
 * client retries on its own; nothing here gives up.
 */
public final class KafkaFeed implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KafkaFeed.class);
  /** fetch.max.wait.ms of the feed's consumer (Kafka's default: 500). */
  static final int IDLE_FETCH_WAIT_MS = 2_000;

  private final GatewayConfig config;
  /** The topics read ({@link GatewayConfig#topics()}). */
  private final String parsedTopic;
  private final String logsTopic;
  private final Broadcaster broadcaster;
  private final GatewayCounters counters;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Deserializer<ParsedMessage> parsedDecoder = Serdes.PARSED_MESSAGE.deserializer();
  private final Deserializer<ProcessLog> logDecoder = Serdes.PROCESS_LOG.deserializer();
  private final Set<TopicPartition> assigned = new HashSet<>();
  private final Set<String> topicsStarted = new HashSet<>();
  private final Set<String> seenMissing = new HashSet<>();
  private final CountDownLatch ready = new CountDownLatch(1);
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean started;
  private volatile int assignedCount;
  private volatile long lag = -1;

  public KafkaFeed(GatewayConfig config, Broadcaster broadcaster, GatewayCounters counters) {
    this.config = config;
    this.parsedTopic = config.topics().parsed();
    this.logsTopic = config.topics().logs();
    this.broadcaster = broadcaster;
    this.counters = counters;
    this.consumer =
        new KafkaConsumer<>(properties(config), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.thread = Thread.ofPlatform().name("gateway-kafka-feed").daemon().unstarted(this::run);
  }

  static Properties properties(GatewayConfig config) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "ecaptureq-gateway-" + UUID.randomUUID());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, config.startFromLatest() ? "latest" : "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // looking a topic up must not create it with broker defaults before the topic setup runs
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    // parsed records carry whole bodies (up to ~24 MiB with the processor's defaults): a fetch
    // may bring one of the largest batches ecapture.parsed accepts, per partition and in total
    // (the broker returns an oversized first batch anyway; this keeps such fetches ordinary)
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, TopicSetup.PARSED_MAX_MESSAGE_BYTES);
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, TopicSetup.PARSED_MAX_MESSAGE_BYTES);
    // how long the broker holds a fetch that finds nothing: data (a committed transaction of the
    // processor) answers it at once, so this costs no latency; longer means fewer idle requests
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, IDLE_FETCH_WAIT_MS);
    p.putAll(config.kafkaOverrides());
    return p;
  }

  /** Starts the consumer thread. */
  public void start() {
    started = true;
    thread.start();
  }

  /** Waits until partitions of both topics are assigned and their start positions fixed. */
  public boolean awaitAssigned(Duration timeout) throws InterruptedException {
    return ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Partitions currently read, of both topics. */
  public int assignedPartitions() {
    return assignedCount;
  }

  /**
   * The consumer's own metrics (fetch rates, lag per partition, connection counts...) for {@code
   * /metrics}; safe to call from any thread.
   */
  public Map<MetricName, ? extends Metric> kafkaMetrics() {
    return consumer.metrics();
  }

  private void run() {
    long nextLookup = 0;
    while (running) {
      try {
        if (System.nanoTime() - nextLookup >= 0) {
          refreshAssignment();
          Duration wait =
              topicsStarted.size() == 2 ? config.assignmentRefresh() : config.missingTopicRetry();
          nextLookup = System.nanoTime() + wait.toNanos();
        }
        if (assigned.isEmpty()) {
          Thread.sleep(config.pollTimeout().toMillis());
          continue;
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(config.pollTimeout())) {
          try {
            dispatch(record);
          } catch (RuntimeException e) {
            // a bug in mapping or sending one record must cost that record, not the rest of the
            // batch (the consumer's position is already past it): count it and go on
            counters.dispatchErrors.increment();
            long errors = counters.dispatchErrors.sum();
            if (errors <= 10 || Long.bitCount(errors) == 1) {
              log.error("record {}-{}@{} not delivered to clients ({} so far)",
                  record.topic(), record.partition(), record.offset(), errors, e);
            }
          }
        }
        lag = currentLag();
      } catch (WakeupException | InterruptedException e) {
        // close() asked us to stop; the loop condition decides
      } catch (KafkaException e) {
        log.warn("Kafka consumer problem, retrying: {}", e.toString());
        pause();
      } catch (RuntimeException e) {
        // a bug outside one record's delivery (assignment, lag) must not end the feed
        log.error("unexpected error in the Kafka feed", e);
        pause();
      }
    }
    consumer.close();
  }

  /** Records behind the partition ends as of the last poll, -1 when unknown. */
  public long lag() {
    return lag;
  }

  /** Sum over assigned partitions from the last fetch responses (no broker round trip). */
  private long currentLag() {
    long sum = 0;
    for (TopicPartition tp : assigned) {
      OptionalLong partitionLag = consumer.currentLag(tp);
      if (partitionLag.isEmpty()) {
        return -1;
      }
      sum += partitionLag.getAsLong();
    }
    return sum;
  }

  private void refreshAssignment() {
    Map<String, List<TopicPartition>> found = new HashMap<>();
    for (String topic : List.of(parsedTopic, logsTopic)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, config.metadataTimeout());
      List<TopicPartition> fresh = new ArrayList<>();
      for (PartitionInfo info : infos == null ? List.<PartitionInfo>of() : infos) {
        TopicPartition tp = new TopicPartition(info.topic(), info.partition());
        if (!assigned.contains(tp)) {
          fresh.add(tp);
        }
      }
      if (!fresh.isEmpty()) {
        found.put(topic, fresh);
      } else if (infos == null || infos.isEmpty()) {
        seenMissing.add(topic);
      }
    }
    if (found.isEmpty()) {
      return;
    }
    Set<TopicPartition> next = new HashSet<>(assigned);
    found.values().forEach(next::addAll);
    consumer.assign(next);
    try {
      found.forEach(this::position);
    } catch (KafkaException e) {
      // roll back so the next lookup finds these partitions new again and retries them
      consumer.assign(assigned);
      throw e;
    }
    assigned.addAll(next);
    topicsStarted.addAll(found.keySet());
    assignedCount = assigned.size();
    log.info("reading {} partitions of {} and {}", assigned.size(), parsedTopic, logsTopic);
    if (topicsStarted.size() == 2) {
      ready.countDown();
    }
  }

  /** Sets where newly assigned partitions start and resolves it now, so readiness is exact. */
  private void position(String topic, List<TopicPartition> partitions) {
    if (topicsStarted.contains(topic) || (topic.equals(parsedTopic) && seenMissing.contains(topic))) {
      // partitions or a whole topic created while we run: all of it is new data
      consumer.seekToBeginning(partitions);
    } else if (topic.equals(logsTopic)) {
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, config.metadataTimeout());
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, config.metadataTimeout());
      for (TopicPartition tp : partitions) {
        consumer.seek(tp, Math.max(begin.get(tp), end.get(tp) - config.replayLogs()));
      }
    } else if (config.startFromLatest()) {
      consumer.seekToEnd(partitions);
    } else {
      consumer.seekToBeginning(partitions);
    }
    for (TopicPartition tp : partitions) {
      consumer.position(tp, config.metadataTimeout());
    }
  }

  private void dispatch(ConsumerRecord<byte[], byte[]> record) {
    if (record.topic().equals(parsedTopic)) {
      counters.parsedRecords.increment();
      if (broadcaster.hasClients()) {
        ParsedMessage message = decode(parsedDecoder, record);
        if (message != null) {
          broadcaster.publish(message, record.timestamp() * 1_000_000L);
        }
      }
    } else {
      counters.logRecords.increment();
      ProcessLog line = decode(logDecoder, record);
      if (line != null) {
        broadcaster.publishLog(ProcessLogFormatter.format(line));
      }
    }
  }

  private <T> T decode(Deserializer<T> decoder, ConsumerRecord<byte[], byte[]> record) {
    try {
      T value = record.value() == null ? null : decoder.deserialize(record.topic(), record.value());
      if (value == null) {
        throw new SerializationException("record has no value");
      }
      return value;
    } catch (SerializationException e) {
      counters.undecodableRecords.increment();
      long skipped = counters.undecodableRecords.sum();
      // the first few in full, then a reminder now and then: a poison topic must not flood logs
      if (skipped <= 10 || Long.bitCount(skipped) == 1) {
        log.warn(
            "skipped undecodable record {}-{}@{} ({} so far): {}",
            record.topic(), record.partition(), record.offset(), skipped, e.getMessage());
      }
      return null;
    }
  }

  private void pause() {
    try {
      Thread.sleep(config.pollTimeout().toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the consumer thread (waits up to 10 s) and closes the consumer. */
  @Override
  public void close() {
    running = false;
    if (!started) {
      consumer.close();
      return;
    }
    consumer.wakeup();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
