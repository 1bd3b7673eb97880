package io.ecapture.kafka.launcher;

import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.identity.IdentityConfig;
import io.ecapture.kafka.common.KafkaClientOptions;
import io.ecapture.kafka.common.KafkaPreflight;
import io.ecapture.kafka.common.RunUntilSignal;
import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.redact.Redaction;
import io.ecapture.kafka.processor.ProcessorLimitsOptions;
import io.ecapture.kafka.common.ByteSize;
import io.ecapture.kafka.gateway.GatewayConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ecapture-kafka up}: the whole pipeline on this host with an embedded broker. */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = {
      "Run everything on this host: Kafka broker, topics, processor, gateway, collector.",
      "The broker is an embedded KRaft node in a child JVM unless --bootstrap names a cluster;",
      "Ctrl-C stops everything.",
      "",
      "Start: the collector and the gateway capture and serve at once; the processor catches up",
      "in the background (the spool and Kafka hold events meanwhile). After a crash (even",
      "SIGKILL) run the same command again: the processor rejoins as the same static group",
      "member and the spool replays, so capture resumes within seconds and nothing is lost.",
      "The embedded broker is supervised: if it dies, the status line and the log say so at",
      "once and it is restarted on the same data (backoff 1 s doubling to 30 s); the collector",
      "spools meanwhile. It never outlives `up`, not even a SIGKILL of `up`.",
      "The data directory belongs to one `up` at a time (lock file up.lock naming its pid: a",
      "second `up` on it exits at once) and to its owner only: 0700, files 0600 (umask 077).",
      ""
    })
public final class UpCommand implements Callable<Integer> {
  /**
   * How long "is up" waits for the processor to be RUNNING (seconds on a loaded machine the first
   * time; at once after a restart, a static member); after it, up says it is still starting.
   */
  static final Duration PROCESSOR_RUNNING_WAIT = Duration.ofSeconds(30);
  @Option(names = "--data-dir", description = "Broker data, streams state, spool; one `up` at a time, private (0700). Default: ${DEFAULT-VALUE}")
  Path dataDir = Path.of(".ecapture-kafka");

  @Option(names = "--kafka-port", description = "Embedded broker client port (controller: +1). Default: ${DEFAULT-VALUE}")
  int kafkaPort = FleetConfig.DEFAULT_KAFKA_PORT;

  @Option(names = "--bootstrap", description = "Use this external cluster instead of the embedded broker."
      + " Default: $ECAPTURE_KAFKA_BOOTSTRAP, else the embedded broker")
  String bootstrap = KafkaClientOptions.defaultBootstrap(null);

  /** --command-config FILE, --kafka-property KEY=VALUE: every component's client settings (with --bootstrap). */
  @Mixin
  KafkaClientOptions kafka = new KafkaClientOptions();

  @Option(names = "--replication-factor", description = "Replicas of the topics created; 0 = suited to the cluster"
      + " (1 broker: 1, 2: 2, 3 or more: 3). Default: ${DEFAULT-VALUE}")
  short replicationFactor = io.ecapture.kafka.common.TopicLayout.AUTO;

  @Option(names = "--min-insync-replicas", description = "min.insync.replicas of the topics created; 0 = suited"
      + " to the replication (2 from 3 replicas, else 1). Default: ${DEFAULT-VALUE}")
  int minInsyncReplicas = io.ecapture.kafka.common.TopicLayout.AUTO;

  @Option(names = "--partitions", description = "Partitions per topic. Default: ${DEFAULT-VALUE}")
  int partitions = FleetConfig.DEFAULT_PARTITIONS;

  @Option(names = "--listen", description = "eCaptureQ WebSocket address. Default: ${DEFAULT-VALUE}")
  String listen = FleetConfig.DEFAULT_GATEWAY_LISTEN;

  @Option(names = "--host-id", description = "Host id on every record. Default: the hostname")
  String hostId = CollectorConfig.defaultHostId();

  @Option(names = "--libssl", description = "TLS library to probe (repeatable). Default: the system libssl.so.3")
  List<Path> libssl = new ArrayList<>();

  @Option(names = "--no-capture", description = "Run everything but the collector (no eBPF).")
  boolean noCapture;

  @Option(names = "--collector-status-port", description = "Collector HTTP status port (-1 = off). Default: ${DEFAULT-VALUE}")
  int collectorStatusPort = CollectorConfig.DEFAULT_STATUS_PORT;

