package io.ecapture.kafka.processor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Configuration of the streams processor. {@link #defaults()} gives a working single-node setup;
 * the {@code with*} methods return modified copies.
 *
 * @param bootstrapServers Kafka bootstrap servers, default {@value #DEFAULT_BOOTSTRAP}
 * @param applicationId Kafka Streams application id (consumer group, internal topic prefix),
 *     default {@value #DEFAULT_APPLICATION_ID}
 * @param stateDir RocksDB state directory, default {@code <java.io.tmpdir>/ecapture-processor}
 * @param processingGuarantee {@code exactly_once_v2} (default) or {@code at_least_once}
 * @param idleFlush a direction with unparsed bytes is flushed after this much processing
 *     wall-clock time without new data (default 1 s); also the time a hole in the byte stream may
 *     stay open before it is declared a gap
 * @param connectionTtl per-connection state with nothing left to flush is dropped after this much
 *     inactivity (default 10 min) so connections whose close was never captured do not leak
 * @param statsInterval period of the one-line stats log (default 30 s)
 * @param streamThreads Kafka Streams threads (default 1)
 * @param startTimeout how long {@link StreamsProcessor#start} waits for the RUNNING state
 *     (default 60 s)
 * @param limits buffer bounds of the parsers and the reassembly
 * @param streamsOverrides raw Kafka Streams/client properties applied last (e.g. a short
 *     {@code consumer.session.timeout.ms} so a crashed instance's partitions move quickly);
 *     empty by default
 */
public record ProcessorConfig(
    String bootstrapServers,
    String applicationId,
    Path stateDir,
    String processingGuarantee,
    Duration idleFlush,
    Duration connectionTtl,
    Duration statsInterval,
    int streamThreads,
    Duration startTimeout,
    ProcessorLimits limits,
    Map<String, String> streamsOverrides) {

  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
  public static final String DEFAULT_APPLICATION_ID = "ecapture-processor";
  public static final String DEFAULT_PROCESSING_GUARANTEE = StreamsConfig.EXACTLY_ONCE_V2;
  /** linger.ms of the processor's producer (Kafka Streams' own default is 100). */
  public static final int DEFAULT_PRODUCER_LINGER_MS = 20;
  public static final Duration DEFAULT_IDLE_FLUSH = Duration.ofSeconds(1);

  public ProcessorConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(applicationId, "applicationId");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(limits, "limits");
    streamsOverrides = Map.copyOf(streamsOverrides);
    if (!StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee)
        && !StreamsConfig.AT_LEAST_ONCE.equals(processingGuarantee)) {
      throw new IllegalArgumentException(
          "processing guarantee must be exactly_once_v2 or at_least_once: " + processingGuarantee);
    }
    if (idleFlush.isNegative() || idleFlush.isZero() || connectionTtl.compareTo(idleFlush) < 0) {
      throw new IllegalArgumentException("idleFlush must be > 0 and connectionTtl >= idleFlush");
    }
    if (streamThreads < 1) {
      throw new IllegalArgumentException("streamThreads must be >= 1");
    }
  }

  public static ProcessorConfig defaults() {
    return new ProcessorConfig(
        DEFAULT_BOOTSTRAP,
        DEFAULT_APPLICATION_ID,
        Path.of(System.getProperty("java.io.tmpdir"), "ecapture-processor"),
        DEFAULT_PROCESSING_GUARANTEE,
        DEFAULT_IDLE_FLUSH,
        Duration.ofMinutes(10),
        Duration.ofSeconds(30),
        1,
        Duration.ofSeconds(60),
        ProcessorLimits.defaults(),
        Map.of());
  }

  public ProcessorConfig withBootstrapServers(String value) {
    return new ProcessorConfig(value, applicationId, stateDir, processingGuarantee, idleFlush,
        connectionTtl, statsInterval, streamThreads, startTimeout, limits, streamsOverrides);
  }

  public ProcessorConfig withApplicationId(String value) {
    return new ProcessorConfig(bootstrapServers, value, stateDir, processingGuarantee, idleFlush,
        connectionTtl, statsInterval, streamThreads, startTimeout, limits, streamsOverrides);
  }

  public ProcessorConfig withStateDir(Path value) {
    return new ProcessorConfig(bootstrapServers, applicationId, value, processingGuarantee,
        idleFlush, connectionTtl, statsInterval, streamThreads, startTimeout, limits, streamsOverrides);
  }

  public ProcessorConfig withProcessingGuarantee(String value) {
    return new ProcessorConfig(bootstrapServers, applicationId, stateDir, value, idleFlush,
        connectionTtl, statsInterval, streamThreads, startTimeout, limits, streamsOverrides);
  }

  public ProcessorConfig withIdleFlush(Duration value) {
    Duration ttl = connectionTtl.compareTo(value) < 0 ? value : connectionTtl;
    return new ProcessorConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
        value, ttl, statsInterval, streamThreads, startTimeout, limits, streamsOverrides);
  }

  public ProcessorConfig withConnectionTtl(Duration value) {
    return new ProcessorConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
        idleFlush, value, statsInterval, streamThreads, startTimeout, limits, streamsOverrides);
  }

  public ProcessorConfig withStatsInterval(Duration value) {
    return new ProcessorConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
        idleFlush, connectionTtl, value, streamThreads, startTimeout, limits, streamsOverrides);
  }

  public ProcessorConfig withLimits(ProcessorLimits value) {
    return new ProcessorConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
        idleFlush, connectionTtl, statsInterval, streamThreads, startTimeout, value, streamsOverrides);
  }

  public ProcessorConfig withStreamThreads(int value) {
    return new ProcessorConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
        idleFlush, connectionTtl, statsInterval, value, startTimeout, limits, streamsOverrides);
  }

  /** A copy with {@code key=value} added to {@link #streamsOverrides()}. */
  public ProcessorConfig withStreamsOverride(String key, String value) {
    Map<String, String> overrides = new java.util.HashMap<>(streamsOverrides);
    overrides.put(key, value);
    return new ProcessorConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
        idleFlush, connectionTtl, statsInterval, streamThreads, startTimeout, limits, overrides);
  }

  /** Kafka Streams properties derived from this config (no default serdes on purpose). */
  public Properties toStreamsProperties() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
    // EOS commits every 100 ms by default; keep that so parsed messages reach the gateway quickly
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Streams' producer lingers 100 ms by default: at a quiet host's rates every parsed message
    // waited that long (most of at_least_once's end-to-end p50). 20 ms kept the saturated
    // throughput (bench/processor.sh throughput broker); 5 ms cost about 18% of it
    props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), DEFAULT_PRODUCER_LINGER_MS);
    // parsed messages are text-heavy: compress batches (lz4 is cheap on 2 cores)
    props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
    props.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, OversizedRecordHandler.class);
    // a connection's state (unparsed bytes of both directions) may exceed 1 MiB; the changelog
    // topic allows MAX_STATE_RECORD_BYTES (StreamsProcessor), so the producer must too
    props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        StreamsProcessor.MAX_STATE_RECORD_BYTES);
    // connection states hold unparsed bytes: a larger record cache saves most store writes
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 64L << 20);
    props.putAll(streamsOverrides);
    return props;
  }
}
