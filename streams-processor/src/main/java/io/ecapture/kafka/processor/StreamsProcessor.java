package io.ecapture.kafka.processor;

import io.ecapture.kafka.common.KafkaProcessLog;
import io.ecapture.kafka.processor.topology.ConnectionProcessorSupplier;
import io.ecapture.kafka.processor.topology.TopologyNames;
import io.ecapture.kafka.proto.ProtobufSerde;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import io.ecapture.kafka.processor.topology.ConnectionStateStore;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry points of the processor: the topology (used as is by tests) and a running app.
 *
 * <pre>
 * ecapture.raw (bytes) -> connection-processor [store connection-state] -> ecapture.parsed
 *                                                                      \-> ecapture.dlq
 * </pre>
 *
 * Topics {@code ecapture.raw}, {@code ecapture.parsed} and {@code ecapture.dlq} must exist
 * before {@link #start}; the store's changelog topic is created by Kafka Streams. A running app
 * serves {@code /status} and {@code /metrics} on its loopback status port ({@link StatusServer}).
 */
public final class StreamsProcessor {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsProcessor.class);
  /** Component name of the processor's lines in {@code ecapture.logs}. */
  public static final String COMPONENT = "processor";

  /** Serde of the per-connection state store values (and its changelog). */
  public static final ProtobufSerde<ProcessorConnectionState> STATE_SERDE =
      new ProtobufSerde<>(ProcessorConnectionState.parser(), "ProcessorConnectionState");

  private StreamsProcessor() {}

  /** The topology with fresh metrics. */
  public static Topology buildTopology(ProcessorConfig config) {
    return buildTopology(config, new ProcessorMetrics());
  }

  /** The topology, counting into {@code metrics}. Serdes are explicit on every node. */
  public static Topology buildTopology(ProcessorConfig config, ProcessorMetrics metrics) {
    StoreBuilder<ConnectionStateStore> store = stateStore(config,
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(TopologyNames.STATE_STORE),
                Serdes.String(),
                STATE_SERDE)
            .withLoggingEnabled(java.util.Map.of(
                "max.message.bytes", Integer.toString(config.maxRecordBytes()))));
    Topology topology = new Topology();
    // raw bytes in: decoding happens in the processor so poison pills reach the DLQ with a reason
    topology.addSource(TopologyNames.SOURCE,
        Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), config.topics().raw());
    topology.addProcessor(TopologyNames.PROCESSOR,
        new ConnectionProcessorSupplier(config, metrics), TopologyNames.SOURCE);
    topology.addStateStore(store, TopologyNames.PROCESSOR);
    topology.addSink(TopologyNames.PARSED_SINK, config.topics().parsed(),
        Topics.PARSED.keySerde().serializer(), Topics.PARSED.valueSerde().serializer(),
        TopologyNames.PROCESSOR);
    topology.addSink(TopologyNames.DLQ_SINK, config.topics().dlq(),
        Topics.DLQ.keySerde().serializer(), Topics.DLQ.valueSerde().serializer(),
        TopologyNames.PROCESSOR);
    return topology;
  }

  /**
   * The connection state store over {@code inner} (changelogged, without Kafka Streams' record
   * cache: {@link ConnectionStateStore} caches the states itself and writes each changed one once
   * per commit), bounded by the cached-state limits.
   */
  public static StoreBuilder<ConnectionStateStore> stateStore(ProcessorConfig config,
      StoreBuilder<KeyValueStore<String, ProcessorConnectionState>> inner) {
    return ConnectionStateStore.builder(inner, config.limits().maxCachedStates(),
        config.limits().maxCachedStateBytes());
  }

  /**
   * Starts the app and returns once it is RUNNING, or after {@link ProcessorConfig#startTimeout()}
   * (the app keeps trying to reach the broker in the background; check {@link Handle#state()});
   * at once when that is zero.
   * A record that keeps failing is retried a bounded number of times and then dead-lettered
   * ({@link PoisonRecordHandler}); a stream thread that dies is replaced after a backoff, and the
   * app stops (state ERROR) only when threads keep dying ({@link ThreadFailureHandler}); see
   * {@link ProcessorConfig#failures()}.
   *
   * @throws UncheckedIOException the status port ({@link ProcessorConfig#statusPort()}) could not
   *     be bound; nothing was started then
   */
  public static Handle start(ProcessorConfig config) throws InterruptedException {
    return start(config, StreamsProcessor::buildTopology);
  }

  /**
   * {@link #start(ProcessorConfig)} with another topology, counting into the app's metrics: for
   * tests and embedders that put their own nodes around the standard ones ({@link #buildTopology}).
   */
  public static Handle start(ProcessorConfig config,
      java.util.function.BiFunction<ProcessorConfig, ProcessorMetrics, Topology> topology)
      throws InterruptedException {
    // in the background: an unreachable broker must not delay the start
    Thread.ofVirtual().name("processor-topic-sizes").start(() -> ensureRecordSizes(config));
    ProcessorMetrics metrics = new ProcessorMetrics();
    java.util.Properties props = config.toStreamsProperties();
    props.put(OversizedRecordHandler.METRICS_CONFIG, metrics);
    props.put(PoisonRecordHandler.ATTEMPTS_CONFIG, new PoisonRecordHandler.Attempts(config.failures(), metrics, config.topics().dlq()));
    KafkaStreams streams = new KafkaStreams(topology.apply(config, metrics), props);
    StatusServer status = null;
    if (config.statusPort() != ProcessorConfig.STATUS_PORT_OFF) {
      try {
        status = StatusServer.start(config.statusPort(), config.applicationId(), metrics, streams);
      } catch (IOException e) {
        streams.close();
        LOG.error("processor status port 127.0.0.1:{} not available", config.statusPort());
        throw new UncheckedIOException(
            "processor status port 127.0.0.1:" + config.statusPort() + " not available", e);
      }
    }
    // the processor's own lines, also on ecapture.logs (bounded, never blocking)
    KafkaProcessLog processLog = KafkaProcessLog.start(
        LOG, COMPONENT, config.hostId(), config.bootstrapServers(), config.streamsOverrides(),
        config.topics().logs());
    // warnings and errors of the processor's classes reach ecapture.logs too (launcher's appender)
    io.ecapture.kafka.common.ProcessLogRouting.register("io.ecapture.kafka.processor", processLog);
    processLog.info("starting: application id " + config.applicationId() + ", "
        + config.processingGuarantee() + ", " + config.topics().raw() + " -> " + config.topics().parsed()
        + " at " + config.bootstrapServers());
    CountDownLatch running = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.ERROR) {
        processLog.error("processor state " + before + " -> " + now);
      } else {
        processLog.info("processor state " + before + " -> " + now);
      }
      if (now == KafkaStreams.State.RUNNING) {
        running.countDown();
      }
    });
    ThreadFailureHandler threadFailures = new ThreadFailureHandler(config.failures(), metrics);
    streams.setUncaughtExceptionHandler(threadFailures);
    ScheduledExecutorService stats = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "processor-stats");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(1, config.statsInterval().toMillis());
    stats.scheduleAtFixedRate(() -> LOG.info("processor stats: {}", metrics.summary()),
        period, period, TimeUnit.MILLISECONDS);
    streams.start();
    // zero: return at once (up starts its collector and gateway without waiting for RUNNING)
    if (!config.startTimeout().isZero()
        && !running.await(config.startTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
      LOG.warn("processor not RUNNING after {} (state {}); continuing in the background",
          config.startTimeout(), streams.state());
    }
    return new Handle(streams, metrics, stats, status, threadFailures, processLog);
  }

  /** The changelog topic of the connection state store (created by Kafka Streams). */
  public static String changelogTopic(ProcessorConfig config) {
    return config.applicationId() + "-" + TopologyNames.STATE_STORE + "-changelog";
  }

  /**
   * Raises {@code max.message.bytes} of {@code ecapture.parsed} and of an existing changelog
   * (created by an older version with a smaller limit) to what these limits produce, so a large
   * message is not refused by the broker. Kafka Streams sets the changelog's only when it creates
   * it. A cluster that refuses (no ALTER_CONFIGS permission) is logged, not fatal: such records
   * are then skipped and counted ({@link OversizedRecordHandler}).
   */
  static void ensureRecordSizes(ProcessorConfig config) {
    String bootstrap = config.bootstrapServers();
    int parsed = config.limits().maxParsedRecordBytes() + ProcessorConfig.REQUEST_OVERHEAD_BYTES;
    try {
      io.ecapture.kafka.common.TopicSetup.raiseMaxMessageBytes(
          bootstrap, config.streamsOverrides(), config.topics().parsed(), parsed);
    } catch (IllegalStateException e) {
      LOG.warn("cannot check max.message.bytes of {} (records up to {} bytes): {}",
          config.topics().parsed(), parsed, e.getMessage());
    }
    try {
      io.ecapture.kafka.common.TopicSetup.raiseMaxMessageBytes(
          bootstrap, config.streamsOverrides(), changelogTopic(config), config.maxRecordBytes());
    } catch (IllegalStateException e) {
      // usually: not created yet, Kafka Streams creates it with the right setting
      LOG.debug("changelog {} not checked: {}", changelogTopic(config), e.getMessage());
    }
  }

  /** A running processor. {@link #close()} stops it and waits for a clean shutdown. */
  public static final class Handle implements AutoCloseable {
    private final KafkaStreams streams;
    private final ProcessorMetrics metrics;
    private final ScheduledExecutorService stats;
    private final StatusServer status;
    private final ThreadFailureHandler threadFailures;
    private final KafkaProcessLog processLog;

    private Handle(KafkaStreams streams, ProcessorMetrics metrics, ScheduledExecutorService stats,
        StatusServer status, ThreadFailureHandler threadFailures, KafkaProcessLog processLog) {
      this.threadFailures = threadFailures;
      this.processLog = processLog;
      this.streams = streams;
      this.metrics = metrics;
      this.stats = stats;
      this.status = status;
    }

    public KafkaStreams.State state() {
      return streams.state();
    }

    public ProcessorMetrics metrics() {
      return metrics;
    }

    /** The bound status port (the configured one, or the one picked for 0), or -1 when off. */
    public int statusPort() {
      return status == null ? ProcessorConfig.STATUS_PORT_OFF : status.port();
    }

    @Override
    public void close() {
      stats.shutdownNow();
      threadFailures.closing(); // a thread waiting to be replaced does not hold up the close
      // leave the group so a restarted processor gets the partitions at once, not after the
      // session timeout
      streams.close(CloseOptions.timeout(java.time.Duration.ofSeconds(30))
          .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
      if (status != null) {
        status.close();
      }
      processLog.info("processor stopped: " + metrics.summary());
      processLog.close();
    }

    /** Process-log lines not delivered to {@code ecapture.logs} (queue full, broker away). */
    public long processLogDropped() {
      return processLog.dropped();
    }
  }
}