  @Option(names = {"--cgroup", "--cgroup_path"}, paramLabel = "PATH", description = "Capture only processes in this cgroup v2"
      + " subtree (relative to the cgroup2 mount, or absolute below it; repeatable). Default: every process")
  List<String> cgroups = new ArrayList<>();

  @Option(names = "--pod-log-root", paramLabel = "DIR", description = "Kubelet pod log directory for pod and container"
      + " names. Default: ${DEFAULT-VALUE}")
  Path podLogRoot = IdentityConfig.DEFAULT_POD_LOG_ROOT;

  @Option(names = "--idle-flush-ms", description = "Processor idle flush per connection direction. Default: ${DEFAULT-VALUE}")
  long idleFlushMs = ProcessorConfig.DEFAULT_IDLE_FLUSH.toMillis();

  @Option(names = "--processing-guarantee", description = "exactly_once_v2 or at_least_once. Default: ${DEFAULT-VALUE}")
  String processingGuarantee = ProcessorConfig.DEFAULT_PROCESSING_GUARANTEE;

  /** Every processor limit, as {@code processor} takes them. */
  @Mixin
  ProcessorLimitsOptions processorLimits = new ProcessorLimitsOptions();

  /** When the processor asks for a commit after emitting, as {@code processor} takes it. */
  @Mixin
  io.ecapture.kafka.processor.CommitPacingOptions commitPacing = new io.ecapture.kafka.processor.CommitPacingOptions();

  @Option(names = "--max-payload", paramLabel = "SIZE", converter = ProcessorLimitsOptions.SizeConverter.class,
      description = "Gateway: longest event payload sent; longer ones are cut with a notice of their size, at most 30MiB. Default: ${DEFAULT-VALUE}")
  ByteSize maxPayload = ByteSize.of(GatewayConfig.DEFAULT_MAX_PAYLOAD_BYTES);

  @Option(names = "--redact", paramLabel = "HEADERS|none", description = "Processor: header values replaced before "
      + "ecapture.parsed (comma-separated names, or none); ecapture.raw keeps the bytes. Default: ${DEFAULT-VALUE}")
  String redact = Redaction.DEFAULT_SPEC;

  @Option(names = "--insecure-listen", description = "Let --listen name a non-loopback address although the gateway "
      + "then serves captured plaintext without a token or TLS to anyone reaching it.")
  boolean insecureListen;

  /** The collector's packets module, as {@code collector} takes it. */
  @Mixin
  io.ecapture.kafka.collector.PacketsOptions packets = new io.ecapture.kafka.collector.PacketsOptions();

  @Option(names = {"--eventaddr", "--events"}, paramLabel = "TARGET", description = "Also forward captured events "
      + "(ecapture.parsed) to a file, tcp://HOST:PORT, ws(s)://URL or http(s)://URL (see `forward`).")
  String eventAddr;

  @Option(names = {"--logaddr", "--logs"}, paramLabel = "TARGET", description = "Also forward process logs (ecapture.logs) there.")
  String logAddr;

  @Option(names = "--forward-format", paramLabel = "FORMAT", description = "Format of --eventaddr/--logaddr: text, json, "
      + "protobuf or http_proxy. Default: text")
  String forwardFormat = "text";

  @Option(names = "--hex", description = "Forwarded text: payloads as hex dumps.")
  boolean hex;

  @Option(names = {"--tsize", "--truncate"}, paramLabel = "SIZE", converter = ProcessorLimitsOptions.SizeConverter.class,
      description = "Forwarded payloads cut at this many bytes (0 = all). Default: 0")
  ByteSize truncate = ByteSize.of(0);

  @Option(names = "--eventroratesize", paramLabel = "MB", description = "File targets rotate at this size in MB. Default: "
      + "the forwarder's (100)")
  Long rotateSizeMb;

  @Option(names = "--eventroratetime", paramLabel = "SECONDS", description = "File targets also rotate after this many seconds.")
  long rotateSeconds;

  /** The collector's Go crypto/tls module, as {@code collector} takes it. */
  @Mixin
  io.ecapture.kafka.collector.GoTlsOptions gotls = new io.ecapture.kafka.collector.GoTlsOptions();
  /** The collector's capture modules ({@code --modules} ...), as {@code collector} takes them. */
  @Mixin
  io.ecapture.kafka.collector.ModulesOptions modules = new io.ecapture.kafka.collector.ModulesOptions();

  @Option(names = "--streams-property", paramLabel = "KEY=VALUE",
      description = "Processor: extra Kafka Streams / client property, repeatable, applied last (e.g. "
          + "poll.ms=500: fewer idle wake-ups, see the README \"Pipeline latency\"); not for secrets")
  Map<String, String> streamsProperties = new LinkedHashMap<>();

