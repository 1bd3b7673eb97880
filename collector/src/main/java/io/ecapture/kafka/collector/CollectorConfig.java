package io.ecapture.kafka.collector;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Settings of one collector.
 *
 * @param bootstrapServers Kafka bootstrap servers; default {@code 127.0.0.1:9092}
 * @param hostId this host's id in connection ids and record keys; default the hostname
 * @param libsslPaths OpenSSL libssl files (libssl.so.3, libssl.so.1.1) to probe; default {@link LibSslLocator#locate()}
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
 * @param spool the on-disk buffer between capture and Kafka; default {@link Spool#defaults()}
 * @param filter which processes to capture (in-kernel); changeable at runtime through
 *     {@code POST /config}; default {@link CaptureFilter#ALL}
 * @param discoveryInterval how often /proc is scanned for other OpenSSL copies (private libssl
 *     files, statically linked programs) to probe; zero turns discovery off; default 15 s
 * @param drainInterval how often the ring buffer is drained when the kernel did not wake the
 *     collector (it wakes it only once the ring is 1/8 full: a wake-up per event costs more than
 *     the capture); bounds the delay a quiet host adds to each event; 1 ms to 1 s; default 10 ms
 */
public record CollectorConfig(
    String bootstrapServers,
    String hostId,
    List<Path> libsslPaths,
    int ringBufferBytes,
    Duration statsInterval,
    Map<String, Object> producerOverrides,
    int statusPort,
    Optional<Path> netns,
    Spool spool,
    CaptureFilter filter,
    Duration discoveryInterval,
    Duration drainInterval) {

  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
  public static final int DEFAULT_RING_BUFFER_BYTES = 16 * 1024 * 1024;
  /** Room for a few full 16 KiB records; anything smaller drops every large chunk. */
  public static final int MIN_RING_BUFFER_BYTES = 64 * 1024;
  public static final Duration DEFAULT_STATS_INTERVAL = Duration.ofSeconds(10);
  public static final int DEFAULT_STATUS_PORT = 28258;
  /** {@link #statusPort} value that turns the HTTP endpoint off. */
  public static final int STATUS_DISABLED = -1;
  /** Parent of the default spool directory ({@code <data dir>/spool/<host id>}). */
  public static final Path DEFAULT_DATA_DIR = Path.of("/var/lib/ecapture-kafka");
  public static final Duration DEFAULT_DISCOVERY_INTERVAL = Duration.ofSeconds(15);
  public static final Duration DEFAULT_DRAIN_INTERVAL = Duration.ofMillis(10);

  /**
   * The on-disk spool: capture events wait here until Kafka acknowledges them.
   *
   * @param enabled false: send straight to the producer (events fail and are counted while the
   *     broker is away; the ring-buffer thread may block up to max.block.ms)
   * @param directory where segments live; empty: {@code <DEFAULT_DATA_DIR>/spool/<hostId>}
   * @param maxBytes disk the spool may use; default 1 GiB; at least two segments
   * @param segmentBytes size of one segment file; default 32 MiB (smaller when maxBytes is small)
   * @param fullPolicy what happens to new records when full; default DROP_OLDEST
   */
  public record Spool(boolean enabled, Optional<Path> directory, long maxBytes, int segmentBytes, SpoolFullPolicy fullPolicy) {
    public static final long DEFAULT_MAX_BYTES = 1024L * 1024 * 1024;
    static final int DEFAULT_SEGMENT_BYTES = 32 * 1024 * 1024;
    /** A segment must hold the largest record (16 KiB payload plus header). */
    static final int MIN_SEGMENT_BYTES = 256 * 1024;

    public Spool {
      Objects.requireNonNull(directory, "directory");
      Objects.requireNonNull(fullPolicy, "fullPolicy");
      if (segmentBytes < MIN_SEGMENT_BYTES) {
        throw new IllegalArgumentException("spool segment must be >= " + MIN_SEGMENT_BYTES + " bytes: " + segmentBytes);
      }
      if (maxBytes / segmentBytes < 2) {
        throw new IllegalArgumentException(
            "spool max " + maxBytes + " bytes must hold two segments of " + segmentBytes + " bytes");
      }
    }

    public static Spool defaults() {
      return sized(DEFAULT_MAX_BYTES);
    }

    /** Enabled, default directory and policy, {@code maxBytes} of disk (at least 512 KiB). */
    public static Spool sized(long maxBytes) {
      int segment = (int) Math.max(MIN_SEGMENT_BYTES, Math.min(DEFAULT_SEGMENT_BYTES, maxBytes / 8));
      return new Spool(true, Optional.empty(), maxBytes, segment, SpoolFullPolicy.DROP_OLDEST);
    }

    public Spool withDirectory(Path value) {
      return new Spool(enabled, Optional.of(value), maxBytes, segmentBytes, fullPolicy);
    }

    public Spool withFullPolicy(SpoolFullPolicy value) {
      return new Spool(enabled, directory, maxBytes, segmentBytes, value);
    }

    public Spool disabled() {
      return new Spool(false, directory, maxBytes, segmentBytes, fullPolicy);
    }
  }

  public CollectorConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(statsInterval, "statsInterval");
    Objects.requireNonNull(netns, "netns (Optional.empty() for every namespace)");
    Objects.requireNonNull(spool, "spool");
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(discoveryInterval, "discoveryInterval");
    if (discoveryInterval.isNegative()) {
      throw new IllegalArgumentException("discoveryInterval must be >= 0 (0: off)");
    }
    Objects.requireNonNull(drainInterval, "drainInterval");
    if (drainInterval.toMillis() < 1 || drainInterval.toMillis() > 1000) {
      throw new IllegalArgumentException("drainInterval must be 1 ms to 1 s: " + drainInterval);
    }
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
        Optional.empty(),
        Spool.defaults(),
        CaptureFilter.ALL,
        DEFAULT_DISCOVERY_INTERVAL,
        DEFAULT_DRAIN_INTERVAL);
  }

  /** The spool directory in use: the configured one or {@code <DEFAULT_DATA_DIR>/spool/<hostId>}. */
  public Path spoolDirectory() {
    return spool.directory().orElse(DEFAULT_DATA_DIR.resolve("spool").resolve(hostId));
  }

  private static final class Copy {
    String bootstrapServers;
    String hostId;
    List<Path> libsslPaths;
    int ringBufferBytes;
    Duration statsInterval;
    Map<String, Object> producerOverrides;
    int statusPort;
    Optional<Path> netns;
    Spool spool;
    CaptureFilter filter;
    Duration discoveryInterval;
    Duration drainInterval;

    Copy(CollectorConfig c) {
      bootstrapServers = c.bootstrapServers;
      hostId = c.hostId;
      libsslPaths = c.libsslPaths;
      ringBufferBytes = c.ringBufferBytes;
      statsInterval = c.statsInterval;
      producerOverrides = c.producerOverrides;
      statusPort = c.statusPort;
      netns = c.netns;
      spool = c.spool;
      filter = c.filter;
      discoveryInterval = c.discoveryInterval;
      drainInterval = c.drainInterval;
    }

    CollectorConfig build() {
      return new CollectorConfig(bootstrapServers, hostId, libsslPaths, ringBufferBytes, statsInterval,
          producerOverrides, statusPort, netns, spool, filter, discoveryInterval, drainInterval);
    }
  }

  private CollectorConfig with(UnaryOperator<Copy> change) {
    return change.apply(new Copy(this)).build();
  }

  public CollectorConfig withBootstrapServers(String value) {
    return with(c -> { c.bootstrapServers = value; return c; });
  }

  public CollectorConfig withHostId(String value) {
    return with(c -> { c.hostId = value; return c; });
  }

  public CollectorConfig withLibsslPaths(List<Path> value) {
    return with(c -> { c.libsslPaths = value; return c; });
  }

  public CollectorConfig withRingBufferBytes(int value) {
    return with(c -> { c.ringBufferBytes = value; return c; });
  }

  public CollectorConfig withStatsInterval(Duration value) {
    return with(c -> { c.statsInterval = value; return c; });
  }

  public CollectorConfig withProducerOverrides(Map<String, Object> value) {
    return with(c -> { c.producerOverrides = value; return c; });
  }

  public CollectorConfig withStatusPort(int value) {
    return with(c -> { c.statusPort = value; return c; });
  }

  public CollectorConfig withNetns(Path value) {
    return with(c -> { c.netns = Optional.of(value); return c; });
  }

  public CollectorConfig withSpool(Spool value) {
    return with(c -> { c.spool = value; return c; });
  }

  public CollectorConfig withFilter(CaptureFilter value) {
    return with(c -> { c.filter = value; return c; });
  }

  public CollectorConfig withDiscoveryInterval(Duration value) {
    return with(c -> { c.discoveryInterval = value; return c; });
  }

  public CollectorConfig withDrainInterval(Duration value) {
    return with(c -> { c.drainInterval = value; return c; });
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
