package io.ecapture.kafka.collector;

import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.identity.IdentityConfig;
import io.ecapture.kafka.collector.probe.ExecWatchConfig;
import io.ecapture.kafka.collector.sink.SpoolConfig;
import io.ecapture.kafka.collector.sink.SpoolFullPolicy;
import io.ecapture.kafka.common.KafkaClientOptions;
import io.ecapture.kafka.common.KafkaPreflight;
import io.ecapture.kafka.common.RunUntilSignal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code collector}: captures OpenSSL plaintext on this host and produces it to Kafka until
 * stopped (SIGINT/SIGTERM, or an interrupt from an embedding launcher), then detaches the probes
 * and flushes the producer. Every option defaults to the constant of {@link CollectorConfig} or
 * {@link SpoolConfig} it sets.
 */
@Command(
    name = "collector",
    mixinStandardHelpOptions = true,
    description = "Capture TLS plaintext with eBPF uprobes on OpenSSL and produce it to Kafka.")
public final class CollectorCommand implements Callable<Integer> {
  @Option(names = "--bootstrap", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers (default: "
      + "${DEFAULT-VALUE}); $ECAPTURE_KAFKA_BOOTSTRAP sets the default.")
  String bootstrap = KafkaClientOptions.defaultBootstrap(CollectorConfig.DEFAULT_BOOTSTRAP);

  /** --command-config FILE, --kafka-property KEY=VALUE: the producer's settings (security...). */
  @Mixin
  KafkaClientOptions kafka = new KafkaClientOptions();

  @Option(names = "--host-id", description = "Host id used in connection ids (default: the hostname).")
  String hostId;

  @Option(names = "--libssl", paramLabel = "PATH", description = "libssl.so.3 to probe; repeatable (default: found via ldconfig and common paths).")
  List<Path> libssl;

  @Option(names = "--ring-buffer-mb", description = "Kernel ring buffer size in MiB, a power of two (default: ${DEFAULT-VALUE}).")
  int ringBufferMb = CollectorConfig.DEFAULT_RING_BUFFER_BYTES >> 20;

  @Option(names = "--stats-interval-s", description = "Seconds between counter summaries (default: ${DEFAULT-VALUE}).")
  long statsIntervalSeconds = CollectorConfig.DEFAULT_STATS_INTERVAL.toSeconds();

  @Option(names = "--status-port", description = "HTTP port on 127.0.0.1 of /status, /metrics, /config and eCapture's "
      + "/tls (changes need the token); 0 any, -1 off (default: ${DEFAULT-VALUE}).")
  int statusPort = CollectorConfig.DEFAULT_STATUS_PORT;

  @Option(names = "--netns", paramLabel = "PATH", description = "Capture only processes in this network namespace (e.g. /var/run/netns/NAME); default: all.")
  Path netns;

  @Option(names = "--spool-dir", paramLabel = "DIR", description = "On-disk spool for broker outages (default: "
      + "<data dir>/spool/<host id>).")
  Path spoolDir;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "The collector's own directory (0700): its spool and "
      + "the generated control token file " + io.ecapture.kafka.collector.control.ControlToken.FILE_NAME
      + " (default: ${DEFAULT-VALUE}).")
  Path dataDir = CollectorConfig.DEFAULT_DATA_DIR;

  @Option(names = "--token-file", paramLabel = "FILE", description = "Read the token that POST /config and eCapture's "
      + "POST /tls require (Authorization: Bearer TOKEN) from this file's first line; default: a random token is "
      + "generated at each start into <data dir>/" + io.ecapture.kafka.collector.control.ControlToken.FILE_NAME
      + " (0600).")
  Path tokenFile;

  @Option(names = "--spool-max-mb", description = "Disk the spool may use in MiB (default: ${DEFAULT-VALUE}).")
  long spoolMaxMb = SpoolConfig.DEFAULT_MAX_BYTES >> 20;

