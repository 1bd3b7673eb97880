package io.ecapture.kafka.common;

import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.LogLevel;
import io.ecapture.kafka.proto.capture.ProcessLog;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * A component's process log on the stream: each line goes to the component's own log and, as a
 * {@link ProcessLog} with its component name and host id, to {@code ecapture.logs} (keyed by host
 * id), where every gateway shows it to eCaptureQ clients. The collector has its own (spooled)
 * path; the processor and the gateway use this.
 *
 * <p>Never blocks the component: a line is queued (at most {@link #DEFAULT_QUEUE_LINES}) and one
 * daemon thread hands it to a producer of its own; a line that finds the queue full, or that
 * Kafka refuses, is dropped and counted ({@link #dropped()}), and the drop is reported in the
 * local log at most every {@link #DROP_LOG_INTERVAL}. {@link #disabled} keeps lines local only
 * (no Kafka configured).
 */
public final class KafkaProcessLog implements ProcessLogWriter, AutoCloseable {
  /** Lines waiting for the sender, at most; more are dropped and counted. */
  public static final int DEFAULT_QUEUE_LINES = 1024;
  /** How often dropped lines are reported in the local log, at most. */
  public static final Duration DROP_LOG_INTERVAL = Duration.ofSeconds(30);
  /**
   * Marks the local copy of a line this log already queued for the stream (and its own drop
   * reports), so a log appender that routes warnings to the stream ({@link ProcessLogRouting})
   * does not send it twice or loop.
   */
  public static final Marker ON_STREAM = MarkerFactory.getMarker("ecapture.logs");
  /** How long {@link #close} waits for queued lines to be sent. */
  public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final Logger local;
  private final String topic;
  private final String component;
  private final String hostId;
  private final BlockingQueue<ProcessLog> queue;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Thread sender;
  private final LongAdder sent = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private volatile long lastDropLogNs;
  private volatile boolean closed;

  private KafkaProcessLog(Logger local, String topic, String component, String hostId,
      KafkaProducer<byte[], byte[]> producer, int queueLines) {
    this.local = local;
    this.topic = topic;
    this.component = component;
    this.hostId = hostId;
    this.producer = producer;
    this.queue = new ArrayBlockingQueue<>(Math.max(1, queueLines));
    this.sender = producer == null ? null
        : Thread.ofPlatform().name(component + "-process-log").daemon().start(this::run);
  }

  /**
   * Starts the sender. The producer is built now but connects lazily: an unreachable cluster
   * delays nothing.
   *
   * @param clientProperties the component's Kafka client settings (security...); producer
   *     settings only are taken ({@link KafkaClientProperties#forProducer})
   */
  public static KafkaProcessLog start(Logger local, String component, String hostId,
      String bootstrap, Map<String, ?> clientProperties) {
    return start(local, component, hostId, bootstrap, clientProperties, TopicNames.DEFAULT.logs(),
        DEFAULT_QUEUE_LINES);
  }

  /** {@link #start} to another topic (see {@link TopicNames}). */
  public static KafkaProcessLog start(Logger local, String component, String hostId,
      String bootstrap, Map<String, ?> clientProperties, String topic) {
    return start(local, component, hostId, bootstrap, clientProperties, topic, DEFAULT_QUEUE_LINES);
  }

  /** {@link #start} with another queue bound (tests). */
  public static KafkaProcessLog start(Logger local, String component, String hostId,
      String bootstrap, Map<String, ?> clientProperties, String topic, int queueLines) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "ecapture-" + component + "-log-" + hostId);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 50);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // a log line is not worth waiting long for: fail, count, go on
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 4L << 20);
    p.putAll(KafkaClientProperties.forProducer(clientProperties));
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    // no transactions here, whatever the component's own producer uses
    p.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    return new KafkaProcessLog(local, topic, component, hostId, producer, queueLines);
  }

  /** Lines go to the local log only. */
  public static KafkaProcessLog disabled(Logger local, String component, String hostId) {
    return new KafkaProcessLog(local, TopicNames.DEFAULT.logs(), component, hostId, null, 1);
  }

  /** The hostname ({@code $HOSTNAME}, else the resolver's): the default host id. */
  public static String defaultHostId() {
    String name = System.getenv("HOSTNAME");
    if (name == null || name.isBlank()) {
      try {
        name = InetAddress.getLocalHost().getHostName();
      } catch (java.io.IOException e) {
        name = "localhost";
      }
    }
    return name;
  }

  /** Logs locally and queues the line for Kafka; never blocks. */
  @Override
  public void log(LogLevel level, String message) {
    switch (level) {
      case WARN -> local.warn(ON_STREAM, message);
      case ERROR -> local.error(ON_STREAM, message);
      default -> local.info(ON_STREAM, message);
    }
    enqueue(level, message);
  }

  /**
   * Queues a line already written to the local log (by the component's own logger; see {@link
   * ProcessLogRouting}) for Kafka only; never blocks.
   */
  public void enqueue(LogLevel level, String message) {
    if (producer == null) {
      return;
    }
    ProcessLog line = ProcessLogWriter.line(hostId, component, level, message);
    if (closed || !queue.offer(line)) {
      drop(closed ? "closed" : "queue full");
    }
  }

  private void run() {
    byte[] key = Topics.LOGS.keySerde().serializer().serialize(topic, hostId);
    while (!closed || !queue.isEmpty()) {
      ProcessLog line;
      try {
        line = queue.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (line == null) {
        continue;
      }
      byte[] value = Topics.LOGS.valueSerde().serializer().serialize(topic, line);
      try {
        producer.send(new ProducerRecord<>(topic, key, value), (metadata, error) -> {
          if (error == null) {
            sent.increment();
          } else {
            drop(error.toString());
          }
        });
      } catch (RuntimeException e) { // no metadata within max.block.ms, closed
        drop(e.toString());
      }
    }
  }

  private void drop(String why) {
    dropped.increment();
    long now = System.nanoTime();
    if (now - lastDropLogNs > DROP_LOG_INTERVAL.toNanos()) {
      lastDropLogNs = now;
      local.warn(ON_STREAM, "process log line not sent to {} ({} dropped so far): {}", topic,
          dropped.sum(), why);
    }
  }

  /** Lines Kafka acknowledged. */
  public long sent() {
    return sent.sum();
  }

  /** Lines dropped (queue full, refused by Kafka, after close). */
  public long dropped() {
    return dropped.sum();
  }

  /** Whether lines go to Kafka at all. */
  public boolean enabled() {
    return producer != null;
  }

  public String component() {
    return component;
  }

  public String hostId() {
    return hostId;
  }

  /** Sends what is queued (bounded by {@link #CLOSE_TIMEOUT}) and stops. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ProcessLogRouting.unregister(this);
    if (producer == null) {
      return;
    }
    try {
      sender.join(CLOSE_TIMEOUT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sender.interrupt();
    producer.close(CLOSE_TIMEOUT);
  }
}
