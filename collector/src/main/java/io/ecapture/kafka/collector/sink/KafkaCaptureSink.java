package io.ecapture.kafka.collector.sink;

import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.common.TopicNames;
import io.ecapture.kafka.proto.Topic;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces {@link RawEvent}s to {@code ecapture.raw} keyed by connection id (one connection stays
 * ordered in one partition) and {@link ProcessLog}s to {@code ecapture.logs} keyed by host id.
 * Idempotent, acks=all, lz4 (see {@link #producerProperties} for every default the overrides may
 * change). Failed sends are counted in {@link CollectorStats} and logged (at most every 10 s).
 * Used directly when the spool is off, and by {@link SpoolingKafkaSink} as its producer.
 */
public final class KafkaCaptureSink implements CaptureSink {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaCaptureSink.class);
  /** Process-log and key-log lines waiting for the background sender, at most; more are dropped. */
  private static final int LOG_QUEUE_LINES = 1024;
  private static final Duration ERROR_LOG_INTERVAL = Duration.ofSeconds(10);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final KafkaProducer<byte[], byte[]> producer;
  private final CollectorStats stats;
  private final String hostId;
  private final TopicNames topics;
  private final Callback eventCallback;
  private volatile long lastErrorLogNs;
  /** One sender thread, bounded queue; lines beyond it are dropped and counted (see {@link #log}). */
  private final ThreadPoolExecutor logSender =
      new ThreadPoolExecutor(
          1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(LOG_QUEUE_LINES),
          Thread.ofPlatform().name("collector-log-sender").daemon().factory(),
          new ThreadPoolExecutor.AbortPolicy());

  public KafkaCaptureSink(ProducerSettings settings, CollectorStats stats) {
    this.stats = stats;
    this.hostId = settings.hostId();
    this.topics = settings.topics();
    this.producer = new KafkaProducer<>(producerProperties(settings));
    this.eventCallback =
        (metadata, error) -> {
          if (error == null) {
            stats.onSent();
          } else {
            stats.onSendError();
            logSendError(error);
          }
        };
  }

  /**
   * Producer properties: durable (idempotent, acks=all), batched and compressed for throughput,
   * then {@code settings.overrides()}.
   */
  static Properties producerProperties(ProducerSettings settings) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "ecapture-collector-" + settings.hostId());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
    // a record carries at most 16 KiB of payload (plus its header): records never grow, this
    // bounds a request of batches, and equals what ecapture.raw accepts (TopicSetup)
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
        io.ecapture.kafka.common.TopicSetup.RAW_MAX_MESSAGE_BYTES);
    // never stall the ring-buffer thread for long when the broker is away: fail and count instead
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.putAll(settings.overrides());
    Properties properties = new Properties();
    properties.putAll(props);
    return properties;
  }

  @Override
  public void event(RawEvent event) {
    send(Topics.RAW, event.getConnectionId(), event, eventCallback);
  }

  /**
   * Hands the line to a background sender: a producer send may block up to max.block.ms while the
   * broker is unreachable, and process logs are written from start-up and control paths.
   */
  @Override
  public void log(ProcessLog line) {
    Callback counted = (metadata, error) -> {
      if (error != null) {
        stats.onProcessLogDropped();
        logSendError(error);
      }
    };
    try {
      logSender.execute(() -> send(Topics.LOGS, hostId, line, counted));
    } catch (RejectedExecutionException e) { // queue full (broker away for long) or closed
      stats.onProcessLogDropped();
      logSendError(e);
    }
  }

  /**
   * Like {@link #log}: a background send to ecapture.keylog keyed by host id (not spooled);
   * counted in sent / send errors like an event, as the spooling sink counts it.
   */
  @Override
  public void keyLog(String line) {
    try {
      logSender.execute(() -> send(Topics.KEYLOG, hostId, line, eventCallback));
    } catch (RejectedExecutionException e) { // queue full or closed: the line is lost, counted as a send error
      stats.onSendError();
      logSendError(e);
    }
  }

  private <V> void send(Topic<String, V> topic, String key, V value, Callback callback) {
    try {
      String name = topics.nameOf(topic);
      byte[] keyBytes = topic.keySerde().serializer().serialize(name, key);
      byte[] valueBytes = topic.valueSerde().serializer().serialize(name, value);
      producer.send(new ProducerRecord<>(name, keyBytes, valueBytes), callback);
    } catch (RuntimeException e) { // buffer full past max.block.ms, producer closed, ...
      if (topic == Topics.LOGS) {
        stats.onProcessLogDropped();
      } else {
        stats.onSendError(); // events and key-log lines, as their callback counts them
      }
      logSendError(e);
    }
  }

  /**
   * Sends an already serialized record; the outcome goes to {@code callback} only (no counting
   * here). Used by {@link SpoolingKafkaSink}, which owns retries.
   *
   * @throws RuntimeException when the producer refuses at once (no metadata within max.block.ms,
   *     closed)
   */
  void send(String topic, byte[] key, byte[] value, Callback callback) {
    producer.send(new ProducerRecord<>(topic, key, value), callback);
  }

  /**
   * Partitions of {@code topic} in the producer's metadata (fetched when missing, waiting up to
   * max.block.ms).
   *
   * @throws RuntimeException when the metadata cannot be had in time, or the producer is closed
   */
  int partitionsFor(String topic) {
    return producer.partitionsFor(topic).size();
  }

  void logSendError(Exception error) {
    long now = System.nanoTime();
    if (now - lastErrorLogNs > ERROR_LOG_INTERVAL.toNanos()) {
      lastErrorLogNs = now;
      LOG.warn("Kafka send failed (further failures counted, logged every 10 s): {}", error.toString());
    }
  }

  /** The producer's own metrics. */
  @Override
  public Map<MetricName, ? extends Metric> kafkaMetrics() {
    return producer.metrics();
  }

  @Override
  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    logSender.shutdown();
    try {
      if (!logSender.awaitTermination(5, TimeUnit.SECONDS)) {
        logSender.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(CLOSE_TIMEOUT);
  }
}