  @Option(names = "--status-interval-s", description = "Seconds between status lines (0 = none). Default: ${DEFAULT-VALUE}")
  int statusIntervalSeconds = 10;

  @Override
  public Integer call() throws Exception {
    // a limit out of range is a usage error (exit 2) before anything is created or started
    io.ecapture.kafka.processor.ProcessorLimits limits = processorLimits.limits();
    io.ecapture.kafka.processor.CommitPacing pacing;
    Redaction redaction;
    String unsafe;
    java.util.Map<String, String> kafkaProperties;
    io.ecapture.kafka.collector.packets.PacketsConfig packetsConfig;
    io.ecapture.kafka.forwarder.ForwarderConfig forwarder;
    io.ecapture.kafka.collector.probe.ModulesConfig modulesConfig;
    try {
      packetsConfig = packets.config();
      pacing = commitPacing.pacing();
      modulesConfig = modules.config();
      kafkaProperties = kafka.properties(System.err);
      if (bootstrap == null && !kafkaProperties.isEmpty()) {
        throw new IllegalArgumentException("--command-config and --kafka-property need --bootstrap (or $"
            + KafkaClientOptions.ENV_BOOTSTRAP + "): the embedded broker is plaintext on loopback");
      }
      new io.ecapture.kafka.common.TopicLayout(partitions, replicationFactor, minInsyncReplicas);
      kafka.topics(); // a prefix that makes no valid topic name is a usage error
      redaction = Redaction.parse(redact);
      forwarder = forwarderConfig();
      unsafe = GatewayConfig.builder().listen(listen).insecureListen(insecureListen).build().unsafeListenReason();
    } catch (IllegalArgumentException e) {
      System.err.println("ecapture-kafka: " + e.getMessage());
      return CommandLine.ExitCode.USAGE;
    }
    if (unsafe != null) {
      // up's gateway has no token or TLS options: one line, nothing started
      System.err.println("ecapture-kafka: refusing --listen " + listen + " (not loopback): up serves eCaptureQ "
          + "without a token or TLS, so anyone reaching it would read the captured plaintext; add "
          + "--insecure-listen to do it anyway, or run the gateway alone with --token-file or --tls-keystore");
      return CommandLine.ExitCode.USAGE;
    }
    // before anything is created: every file of this process and its children is private
    ProcessUmask.set(ProcessUmask.PRIVATE);
    FleetConfig.Builder builder = FleetConfig.builder(dataDir.toAbsolutePath())
        .partitions(partitions)
        .gatewayListen(listen)
        .capture(!noCapture)
        .hostId(hostId)
        .libsslPaths(libssl)
        .collectorStatusPort(collectorStatusPort)
        .collectorCgroups(cgroups)
        .podLogRoot(podLogRoot)
        .idleFlush(Duration.ofMillis(idleFlushMs))
        .processingGuarantee(processingGuarantee)
        .processorStreamsOverrides(streamsProperties)
        .processorLimits(limits)
        .processorCommitPacing(pacing)
        .gatewayMaxPayloadBytes((int) Math.min(Integer.MAX_VALUE, maxPayload.bytes()))
        .redaction(redaction)
        .gatewayInsecureListen(insecureListen)
        .kafkaProperties(kafkaProperties)
        .topics(kafka.topics())
        .replication(replicationFactor, minInsyncReplicas)
        .collectorPackets(packetsConfig)
        .forwarder(forwarder)
        .collectorGoTls(gotls.config())
        .collectorModules(modulesConfig);
    FleetConfig config = (bootstrap == null
        ? builder.embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, kafkaPort)
        : builder.externalBroker(bootstrap)).build();
    // an external cluster that refuses these settings: one line, nothing started
    if (bootstrap != null && !KafkaPreflight.atStart("ecapture-kafka", bootstrap, kafkaProperties, System.err)) {
      return 1;
    }
    DataDirectory data;
    try {
      data = DataDirectory.open(config.dataDir());
    } catch (DataDirectory.InUseException e) {
      System.err.println("ecapture-kafka: " + e.getMessage()); // the one line, nothing started
      return 1;
    }
    System.err.println("ecapture-kafka: starting (data in " + config.dataDir() + ")");
    // a broker that dies or comes back is reported at once, not at the next tick
    Fleet fleet = Fleet.start(config, data, f -> {
      if (statusIntervalSeconds > 0) {
        System.err.println("status: " + f.statusLine());
      }
    });
    // "is up" means live: a request made now reaches a client at once. The collector captures
    // meanwhile (the spool and ecapture.raw hold what comes); a processor that takes longer is
    // said so and joins later
    boolean running = fleet.awaitProcessorRunning(PROCESSOR_RUNNING_WAIT);
    printWhereToConnect(fleet, config, running);
    RunUntilSignal.await("up", fleet, Duration.ofSeconds(Math.max(1, statusIntervalSeconds)),
        () -> {
          if (statusIntervalSeconds > 0) {
            System.err.println("status: " + fleet.statusLine());
          }
        },
        () -> System.err.println("ecapture-kafka: stopping (collector, processor, gateway, broker)"));
    return 0;
  }

  /** The forwarder of --eventaddr/--logaddr, or null without them. */
  io.ecapture.kafka.forwarder.ForwarderConfig forwarderConfig() {
    if (eventAddr == null && logAddr == null) {
      return null;
    }
    var b = io.ecapture.kafka.forwarder.ForwarderConfig.builder()
        .name("up")
        .events(eventAddr)
        .logs(logAddr)
        .format(io.ecapture.kafka.forwarder.format.Format.parse(forwardFormat))
        .hex(hex)
        .truncateBytes(truncate.toIntExact("--tsize"))
        .rotateInterval(Duration.ofSeconds(rotateSeconds))
        .statusPort(io.ecapture.kafka.forwarder.ForwarderConfig.STATUS_PORT_OFF);
    if (rotateSizeMb != null) {
      b.rotateBytes(rotateSizeMb * (1L << 20));
    }
    return b.build();
  }

  private static void printWhereToConnect(Fleet fleet, FleetConfig config, boolean processorRunning) {
    String host = fleet.gateway().config().listen().getHostString();
    System.out.println();
    System.out.println("ecapture-kafka is up");
    System.out.println("  Kafka bootstrap    " + fleet.bootstrapServers());
    System.out.println("  topics             "
        + String.join(" ", config.topics().all()));
    // [::1]:28257 for an IPv6 listen address, so the URLs below work
    String hostPort = io.ecapture.kafka.common.IpAddresses.withPort(
        io.ecapture.kafka.common.IpAddresses.normalize(host), fleet.gatewayPort());
    System.out.println("  eCaptureQ          ws://" + hostPort + "/");
    System.out.println("  browser view       http://" + hostPort + "/ui/");
    System.out.println("  gateway status     http://" + hostPort + "/status  (Prometheus: /metrics)");
    if (fleet.capturing()) {
      System.out.println("  capture            ON, host id " + config.hostId()
          + (fleet.collector().statusPort() > 0
              ? ", status http://127.0.0.1:" + fleet.collector().statusPort() + "/status"
              : ""));
      fleet.collector().packets().ifPresent(p -> System.out.println("  packets            "
          + p.interfaces().stream().map(h -> h.name() + " " + h.hook()).toList() + " ports " + p.ports()
          + " -> ecapture.packets (write a PCAPNG file: ecapture-kafka pcap --out FILE.pcapng)"));
      System.out.println("  capture modules    " + fleet.collector().modules().stream()
          .filter(m -> m.attached()).map(m -> m.name()).toList() + " attached (where, or why not: /status modules)");
      fleet.collector().controlTokenFile().ifPresent(token -> System.out.println(
          "  capture control    POST http://127.0.0.1:" + fleet.collector().statusPort() + "/config (or eCapture's"
              + " /tls) with Authorization: Bearer <token in " + token + ">"));
    } else if (fleet.captureError() != null) {
      System.out.println("  capture            OFF: " + fleet.captureError());
    } else {
      System.out.println("  capture            OFF (--no-capture)");
    }
    System.out.println("  processor          " + (processorRunning ? "running"
        : "still starting (" + fleet.processorState() + " after " + PROCESSOR_RUNNING_WAIT.toSeconds()
            + " s): what is captured is kept and shown once it runs"));
    System.out.println("  redaction          " + (config.redaction().enabled()
        ? config.redaction().spec() + " values replaced in ecapture.parsed (ecapture.raw keeps them: protect it with ACLs)"
        : "none (--redact none): credentials reach ecapture.parsed"));
    if (fleet.forwarder() != null) {
      var fc = fleet.forwarder().config();
      System.out.println("  forwarding         " + (fc.events() == null ? "" : "events -> " + fc.events().display() + " ")
          + (fc.logs() == null ? "" : "logs -> " + fc.logs().display() + " ") + "(" + fc.format().spelling() + ")");
    }
    System.out.println("  stop               Ctrl-C");
    System.out.println();
  }
}
