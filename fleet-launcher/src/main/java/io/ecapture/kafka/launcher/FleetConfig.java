package io.ecapture.kafka.launcher;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What {@link Fleet} starts on this host.
 *
 * @param dataDir broker storage ({@code broker/}) and streams state ({@code streams/}) live here
 * @param broker where Kafka comes from: a child JVM, this JVM, or an external cluster
 * @param externalBootstrap bootstrap servers when {@code broker} is {@link BrokerMode#EXTERNAL}
 * @param kafkaPort client port of the embedded broker (the controller takes the next one); 0 = free
 * @param partitions partitions of every pipeline topic
 * @param gatewayListen the eCaptureQ WebSocket address, HOST:PORT; port 0 = free
 * @param capture whether the collector runs (false on a host without eBPF: the rest still runs)
 * @param hostId host id stamped on every captured record
 * @param libsslPaths TLS libraries to probe; empty = the collector's default discovery
 * @param collectorStatusPort the collector's HTTP status port; 0 = free, -1 = off
 * @param idleFlush processor idle flush per connection direction
 * @param statusInterval how often {@code up} prints its one-line status
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
    Duration statusInterval) {

  /** How the broker is provided. */
  public enum BrokerMode {
    /** A child JVM: a broker failure cannot take the other components down (what {@code up} uses). */
    CHILD_PROCESS,
    /** In this JVM: fastest start, for tests. */
    IN_PROCESS,
    /** An existing cluster at {@code externalBootstrap}. */
    EXTERNAL
  }

  public FleetConfig {
    libsslPaths = List.copyOf(libsslPaths);
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1");
    }
    if (broker == BrokerMode.EXTERNAL && (externalBootstrap == null || externalBootstrap.isBlank())) {
      throw new IllegalArgumentException("an external broker needs bootstrap servers");
    }
  }
}