  @Option(names = "--spool-full-policy", description = "When the spool is full: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  SpoolFullPolicy spoolFullPolicy = SpoolConfig.DEFAULT_FULL_POLICY;

  @Option(names = "--progress-mark-ms", description = "How often progress marks go through the spool to the"
      + " ecapture.raw partitions this collector wrote to in the last seconds, so the processor knows a half-arrived"
      + " message's rest is not in flight; 0: none (default: ${DEFAULT-VALUE}).")
  long progressMarkMs = SpoolConfig.DEFAULT_PROGRESS_MARK.toMillis();

  @Option(names = "--no-spool", description = "Send straight to Kafka: events are lost (counted) while the brokers are unreachable.")
  boolean noSpool;

  @Option(names = "--pid", paramLabel = "PID", description = "Capture only this process; repeatable (uprobes then attach per process).")
  List<Integer> pids = new ArrayList<>();

  @Option(names = "--uid", paramLabel = "UID", description = "Capture only processes of this user id; repeatable.")
  List<Integer> uids = new ArrayList<>();

  @Option(names = "--comm", paramLabel = "NAME", description = "Capture only processes with this task name (<= 15 bytes); repeatable.")
  List<String> comms = new ArrayList<>();

  @Option(names = {"--cgroup", "--cgroup_path"}, paramLabel = "PATH", description = "Capture only processes in this cgroup v2"
      + " subtree, decided in the kernel: a path relative to the cgroup2 mount (/kubepods.slice/...) or absolute below it"
      + " (eCapture's --cgroup_path form); repeatable.")
  List<String> cgroups = new ArrayList<>();

  @Option(names = "--pod-log-root", paramLabel = "DIR", description = "The kubelet's pod log directory, read for pod"
      + " namespace, pod and container names (its sibling 'containers' names container ids) (default: ${DEFAULT-VALUE}).")
  Path podLogRoot = IdentityConfig.DEFAULT_POD_LOG_ROOT;

  @Option(names = "--discover-interval-s", description = "Seconds between scans of /proc for other OpenSSL copies "
      + "(private libssl, statically linked programs) to probe; 0 off (default: ${DEFAULT-VALUE}).")
  long discoverIntervalSeconds = CollectorConfig.DEFAULT_DISCOVERY_INTERVAL.toSeconds();

  @Option(names = "--drain-interval-ms", description = "Milliseconds between ring-buffer drains while the kernel "
      + "has not woken the collector (it does once the ring is 1/8 full): the most a quiet host delays an event "
      + "(default: ${DEFAULT-VALUE}).")
  long drainIntervalMs = CollectorConfig.DEFAULT_DRAIN_INTERVAL.toMillis();

  /** The packets module's options, shared with {@code up}. */
  @picocli.CommandLine.Mixin
  PacketsOptions packets = new PacketsOptions();
  @Option(names = "--no-exec-watch", description = "Do not probe installed executables at start nor new executables at"
      + " exec: processes started later with their own TLS copy (node, BoringSSL) are then found by the /proc rescan only.")
  boolean noExecWatch;

  @Option(names = "--exec-hold-ms", description = "Longest a process executing a file not examined yet is stopped at"
      + " exec until its probes are attached (not with a controlling terminal); 0: never stop it (default: ${DEFAULT-VALUE}).")
  long execHoldMs = ExecWatchConfig.DEFAULT_HOLD_TIMEOUT.toMillis();

  @Option(names = "--exec-scan-dir", paramLabel = "DIR", description = "Directory whose executables are examined at start"
      + " ('*' matches every directory, as in /opt/*/bin); repeatable (default: PATH and common install directories).")
  List<Path> execScanDirs;

  @Option(names = "--exec-scan-budget-s", description = "Longest the start-time scan of installed executables runs, in"
      + " the background; 0: no scan (default: ${DEFAULT-VALUE}).")
  long execScanBudgetSeconds = ExecWatchConfig.DEFAULT_SCAN_BUDGET.toSeconds();

  /** The Go crypto/tls module's options. */
  @picocli.CommandLine.Mixin
  GoTlsOptions gotls = new GoTlsOptions();
  /** The capture modules' options, shared with {@code up}. */
  @picocli.CommandLine.Mixin
  ModulesOptions modules = new ModulesOptions();

  /** The configuration the options describe. */
  CollectorConfig config() {
    SpoolConfig.Builder spool = SpoolConfig.builder()
        .enabled(!noSpool)
        .directory(spoolDir)
        .maxBytes(spoolMaxMb << 20)
        .fullPolicy(spoolFullPolicy)
        .progressMark(Duration.ofMillis(progressMarkMs));
    CollectorConfig.Builder config = CollectorConfig.builder()
        .bootstrapServers(bootstrap)
        .producerOverrides(new java.util.LinkedHashMap<String, Object>(kafka.properties(System.err)))
        .topics(kafka.topics())
        .hostId(hostId)
        .ringBufferBytes(ringBufferMb << 20)
        .statsInterval(Duration.ofSeconds(statsIntervalSeconds))
        .statusPort(statusPort)
        .dataDir(dataDir)
        .tokenFile(tokenFile)
        .netns(netns)
        .spool(spool.build())
        .filter(new CaptureFilter(Set.copyOf(pids), Set.copyOf(uids), Set.copyOf(comms), Set.copyOf(cgroups)))
        .identity(IdentityConfig.builder().podLogRoot(podLogRoot).build())
        .discoveryInterval(Duration.ofSeconds(discoverIntervalSeconds))
        .drainInterval(Duration.ofMillis(drainIntervalMs))
        .packets(packets.config())
        .execWatch(ExecWatchConfig.builder()
            .enabled(!noExecWatch)
            .holdTimeout(Duration.ofMillis(execHoldMs))
            .scanDirs(execScanDirs == null || execScanDirs.isEmpty() ? null : execScanDirs)
            .scanBudget(Duration.ofSeconds(execScanBudgetSeconds))
            .build())
        .gotls(gotls.config())
        .modules(modules.config());
    if (libssl != null && !libssl.isEmpty()) {
      config.libsslPaths(libssl);
    }
    return config.build();
  }

  /** Runs until stopped; 1 (with the reason on stderr) when the collector cannot start. */
  @Override
  public Integer call() {
    CollectorConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException e) {
      System.err.println("collector: " + e.getMessage());
      return CommandLine.ExitCode.USAGE;
    }
    // wrong credentials or an untrusted certificate: one line and exit, not a spool filling forever
    if (!KafkaPreflight.atStart("collector", config.bootstrapServers(), config.producerOverrides(), System.err)) {
      return 1;
    }
    Collector collector;
    try {
      collector = Collector.start(config);
    } catch (CollectorStartException e) {
      System.err.println("collector: " + e.getMessage());
      return 1;
    }
    RunUntilSignal.await("collector", collector);
    return 0;
  }

  public static void main(String[] args) {
    // Log4j's own shutdown hook would stop logging while ours still closes the collector, losing
    // the final summary line at SIGTERM; console/file appenders flush every event, so none is lost.
    if (System.getProperty("log4j2.shutdownHookEnabled") == null) {
      System.setProperty("log4j2.shutdownHookEnabled", "false");
    }
    System.exit(new CommandLine(new CollectorCommand()).execute(args));
  }
}
