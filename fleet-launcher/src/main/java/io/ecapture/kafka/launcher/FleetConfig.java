package io.ecapture.kafka.launcher;

import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.identity.IdentityConfig;
import io.ecapture.kafka.common.KafkaSecrets;
import io.ecapture.kafka.common.TopicLayout;
import io.ecapture.kafka.collector.packets.PacketsConfig;
import io.ecapture.kafka.common.TopicNames;
import io.ecapture.kafka.collector.probe.gotls.GoTlsConfig;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.redact.Redaction;
import io.ecapture.kafka.processor.ProcessorLimits;
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
 *     collector's spool ({@code spool/}) live here; one fleet at a time ({@link DataDirectory}),
 *     {@code 0700}
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
 * @param collectorCgroups the collector captures only processes in these cgroup v2 subtrees
 *     (its {@code --cgroup}); default none: every process
 * @param podLogRoot the kubelet pod log directory the collector reads pod and container names
 *     from (its {@code --pod-log-root}); default the collector's ({@code /var/log/pods})
 * @param brokerRestartBackoff wait before restarting an embedded broker child that died (see
 *     {@link BrokerSupervisor}); doubled after every failed or short-lived attempt; default
 *     {@link #DEFAULT_BROKER_RESTART_BACKOFF}
 * @param brokerRestartMaxBackoff the longest such wait; default {@link
 *     #DEFAULT_BROKER_RESTART_MAX_BACKOFF}
 * @param processorLimits every bound of the processor (body, rendered text, buffers, HTTP/2
 *     streams, pending requests...); default {@link ProcessorLimits#defaults()} (8 MiB bodies)
 * @param gatewayMaxPayloadBytes the gateway's longest event payload (its {@code --max-payload});
 *     default the gateway's
 * @param redaction header values the processor replaces before {@code ecapture.parsed} ({@code
 *     --redact}); default {@link Redaction#DEFAULT} (credentials)
 * @param gatewayInsecureListen let the gateway listen on a non-loopback {@code gatewayListen}
 *     without a token or TLS ({@code --insecure-listen}); default false (refused at start)
 * @param kafkaProperties Kafka client settings of every component for an external cluster
 *     ({@code --command-config}, {@code --kafka-property}: security...); default none. Values may
 *     be secrets: {@link #toString()} masks them.
 * @param replicationFactor replicas of the topics {@code up} creates; 0 (default) = suited to the
 *     cluster found ({@link TopicLayout#resolve})
 * @param minInsyncReplicas {@code min.insync.replicas} of the topics {@code up} creates; 0
 *     (default) = suited to the replication factor
 * @param collectorPackets the collector's packets module ({@code --packets-iface} ...); default
 *     {@link PacketsConfig#disabled()}
 * @param topics the pipeline's topic names ({@code --topic-prefix}); default {@link
 *     TopicNames#DEFAULT}
 * @param forwarder a forwarder to run as well ({@code up --eventaddr/--logaddr}), its bootstrap
 *     servers replaced by the fleet's; null (default) = none
 * @param collectorGoTls the collector's Go crypto/tls module ({@code --gotls-binary}, {@code
 *     --no-gotls}); default {@link GoTlsConfig#defaults()} (on, running Go programs discovered)
 * @param collectorModules the collector's capture modules ({@code --modules} ...); default every
 *     module whose target exists on the host
 * @param processorCommitPacing when the processor asks for a commit after emitting ({@code
 *     --commit-request-interval-ms}); default {@link io.ecapture.kafka.processor.CommitPacing#DEFAULTS}
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
    Map<String, String> processorStreamsOverrides,
    List<String> collectorCgroups,
    Path podLogRoot,
    Duration brokerRestartBackoff,
    Duration brokerRestartMaxBackoff,
    ProcessorLimits processorLimits,
    int gatewayMaxPayloadBytes,
    Redaction redaction,
    boolean gatewayInsecureListen,
    Map<String, String> kafkaProperties,
    short replicationFactor,
    int minInsyncReplicas,
    PacketsConfig collectorPackets,
    TopicNames topics,
    io.ecapture.kafka.forwarder.ForwarderConfig forwarder,
    GoTlsConfig collectorGoTls,
    io.ecapture.kafka.collector.probe.ModulesConfig collectorModules,
    io.ecapture.kafka.processor.CommitPacing processorCommitPacing) {

  public static final int DEFAULT_KAFKA_PORT = 9092;
  public static final int DEFAULT_PARTITIONS = TopicSetup.DEFAULT_PARTITIONS;
  /** The embedded broker's client address with the default port. */
  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:" + DEFAULT_KAFKA_PORT;
  public static final String DEFAULT_GATEWAY_LISTEN =
      GatewayConfig.DEFAULT_HOST + ":" + GatewayConfig.DEFAULT_PORT;
  public static final Duration DEFAULT_BROKER_RESTART_BACKOFF = Duration.ofSeconds(1);
  public static final Duration DEFAULT_BROKER_RESTART_MAX_BACKOFF = Duration.ofSeconds(30);

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
    kafkaProperties = Map.copyOf(kafkaProperties);
    Objects.requireNonNull(topics, "topics");
    topicLayoutOf(partitions, replicationFactor, minInsyncReplicas); // validates
    collectorCgroups = List.copyOf(collectorCgroups);
    Objects.requireNonNull(podLogRoot, "podLogRoot");
    Objects.requireNonNull(processorLimits, "processorLimits");
    Objects.requireNonNull(processorCommitPacing, "processorCommitPacing");
    Objects.requireNonNull(collectorPackets, "collectorPackets (PacketsConfig.disabled() for none)");
    Objects.requireNonNull(collectorGoTls, "collectorGoTls (GoTlsConfig.disabled() for none)");
    Objects.requireNonNull(collectorModules, "collectorModules (ModulesConfig.defaults())");
    Objects.requireNonNull(redaction, "redaction (Redaction.NONE to turn it off)");
    if (brokerRestartBackoff.isNegative() || brokerRestartBackoff.isZero()
        || brokerRestartMaxBackoff.compareTo(brokerRestartBackoff) < 0) {
      throw new IllegalArgumentException(
          "brokerRestartBackoff must be > 0 and brokerRestartMaxBackoff >= brokerRestartBackoff");
    }
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

  /** The layout of the topics {@code up} creates, replication still to be resolved. */
  public TopicLayout topicLayout() {
    return topicLayoutOf(partitions, replicationFactor, minInsyncReplicas);
  }

  private static TopicLayout topicLayoutOf(int partitions, short replicationFactor, int minInsyncReplicas) {
    return new TopicLayout(Math.max(1, partitions), replicationFactor, minInsyncReplicas);
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
        + masked + ", collectorCgroups=" + collectorCgroups + ", podLogRoot=" + podLogRoot
        + ", brokerRestartBackoff=" + brokerRestartBackoff
        + ", brokerRestartMaxBackoff=" + brokerRestartMaxBackoff
        + ", processorLimits=" + processorLimits
        + ", gatewayMaxPayloadBytes=" + gatewayMaxPayloadBytes + ", redaction=" + redaction
        + ", gatewayInsecureListen=" + gatewayInsecureListen
        + ", kafkaProperties=" + KafkaSecrets.masked(kafkaProperties)
        + ", replicationFactor=" + replicationFactor + ", minInsyncReplicas=" + minInsyncReplicas
        + ", collectorPackets=" + collectorPackets + ", topics=" + topics + ", forwarder=" + forwarder + ", collectorGoTls=" + collectorGoTls + ", collectorModules=" + collectorModules
        + ", processorCommitPacing=" + processorCommitPacing + "]";
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
    private List<String> collectorCgroups = List.of();
    private Path podLogRoot = IdentityConfig.DEFAULT_POD_LOG_ROOT;
    private Duration brokerRestartBackoff = DEFAULT_BROKER_RESTART_BACKOFF;
    private Duration brokerRestartMaxBackoff = DEFAULT_BROKER_RESTART_MAX_BACKOFF;
    private ProcessorLimits processorLimits = ProcessorLimits.defaults();
    private io.ecapture.kafka.processor.CommitPacing processorCommitPacing =
        io.ecapture.kafka.processor.CommitPacing.DEFAULTS;
    private int gatewayMaxPayloadBytes = GatewayConfig.DEFAULT_MAX_PAYLOAD_BYTES;
    private Redaction redaction = Redaction.DEFAULT;
    private boolean gatewayInsecureListen;
    private Map<String, String> kafkaProperties = Map.of();
    private short replicationFactor = TopicLayout.AUTO;
    private int minInsyncReplicas = TopicLayout.AUTO;
    private PacketsConfig collectorPackets = PacketsConfig.disabled();
    private TopicNames topics = TopicNames.DEFAULT;
    private io.ecapture.kafka.forwarder.ForwarderConfig forwarder;
    private GoTlsConfig collectorGoTls = GoTlsConfig.defaults();
    private io.ecapture.kafka.collector.probe.ModulesConfig collectorModules =
        io.ecapture.kafka.collector.probe.ModulesConfig.defaults();

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
      collectorCgroups = c.collectorCgroups;
      podLogRoot = c.podLogRoot;
      brokerRestartBackoff = c.brokerRestartBackoff;
      brokerRestartMaxBackoff = c.brokerRestartMaxBackoff;
      processorLimits = c.processorLimits;
      gatewayMaxPayloadBytes = c.gatewayMaxPayloadBytes;
      redaction = c.redaction;
      gatewayInsecureListen = c.gatewayInsecureListen;
      kafkaProperties = c.kafkaProperties;
      replicationFactor = c.replicationFactor;
      minInsyncReplicas = c.minInsyncReplicas;
      collectorPackets = c.collectorPackets;
      topics = c.topics;
      forwarder = c.forwarder;
      collectorGoTls = c.collectorGoTls;
      collectorModules = c.collectorModules;
      processorCommitPacing = c.processorCommitPacing;
    }

    /** The pipeline's topic names (a prefix: {@link TopicNames#withPrefix}). */
    public Builder topics(TopicNames value) {
      topics = value;
      return this;
    }

    /** Kafka client settings of every component (an external cluster's security). */
    public Builder kafkaProperties(Map<String, String> value) {
      kafkaProperties = value;
      return this;
    }

    /** Replicas and min.insync.replicas of created topics; 0 = suited to the cluster. */
    public Builder replication(short factor, int minInsync) {
      replicationFactor = factor;
      minInsyncReplicas = minInsync;
      return this;
    }

    /** The collector's packets module. */
    public Builder collectorPackets(PacketsConfig value) {
      collectorPackets = value;
      return this;
    }

    /** The collector's Go crypto/tls module. */
    public Builder collectorGoTls(GoTlsConfig value) {
      collectorGoTls = value;
      return this;
    }

    /** The collector's capture modules. */
    public Builder collectorModules(io.ecapture.kafka.collector.probe.ModulesConfig value) {
      collectorModules = value;
      return this;
    }

    public Builder processorCommitPacing(io.ecapture.kafka.processor.CommitPacing value) {
      processorCommitPacing = value;
      return this;
    }

    public Builder processorLimits(ProcessorLimits value) {
      processorLimits = value;
      return this;
    }

    public Builder redaction(Redaction value) {
      redaction = value;
      return this;
    }

    /** A forwarder to run with the fleet; null = none. */
    public Builder forwarder(io.ecapture.kafka.forwarder.ForwarderConfig value) {
      forwarder = value;
      return this;
    }

    public Builder gatewayInsecureListen(boolean value) {
      gatewayInsecureListen = value;
      return this;
    }

    public Builder gatewayMaxPayloadBytes(int value) {
      gatewayMaxPayloadBytes = value;
      return this;
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

    public Builder collectorCgroups(List<String> value) {
      collectorCgroups = value;
      return this;
    }

    /** Null: the collector's default. */
    public Builder podLogRoot(Path value) {
      podLogRoot = value == null ? IdentityConfig.DEFAULT_POD_LOG_ROOT : value;
      return this;
    }

    /** First wait before restarting a dead embedded broker, and the longest (see {@link BrokerSupervisor}). */
    public Builder brokerRestartBackoff(Duration initial, Duration max) {
      brokerRestartBackoff = initial;
      brokerRestartMaxBackoff = max;
      return this;
    }

    public FleetConfig build() {
      return new FleetConfig(dataDir, broker, externalBootstrap, kafkaPort, partitions,
          gatewayListen, capture, hostId, libsslPaths, collectorStatusPort, idleFlush,
          processingGuarantee, collectorDrainInterval, processorStreamsOverrides, collectorCgroups, podLogRoot,
          brokerRestartBackoff, brokerRestartMaxBackoff, processorLimits, gatewayMaxPayloadBytes, redaction,
          gatewayInsecureListen, kafkaProperties, replicationFactor, minInsyncReplicas,
          collectorPackets, topics, forwarder,
          collectorGoTls, collectorModules, processorCommitPacing);
    }
  }
}
