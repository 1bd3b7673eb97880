package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.StreamsProcessor;
import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import io.ecapture.kafka.proto.Serdes;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The real topology in a TopologyTestDriver (at_least_once, idle flush 1 s, connection TTL
 * 5 min, wall clock starting 2026-01-01T00:00:00Z), with helpers to feed whole byte streams.
 */
final class TopologyHarness implements AutoCloseable {
  final ProcessorMetrics metrics = new ProcessorMetrics();
  final ProcessorConfig config;
  private final TopologyTestDriver driver;
  private final TestInputTopic<String, byte[]> raw;
  private final TestOutputTopic<String, ParsedMessage> parsed;
  private final TestOutputTopic<byte[], byte[]> dlq;

  TopologyHarness(Path stateDir) {
    this(ProcessorConfig.builder().stateDir(stateDir).build());
  }

  TopologyHarness(Path stateDir, ProcessorLimits limits) {
    this(ProcessorConfig.builder().stateDir(stateDir).limits(limits).build());
  }

  TopologyHarness(ProcessorConfig base) {
    config = base.toBuilder()
        .processingGuarantee(StreamsConfig.AT_LEAST_ONCE)
        .idleFlush(Duration.ofSeconds(1))
        .connectionTtl(Duration.ofMinutes(5))
        .build();
    driver = new TopologyTestDriver(StreamsProcessor.buildTopology(config, metrics),
        config.toStreamsProperties(), Instant.parse("2026-01-01T00:00:00Z"));
    raw = driver.createInputTopic(Topics.RAW.name(), new StringSerializer(), new ByteArraySerializer());
    parsed = driver.createOutputTopic(Topics.PARSED.name(), new StringDeserializer(),
        Serdes.PARSED_MESSAGE.deserializer());
    dlq = driver.createOutputTopic(Topics.DLQ.name(), new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }

  /** One event, keyed by its connection id as the collector keys it. */
  void send(RawEvent event) {
    raw.pipeInput(event.getConnectionId(), event.toByteArray());
  }

  /** Any bytes (or none) under any key: what a broken producer could write. */
  void sendRaw(String key, byte[] value) {
    raw.pipeInput(key, value);
  }

  /** {@code bytes} of one direction as chunks cut at {@code cuts} (ascending stream offsets). */
  void sendSplit(RawEvents events, Direction direction, long baseOffset, byte[] bytes, int... cuts) {
    int from = 0;
    for (int cut : cuts) {
      if (cut > from && cut < bytes.length) {
        send(events.data(direction, baseOffset + from, Arrays.copyOfRange(bytes, from, cut), from));
        from = cut;
      }
    }
    send(events.data(direction, baseOffset + from, Arrays.copyOfRange(bytes, from, bytes.length), from));
  }

  void idle(Duration duration) {
    driver.advanceWallClockTime(duration);
  }

  void idle(long millis) {
    idle(Duration.ofMillis(millis));
  }

  /** Every parsed message since the last call. */
  List<ParsedMessage> output() {
    return parsed.readValuesToList();
  }

  /** The parsed-message topic, for one-by-one reads. */
  TestOutputTopic<String, ParsedMessage> parsed() {
    return parsed;
  }

  /** The dead-letter topic. */
  TestOutputTopic<byte[], byte[]> dlq() {
    return dlq;
  }

  /** The connection's state while it is open; null once it finished (or was never seen). */
  ProcessorConnectionState openState(String key) {
    ProcessorConnectionState state = store().get(key);
    return state == null || state.getFinished() ? null : state;
  }

  /** What the changelog holds: the driver commits (flushes the write-behind states) after every record. */
  KeyValueStore<String, ProcessorConnectionState> store() {
    return ((ConnectionStateStore) driver.getStateStore(TopologyNames.STATE_STORE)).committed();
  }

  /**
   * A restart or a task move: this driver closes (its processor and every in-memory decoding
   * context with it) and a new driver, with new processor instances, starts over a store that
   * holds what the changelog holds. The test driver wipes its state directory on close and
   * never reads a changelog, so the stored entries are carried over the way Kafka Streams'
   * restoration would put them back (before any new record is processed).
   */
  TopologyHarness restart() {
    List<KeyValue<String, ProcessorConnectionState>> changelog = new java.util.ArrayList<>();
    try (KeyValueIterator<String, ProcessorConnectionState> all = store().all()) {
      all.forEachRemaining(changelog::add);
    }
    close();
    TopologyHarness next = new TopologyHarness(config);
    next.store().putAll(changelog);
    return next;
  }

  @Override
  public void close() {
    driver.close();
  }
}
