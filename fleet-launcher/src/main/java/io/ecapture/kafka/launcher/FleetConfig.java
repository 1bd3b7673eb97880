package io.ecapture.kafka.launcher;

import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.processor.ProcessorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link Fleet} starts on this host, immutable. Start from {@link #builder(Path)} (its
 * defaults are what {@code up} runs) or change a copy with {@link #toBuilder()}.
 *
 * @param dataDir broker storage ({@code broker/}), streams state ({@code streams/}) and the
 *     collector's spool ({@code spool/}) live here
 * @param broker where Kafka comes from: a child JVM (default), this JVM, or an external cluster
 * @param externalBootstrap bootstrap servers when {@code broker} is {@link BrokerMode#EXTERNAL}
 * @param kafkaPort client port of the embedded broker (the controller takes the next one); 0 =
 *     free; default {@value #DEFAULT_KAFKA_PORT}
 * @param partitions partitions of every pipeline topic; default {@value #DEFAULT_PARTITIONS}
 * @param gatewayListen the eCaptureQ WebSocket address, HOST:PORT; port 0 = free; default
 *     {@link #DEFAULT_GATEWAY_LISTEN}
 * @param capture whether the collector runs (false on a host without eBPF: the rest still runs);
 *     default true
 * @param hostId host id stamped on every captured record; default the hostname
 * @param libsslPaths TLS libraries to probe; empty (default) = the collector's own discovery
 * @param collectorStatusPort the collector's HTTP status port; 0 = free, -1 = off; default the
 *     collector's
 * @param idleFlush processor idle flush per connection direction; default the processor's
 * @param processingGuarantee the processor's Kafka Streams guarantee; default the processor's
 *     (exactly_once_v2)
 * @param collectorDrainInterval the collector's ring-buffer drain interval (see {@link
 *     CollectorConfig#drainInterval()}); default the collector's
 * @param processorStreamsOverrides raw Kafka Streams properties for the processor, applied last;
 *     default none. Values may be secrets: {@link #toString()} masks them.
 */
public record FleetConfig(
    Path dataDir,
    BrokerMode broker,
    String externalBootstrap,
    int kafkaPort,
    int partitions,
    String gatewayListen,
    boolean capture,
    String hostId,
    List<Path> libsslPaths,
    int collectorStatusPort,
    Duration idleFlush,
    String processingGuarantee,
    Duration collectorDrainInterval,
    Map<String, String> processorStreamsOverrides) {

  public static final int DEFAULT_KAFKA_PORT = 9092;
  public static final int DEFAULT_PARTITIONS = TopicSetup.DEFAULT_PARTITIONS;
  /** The embedded broker's client address with the default port. */
  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:" + DEFAULT_KAFKA_PORT;
  public static final String DEFAULT_GATEWAY_LISTEN =
      GatewayConfig.DEFAULT_HOST + ":" + GatewayConfig.DEFAULT_PORT;

  /** How the broker is provided. */
  public enum BrokerMode {
    /** A child JVM: a broker failure cannot take the other components down (what {@code up} uses). */
    CHILD_PROCESS,
    /** In this JVM: fastest start, for tests and benchmarks. */
    IN_PROCESS,
    /** An existing cluster at {@code externalBootstrap}. */
    EXTERNAL
  }

  public FleetConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(broker, "broker");
    libsslPaths = List.copyOf(libsslPaths);
    processorStreamsOverrides = Map.copyOf(processorStreamsOverrides);
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1");
    }
    if (kafkaPort < 0 || kafkaPort > 65534) {
      throw new IllegalArgumentException("kafkaPort must be 0..65534 (the controller takes the next port)");
    }
    if (broker == BrokerMode.EXTERNAL && (externalBootstrap == null || externalBootstrap.isBlank())) {
      throw new IllegalArgumentException("an external broker needs bootstrap servers");
    }
  }

  /** A builder holding what {@code up} runs by default, with its data under {@code dataDir}. */
  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Like the record's, but the processor overrides' values are masked: they may hold secrets. */
  @Override
  public String toString() {
    Map<String, String> masked = new LinkedHashMap<>();
    processorStreamsOverrides.keySet().stream().sorted().forEach(k -> masked.put(k, "***"));
    return "FleetConfig[dataDir=" + dataDir + ", broker=" + broker + ", externalBootstrap="
        + externalBootstrap + ", kafkaPort=" + kafkaPort + ", partitions=" + partitions
        + ", gatewayListen=" + gatewayListen + ", capture=" + capture + ", hostId=" + hostId
        + ", libsslPaths=" + libsslPaths + ", collectorStatusPort=" + collectorStatusPort
        + ", idleFlush=" + idleFlush + ", processingGuarantee=" + processingGuarantee
        + ", collectorDrainInterval=" + collectorDrainInterval + ", processorStreamsOverrides="
        + masked + "]";
  }

  /** Builds a {@link FleetConfig}; every field starts at its documented default. */
  public static final class Builder {
    private Path dataDir;
    private BrokerMode broker = BrokerMode.CHILD_PROCESS;
    private String externalBootstrap;
    private int kafkaPort = DEFAULT_KAFKA_PORT;
    private int partitions = DEFAULT_PARTITIONS;
    private String gatewayListen = DEFAULT_GATEWAY_LISTEN;
    private boolean capture = true;
    private String hostId = CollectorConfig.defaultHostId();
    private List<Path> libsslPaths = List.of();
    private int collectorStatusPort = CollectorConfig.DEFAULT_STATUS_PORT;
    private Duration idleFlush = ProcessorConfig.DEFAULT_IDLE_FLUSH;
    private String processingGuarantee = ProcessorConfig.DEFAULT_PROCESSING_GUARANTEE;
    private Duration collectorDrainInterval = CollectorConfig.DEFAULT_DRAIN_INTERVAL;
    private Map<String, String> processorStreamsOverrides = Map.of();

    private Builder(Path dataDir) {
      this.dataDir = dataDir;
    }

    private Builder(FleetConfig c) {
      dataDir = c.dataDir;
      broker = c.broker;
      externalBootstrap = c.externalBootstrap;
      kafkaPort = c.kafkaPort;
      partitions = c.partitions;
      gatewayListen = c.gatewayListen;
      capture = c.capture;
      hostId = c.hostId;
      libsslPaths = c.libsslPaths;
      collectorStatusPort = c.collectorStatusPort;
      idleFlush = c.idleFlush;
      processingGuarantee = c.processingGuarantee;
      collectorDrainInterval = c.collectorDrainInterval;
      processorStreamsOverrides = c.processorStreamsOverrides;
    }

    public Builder dataDir(Path value) {
      dataDir = value;
      return this;
    }

    /** An embedded broker of the given mode on the given client port (0 = free). */
    public Builder embeddedBroker(BrokerMode mode, int port) {
      if (mode == BrokerMode.EXTERNAL) {
        throw new IllegalArgumentException("use externalBroker");
      }
      broker = mode;
      externalBootstrap = null;
      kafkaPort = port;
      return this;
    }

    /** An existing cluster instead of an embedded broker. */
    public Builder externalBroker(String bootstrap) {
      broker = BrokerMode.EXTERNAL;
      externalBootstrap = bootstrap;
      return this;
    }

    public Builder partitions(int value) {
      partitions = value;
      return this;
    }

    public Builder gatewayListen(String value) {
      gatewayListen = value;
      return this;
    }

    public Builder capture(boolean value) {
      capture = value;
      return this;
    }

    public Builder hostId(String value) {
      hostId = value;
      return this;
    }

    public Builder libsslPaths(List<Path> value) {
      libsslPaths = value;
      return this;
    }

    public Builder collectorStatusPort(int value) {
      collectorStatusPort = value;
      return this;
    }

    public Builder idleFlush(Duration value) {
      idleFlush = value;
      return this;
    }

    public Builder processingGuarantee(String value) {
      processingGuarantee = value;
      return this;
    }

    public Builder collectorDrainInterval(Duration value) {
      collectorDrainInterval = value;
      return this;
    }

    public Builder processorStreamsOverrides(Map<String, String> value) {
      processorStreamsOverrides = value;
      return this;
    }

    public FleetConfig build() {
      return new FleetConfig(dataDir, broker, externalBootstrap, kafkaPort, partitions,
          gatewayListen, capture, hostId, libsslPaths, collectorStatusPort, idleFlush,
          processingGuarantee, collectorDrainInterval, processorStreamsOverrides);
    }
  }
}
