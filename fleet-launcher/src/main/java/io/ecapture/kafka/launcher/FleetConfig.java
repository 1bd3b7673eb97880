package io.ecapture.kafka.launcher;

import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.processor.ProcessorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What {@link Fleet} starts on this host. Start from {@link #defaults(Path)} (what {@code up} uses)
 * and change fields with the {@code with*} methods.
 *
 * @param dataDir broker storage ({@code broker/}) and streams state ({@code streams/}) live here
 * @param broker where Kafka comes from: a child JVM (default), this JVM, or an external cluster
 * @param externalBootstrap bootstrap servers when {@code broker} is {@link BrokerMode#EXTERNAL}
 * @param kafkaPort client port of the embedded broker (the controller takes the next one); 0 =
 *     free; default 9092
 * @param partitions partitions of every pipeline topic; default 4
 * @param gatewayListen the eCaptureQ WebSocket address, HOST:PORT; port 0 = free; default
 *     127.0.0.1:28257
 * @param capture whether the collector runs (false on a host without eBPF: the rest still runs)
 * @param hostId host id stamped on every captured record; default the hostname
 * @param libsslPaths TLS libraries to probe; empty (default) = the collector's own discovery
 * @param collectorStatusPort the collector's HTTP status port; 0 = free, -1 = off; default 28258
 * @param idleFlush processor idle flush per connection direction; default 1 s
 * @param processingGuarantee the processor's Kafka Streams guarantee; default exactly_once_v2
 * @param collectorDrainInterval the collector's ring-buffer drain interval (see
 *     {@link CollectorConfig#drainInterval()}); default 10 ms
 * @param processorStreamsOverrides raw Kafka Streams properties for the processor, applied last;
 *     default none
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
    libsslPaths = List.copyOf(libsslPaths);
    processorStreamsOverrides = Map.copyOf(processorStreamsOverrides);
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1");
    }
    if (broker == BrokerMode.EXTERNAL && (externalBootstrap == null || externalBootstrap.isBlank())) {
      throw new IllegalArgumentException("an external broker needs bootstrap servers");
    }
  }

  /** What {@code up} runs by default, with its data under {@code dataDir}. */
  public static FleetConfig defaults(Path dataDir) {
    return new FleetConfig(dataDir, BrokerMode.CHILD_PROCESS, null, 9092, 4, "127.0.0.1:28257",
        true, CollectorConfig.defaultHostId(), List.of(), CollectorConfig.DEFAULT_STATUS_PORT,
        ProcessorConfig.DEFAULT_IDLE_FLUSH, ProcessorConfig.DEFAULT_PROCESSING_GUARANTEE, CollectorConfig.DEFAULT_DRAIN_INTERVAL, Map.of());
  }

  /** An embedded broker of the given mode on the given port (0 = free). */
  public FleetConfig withEmbeddedBroker(BrokerMode mode, int port) {
    if (mode == BrokerMode.EXTERNAL) {
      throw new IllegalArgumentException("use withExternalBroker");
    }
    return new FleetConfig(dataDir, mode, null, port, partitions, gatewayListen, capture, hostId,
        libsslPaths, collectorStatusPort, idleFlush, processingGuarantee, collectorDrainInterval, processorStreamsOverrides);
  }

  public FleetConfig withExternalBroker(String bootstrap) {
    return new FleetConfig(dataDir, BrokerMode.EXTERNAL, bootstrap, kafkaPort, partitions, gatewayListen,
        capture, hostId, libsslPaths, collectorStatusPort, idleFlush, processingGuarantee, collectorDrainInterval, processorStreamsOverrides);
  }

  public FleetConfig withPartitions(int value) {
    return new FleetConfig(dataDir, broker, externalBootstrap, kafkaPort, value, gatewayListen, capture,
        hostId, libsslPaths, collectorStatusPort, idleFlush, processingGuarantee, collectorDrainInterval, processorStreamsOverrides);
  }

  public FleetConfig withGatewayListen(String value) {
    return new FleetConfig(dataDir, broker, externalBootstrap, kafkaPort, partitions, value, capture,
        hostId, libsslPaths, collectorStatusPort, idleFlush, processingGuarantee, collectorDrainInterval, processorStreamsOverrides);
  }

  /** Capture on with the given host id and libraries (empty = discovery), or off. */
  public FleetConfig withCapture(boolean on, String host, List<Path> libssl, int statusPort) {
    return new FleetConfig(dataDir, broker, externalBootstrap, kafkaPort, partitions, gatewayListen, on,
        host, libssl, statusPort, idleFlush, processingGuarantee, collectorDrainInterval, processorStreamsOverrides);
  }

  public FleetConfig withIdleFlush(Duration value) {
    return new FleetConfig(dataDir, broker, externalBootstrap, kafkaPort, partitions, gatewayListen,
        capture, hostId, libsslPaths, collectorStatusPort, value, processingGuarantee, collectorDrainInterval, processorStreamsOverrides);
  }

  public FleetConfig withProcessingGuarantee(String value) {
    return new FleetConfig(dataDir, broker, externalBootstrap, kafkaPort, partitions, gatewayListen,
        capture, hostId, libsslPaths, collectorStatusPort, idleFlush, value, collectorDrainInterval, processorStreamsOverrides);
  }

  public FleetConfig withCollectorDrainInterval(Duration value) {
    return new FleetConfig(dataDir, broker, externalBootstrap, kafkaPort, partitions, gatewayListen,
        capture, hostId, libsslPaths, collectorStatusPort, idleFlush, processingGuarantee, value, processorStreamsOverrides);
  }

  public FleetConfig withProcessorStreamsOverrides(Map<String, String> value) {
    return new FleetConfig(dataDir, broker, externalBootstrap, kafkaPort, partitions, gatewayListen,
        capture, hostId, libsslPaths, collectorStatusPort, idleFlush, processingGuarantee, collectorDrainInterval,
        value);
  }
}
