package io.ecapture.kafka.processor;

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
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
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
    StoreBuilder<KeyValueStore<String, ProcessorConnectionState>> store =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(TopologyNames.STATE_STORE),
                Serdes.String(),
                STATE_SERDE)
            .withCachingEnabled()
            .withLoggingEnabled(java.util.Map.of(
                "max.message.bytes", Integer.toString(config.limits().maxStateRecordBytes())));
    Topology topology = new Topology();
    // raw bytes in: decoding happens in the processor so poison pills reach the DLQ with a reason
    topology.addSource(TopologyNames.SOURCE,
        Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), Topics.RAW.name());
    topology.addProcessor(TopologyNames.PROCESSOR,
        new ConnectionProcessorSupplier(config, metrics), TopologyNames.SOURCE);
    topology.addStateStore(store, TopologyNames.PROCESSOR);
    topology.addSink(TopologyNames.PARSED_SINK, Topics.PARSED.name(),
        Topics.PARSED.keySerde().serializer(), Topics.PARSED.valueSerde().serializer(),
        TopologyNames.PROCESSOR);
    topology.addSink(TopologyNames.DLQ_SINK, Topics.DLQ.name(),
        Topics.DLQ.keySerde().serializer(), Topics.DLQ.valueSerde().serializer(),
        TopologyNames.PROCESSOR);
    return topology;
  }

  /**
   * Starts the app and returns once it is RUNNING, or after {@link ProcessorConfig#startTimeout()}
   * (the app keeps trying to reach the broker in the background; check {@link Handle#state()}).
   * A stream thread that dies is replaced, so a bad record or a broker hiccup never ends the app.
   *
   * @throws UncheckedIOException the status port ({@link ProcessorConfig#statusPort()}) could not
   *     be bound; nothing was started then
   */
  public static Handle start(ProcessorConfig config) throws InterruptedException {
    ProcessorMetrics metrics = new ProcessorMetrics();
    java.util.Properties props = config.toStreamsProperties();
    props.put(OversizedRecordHandler.METRICS_CONFIG, metrics);
    KafkaStreams streams = new KafkaStreams(buildTopology(config, metrics), props);
    StatusServer status = null;
    if (config.statusPort() != ProcessorConfig.STATUS_PORT_OFF) {
      try {
        status = StatusServer.start(config.statusPort(), config.applicationId(), metrics, streams);
      } catch (IOException e) {
        streams.close();
        throw new UncheckedIOException(
            "processor status port 127.0.0.1:" + config.statusPort() + " not available", e);
      }
    }
    CountDownLatch running = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      LOG.info("processor state {} -> {}", before, now);
      if (now == KafkaStreams.State.RUNNING) {
        running.countDown();
      }
    });
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("stream thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    ScheduledExecutorService stats = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "processor-stats");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(1, config.statsInterval().toMillis());
    stats.scheduleAtFixedRate(() -> LOG.info("processor stats: {}", metrics.summary()),
        period, period, TimeUnit.MILLISECONDS);
    streams.start();
    if (!running.await(config.startTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
      LOG.warn("processor not RUNNING after {} (state {}); continuing in the background",
          config.startTimeout(), streams.state());
    }
    return new Handle(streams, metrics, stats, status);
  }

  /** A running processor. {@link #close()} stops it and waits for a clean shutdown. */
  public static final class Handle implements AutoCloseable {
    private final KafkaStreams streams;
    private final ProcessorMetrics metrics;
    private final ScheduledExecutorService stats;
    private final StatusServer status;

    private Handle(KafkaStreams streams, ProcessorMetrics metrics, ScheduledExecutorService stats,
        StatusServer status) {
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
      // leave the group so a restarted processor gets the partitions at once, not after the
      // session timeout
      streams.close(CloseOptions.timeout(java.time.Duration.ofSeconds(30))
          .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
      if (status != null) {
        status.close();
      }
      LOG.info("processor stopped: {}", metrics.summary());
    }
  }
}
