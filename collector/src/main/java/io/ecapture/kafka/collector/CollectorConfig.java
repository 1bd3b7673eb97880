package io.ecapture.kafka.collector;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of one collector.
 *
 * @param bootstrapServers Kafka bootstrap servers; default {@code 127.0.0.1:9092}
 * @param hostId this host's id in connection ids and record keys; default the hostname
 * @param libsslPaths OpenSSL libssl.so.3 files to probe; default {@link LibSslLocator#locate()}
 *     (falls back to {@code /lib/x86_64-linux-gnu/libssl.so.3})
 * @param ringBufferBytes size of the kernel ring buffer; a power of two, at least 64 KiB;
 *     default 16 MiB
 * @param statsInterval how often the one-line counter summary is logged; default 10 s
 * @param producerOverrides extra Kafka producer properties, applied last; default none
 * @param statusPort port of the HTTP status/metrics endpoint on 127.0.0.1 ({@code GET /status},
 *     {@code GET /metrics}); 0 picks a free port, -1 disables it; default 28258
 * @param netns capture only processes in this network namespace (a path such as
 *     /var/run/netns/NAME or /proc/PID/ns/net), for several simulated hosts on one machine;
 *     default empty: every process of the machine
 */
public record CollectorConfig(
    String bootstrapServers,
    String hostId,
    List<Path> libsslPaths,
    int ringBufferBytes,
    Duration statsInterval,
    Map<String, Object> producerOverrides,
    int statusPort,
    Optional<Path> netns) {

  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
  public static final int DEFAULT_RING_BUFFER_BYTES = 16 * 1024 * 1024;
  /** Room for a few full 16 KiB records; anything smaller drops every large chunk. */
  public static final int MIN_RING_BUFFER_BYTES = 64 * 1024;
  public static final Duration DEFAULT_STATS_INTERVAL = Duration.ofSeconds(10);
  public static final int DEFAULT_STATUS_PORT = 28258;
  /** {@link #statusPort} value that turns the HTTP endpoint off. */
  public static final int STATUS_DISABLED = -1;

  public CollectorConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(statsInterval, "statsInterval");
    Objects.requireNonNull(netns, "netns (Optional.empty() for every namespace)");
    libsslPaths = List.copyOf(libsslPaths);
    producerOverrides = Map.copyOf(producerOverrides);
    if (hostId.isBlank() || hostId.contains("/")) {
      throw new IllegalArgumentException("hostId must be non-blank without '/': " + hostId);
    }
    if (libsslPaths.isEmpty()) {
      throw new IllegalArgumentException("no libssl path to probe");
    }
    if (ringBufferBytes < MIN_RING_BUFFER_BYTES || Integer.bitCount(ringBufferBytes) != 1) {
      throw new IllegalArgumentException(
          "ringBufferBytes must be a power of two >= " + MIN_RING_BUFFER_BYTES + ": " + ringBufferBytes);
    }
    if (statusPort < STATUS_DISABLED || statusPort > 65535) {
      throw new IllegalArgumentException("statusPort must be -1 (off), 0 (any) or a port: " + statusPort);
    }
    if (statsInterval.isNegative() || statsInterval.isZero()) {
      throw new IllegalArgumentException("statsInterval must be positive");
    }
  }

  /** Every default; bootstrap 127.0.0.1:9092. */
  public static CollectorConfig defaults() {
    return defaults(DEFAULT_BOOTSTRAP);
  }

  /** Every default except the bootstrap servers. */
  public static CollectorConfig defaults(String bootstrapServers) {
    List<Path> found = LibSslLocator.locate();
    return new CollectorConfig(
        bootstrapServers,
        defaultHostId(),
        found.isEmpty() ? List.of(LibSslLocator.DEFAULT) : found,
        DEFAULT_RING_BUFFER_BYTES,
        DEFAULT_STATS_INTERVAL,
        Map.of(),
        DEFAULT_STATUS_PORT,
        Optional.empty());
  }

  public CollectorConfig withBootstrapServers(String value) {
    return new CollectorConfig(value, hostId, libsslPaths, ringBufferBytes, statsInterval, producerOverrides, statusPort, netns);
  }

  public CollectorConfig withHostId(String value) {
    return new CollectorConfig(bootstrapServers, value, libsslPaths, ringBufferBytes, statsInterval, producerOverrides, statusPort, netns);
  }

  public CollectorConfig withLibsslPaths(List<Path> value) {
    return new CollectorConfig(bootstrapServers, hostId, value, ringBufferBytes, statsInterval, producerOverrides, statusPort, netns);
  }

  public CollectorConfig withRingBufferBytes(int value) {
    return new CollectorConfig(bootstrapServers, hostId, libsslPaths, value, statsInterval, producerOverrides, statusPort, netns);
  }

  public CollectorConfig withStatsInterval(Duration value) {
    return new CollectorConfig(bootstrapServers, hostId, libsslPaths, ringBufferBytes, value, producerOverrides, statusPort, netns);
  }

  public CollectorConfig withProducerOverrides(Map<String, Object> value) {
    return new CollectorConfig(bootstrapServers, hostId, libsslPaths, ringBufferBytes, statsInterval, value, statusPort, netns);
  }

  public CollectorConfig withStatusPort(int value) {
    return new CollectorConfig(bootstrapServers, hostId, libsslPaths, ringBufferBytes, statsInterval, producerOverrides, value, netns);
  }

  public CollectorConfig withNetns(Path value) {
    return new CollectorConfig(
        bootstrapServers, hostId, libsslPaths, ringBufferBytes, statsInterval, producerOverrides, statusPort,
        Optional.of(value));
  }

  /** The hostname, or "localhost" when it cannot be resolved; '/' replaced (it separates ids). */
  public static String defaultHostId() {
    String name = System.getenv("HOSTNAME");
    if (name == null || name.isBlank()) {
      try {
        name = InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        name = "localhost";
      }
    }
    return name.replace('/', '_');
  }
}
