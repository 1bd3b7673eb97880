package io.ecapture.kafka.collector;

import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.identity.IdentityConfig;
import io.ecapture.kafka.collector.packets.PacketsConfig;
import io.ecapture.kafka.collector.probe.ExecWatchConfig;
import io.ecapture.kafka.collector.probe.gotls.GoTlsConfig;
import io.ecapture.kafka.collector.probe.LibSslLocator;
import io.ecapture.kafka.collector.sink.ProducerSettings;
import io.ecapture.kafka.collector.sink.SpoolConfig;
import io.ecapture.kafka.common.TopicNames;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a {@link Collector} needs, immutable. Start from {@link #defaults()} or {@link
 * #builder()}; every limit has its documented default here (the spool's in {@link SpoolConfig}),
 * and {@link CollectorCommand}'s options default to the same constants.
 *
 * @param bootstrapServers Kafka bootstrap servers. Default {@code 127.0.0.1:9092}.
 * @param hostId this host's id in connection ids and record keys: non-blank, without '/'. Default
 *     {@link #defaultHostId()} (the hostname).
 * @param libsslPaths OpenSSL libssl files (libssl.so.3, libssl.so.1.1) to probe, at least one.
 *     Default {@link LibSslLocator#locate()} (falls back to {@link LibSslLocator#DEFAULT}).
 * @param ringBufferBytes size of the kernel ring buffer: a power of two, at least 64 KiB. Default
 *     16 MiB.
 * @param statsInterval how often the one-line counter summary is logged; positive. Default 10 s.
 * @param producerOverrides extra Kafka producer properties, applied last (security settings, ...;
 *     their secrets are masked by {@link #toString()}). Default none.
 * @param statusPort port of the HTTP endpoint on 127.0.0.1 ({@code /status}, {@code /metrics},
 *     {@code /config}); 0 picks a free port, {@link #STATUS_DISABLED} (-1) turns it off. Default
 *     28258.
 * @param netns capture only processes in this network namespace (a path such as
 *     /var/run/netns/NAME or /proc/PID/ns/net), for several simulated hosts on one machine.
 *     Default empty: every process of the machine.
 * @param spool the on-disk buffer between capture and Kafka. Default {@link SpoolConfig#defaults()}.
 * @param filter which processes to capture (in the kernel); changeable at runtime through {@code
 *     POST /config}. Default {@link CaptureFilter#ALL}.
 * @param discoveryInterval how often /proc is scanned for other OpenSSL copies (private libssl
 *     files, statically linked programs) to probe; zero turns discovery off. Default 15 s.
 * @param drainInterval how often the ring buffer is drained when the kernel did not wake the
 *     collector (it wakes it only once the ring is 1/8 full: a wake-up per event costs more than
 *     the capture); bounds the delay a quiet host adds to each event; 1 ms to 1 s. Default 10 ms.
 *     After 1 s without any event the collector stops draining on a timer and the kernel wakes
 *     it for the next event (an idle collector costs no periodic wake-ups).
 * @param identity where container / pod identity comes from (the kubelet's pod log root) and the
 *     limits of its cache. Default {@link IdentityConfig#defaults()}.
 * @param dataDir the collector's own directory ({@code 0700}): the spool ({@code spool/<host id>},
 *     unless {@link SpoolConfig#directory()} names another) and the generated control token
 *     ({@value io.ecapture.kafka.collector.control.ControlToken#FILE_NAME}). Default {@value
 *     #DEFAULT_DATA_DIR_NAME}.
 * @param tokenFile a file whose first line is the token that requests changing capture ({@code
 *     POST /config}, eCapture's {@code POST /tls}) must present as {@code Authorization: Bearer};
 *     empty: a random token is generated at each start and written {@code 0600} to {@link
 *     #generatedTokenFile()}. Never the token itself: configs are logged. Default empty.
 * @param packets the packets module (frames of TLS flows from TC hooks to {@code
 *     ecapture.packets}). Default {@link PacketsConfig#disabled()}.
 * @param execWatch exec-time attach: the start-time scan of installed executables and the exec
 *     tracepoint that probes (and briefly holds) new processes carrying their own TLS copy.
 *     Default {@link ExecWatchConfig#defaults()} (on, hold up to 1 s).
 * @param topics names of the topics produced to ({@code --topic-prefix}). Default {@link
 *     TopicNames#DEFAULT}.
 * @param gotls the Go crypto/tls module. Default {@link GoTlsConfig#defaults()} (on, discovery only).
 * @param modules the capture modules ({@code --modules}: tls, gnutls, nss, bash, zsh, mysql,
 *     postgres, ...). Default: every module whose target exists on the host.
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
    SpoolConfig spool,
    CaptureFilter filter,
    Duration discoveryInterval,
    Duration drainInterval,
    IdentityConfig identity,
    Path dataDir,
    Optional<Path> tokenFile,
    PacketsConfig packets,
    ExecWatchConfig execWatch,
    TopicNames topics,
    GoTlsConfig gotls,
    io.ecapture.kafka.collector.probe.ModulesConfig modules) {

  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
  public static final int DEFAULT_RING_BUFFER_BYTES = 16 * 1024 * 1024;
  /** Room for a few full 16 KiB records; anything smaller drops every large chunk. */
  public static final int MIN_RING_BUFFER_BYTES = 64 * 1024;
  public static final Duration DEFAULT_STATS_INTERVAL = Duration.ofSeconds(10);
  public static final int DEFAULT_STATUS_PORT = 28258;
  /** {@link #statusPort} value that turns the HTTP endpoint off. */
  public static final int STATUS_DISABLED = -1;
  public static final Duration DEFAULT_DISCOVERY_INTERVAL = Duration.ofSeconds(15);
  public static final Duration DEFAULT_DRAIN_INTERVAL = Duration.ofMillis(10);
  public static final Duration MIN_DRAIN_INTERVAL = Duration.ofMillis(1);
  public static final Duration MAX_DRAIN_INTERVAL = Duration.ofSeconds(1);
  /** As text for command-line help: the default data directory. */
  public static final String DEFAULT_DATA_DIR_NAME = "/var/lib/ecapture-kafka";
  public static final Path DEFAULT_DATA_DIR = Path.of(DEFAULT_DATA_DIR_NAME);

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
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(tokenFile, "tokenFile (Optional.empty() to generate one)");
    Objects.requireNonNull(execWatch, "execWatch");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(drainInterval, "drainInterval");
    Objects.requireNonNull(packets, "packets (PacketsConfig.disabled() for none)");
    Objects.requireNonNull(gotls, "gotls (GoTlsConfig.disabled() for none)");
    Objects.requireNonNull(modules, "modules (ModulesConfig.defaults())");
    if (drainInterval.toMillis() < MIN_DRAIN_INTERVAL.toMillis() || drainInterval.toMillis() > MAX_DRAIN_INTERVAL.toMillis()) {
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

  /** Every default (the libssl files located on this machine). */
  public static CollectorConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** The spool directory in use: the configured one or {@code <dataDir>/spool/<hostId>}. */
  public Path spoolDirectory() {
    return spool.directory().orElse(dataDir.resolve("spool").resolve(hostId));
  }

  /** Where a generated control token is written: {@code <dataDir>/collector.token}. */
  public Path generatedTokenFile() {
    return dataDir.resolve(io.ecapture.kafka.collector.control.ControlToken.FILE_NAME);
  }

  /** What the Kafka sinks produce with. */
  public ProducerSettings producerSettings() {
    return new ProducerSettings(bootstrapServers, hostId, producerOverrides, topics);
  }

  /** Like the record's own, with the values of secret producer properties masked: configs end up in logs. */
  @Override
  public String toString() {
    return "CollectorConfig[bootstrapServers=" + bootstrapServers + ", hostId=" + hostId
        + ", libsslPaths=" + libsslPaths + ", ringBufferBytes=" + ringBufferBytes
        + ", statsInterval=" + statsInterval
        + ", producerOverrides=" + ProducerSettings.redacted(producerOverrides)
        + ", statusPort=" + statusPort + ", netns=" + netns + ", spool=" + spool + ", filter=" + filter
        + ", discoveryInterval=" + discoveryInterval + ", drainInterval=" + drainInterval
        + ", identity=" + identity + ", dataDir=" + dataDir + ", tokenFile=" + tokenFile + ", packets=" + packets
        + ", execWatch=" + execWatch + ", topics=" + topics + ", gotls=" + gotls + ", modules=" + modules + "]";
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

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private String bootstrapServers = DEFAULT_BOOTSTRAP;
    private String hostId;
    /** Null: located at build time. */
    private List<Path> libsslPaths;
    private int ringBufferBytes = DEFAULT_RING_BUFFER_BYTES;
    private Duration statsInterval = DEFAULT_STATS_INTERVAL;
    private Map<String, Object> producerOverrides = Map.of();
    private int statusPort = DEFAULT_STATUS_PORT;
    private Optional<Path> netns = Optional.empty();
    private SpoolConfig spool = SpoolConfig.defaults();
    private CaptureFilter filter = CaptureFilter.ALL;
    private Duration discoveryInterval = DEFAULT_DISCOVERY_INTERVAL;
    private Duration drainInterval = DEFAULT_DRAIN_INTERVAL;
    private IdentityConfig identity = IdentityConfig.defaults();
    private Path dataDir = DEFAULT_DATA_DIR;
    private Optional<Path> tokenFile = Optional.empty();
    private PacketsConfig packets = PacketsConfig.disabled();
    /** Null: {@link ExecWatchConfig#defaults()} at build time. */
    private ExecWatchConfig execWatch;
    private TopicNames topics = TopicNames.DEFAULT;
    private GoTlsConfig gotls = GoTlsConfig.defaults();
    private io.ecapture.kafka.collector.probe.ModulesConfig modules =
        io.ecapture.kafka.collector.probe.ModulesConfig.defaults();

    private Builder() {}

    private Builder(CollectorConfig c) {
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
      identity = c.identity;
      dataDir = c.dataDir;
      tokenFile = c.tokenFile;
      packets = c.packets;
      execWatch = c.execWatch;
      topics = c.topics;
      gotls = c.gotls;
      modules = c.modules;
    }

    public Builder bootstrapServers(String v) {
      bootstrapServers = v;
      return this;
    }

    /** Null: {@link #defaultHostId()}. */
    public Builder hostId(String v) {
      hostId = v;
      return this;
    }

    /** Null: the files {@link LibSslLocator#locate()} finds. */
    public Builder libsslPaths(List<Path> v) {
      libsslPaths = v;
      return this;
    }

    public Builder ringBufferBytes(int v) {
      ringBufferBytes = v;
      return this;
    }

    public Builder statsInterval(Duration v) {
      statsInterval = v;
      return this;
    }

    public Builder producerOverrides(Map<String, Object> v) {
      producerOverrides = v;
      return this;
    }

    public Builder statusPort(int v) {
      statusPort = v;
      return this;
    }

    /** Null: every network namespace. */
    public Builder netns(Path v) {
      netns = Optional.ofNullable(v);
      return this;
    }

    public Builder spool(SpoolConfig v) {
      spool = v;
      return this;
    }

    public Builder filter(CaptureFilter v) {
      filter = v;
      return this;
    }

    public Builder discoveryInterval(Duration v) {
      discoveryInterval = v;
      return this;
    }

    public Builder drainInterval(Duration v) {
      drainInterval = v;
      return this;
    }

    public Builder identity(IdentityConfig v) {
      identity = v;
      return this;
    }

    /** Null: {@link #DEFAULT_DATA_DIR}. */
    public Builder dataDir(Path v) {
      dataDir = v == null ? DEFAULT_DATA_DIR : v;
      return this;
    }

    public Builder topics(TopicNames v) {
      topics = v;
      return this;
    }

    /** Null: generate a token at start (see {@link CollectorConfig#tokenFile()}). */
    public Builder tokenFile(Path v) {
      tokenFile = Optional.ofNullable(v);
      return this;
    }

    public Builder packets(PacketsConfig v) {
      packets = v;
      return this;
    }

    /** Null: {@link ExecWatchConfig#defaults()}; {@link ExecWatchConfig#disabled()} turns it off. */
    public Builder execWatch(ExecWatchConfig v) {
      execWatch = v;
      return this;
    }

    public Builder gotls(GoTlsConfig v) {
      gotls = v;
      return this;
    }

    public Builder modules(io.ecapture.kafka.collector.probe.ModulesConfig v) {
      modules = v;
      return this;
    }

    public CollectorConfig build() {
      List<Path> paths = libsslPaths;
      if (paths == null) {
        List<Path> found = LibSslLocator.locate();
        paths = found.isEmpty() ? List.of(LibSslLocator.DEFAULT) : found;
      }
      return new CollectorConfig(
          bootstrapServers,
          hostId != null ? hostId : defaultHostId(),
          paths,
          ringBufferBytes,
          statsInterval,
          producerOverrides,
          statusPort,
          netns,
          spool,
          filter,
          discoveryInterval,
          drainInterval,
          identity,
          dataDir,
          tokenFile,
          packets,
          execWatch == null ? ExecWatchConfig.defaults() : execWatch,
          topics,
          gotls,
          modules);
    }
  }
}
