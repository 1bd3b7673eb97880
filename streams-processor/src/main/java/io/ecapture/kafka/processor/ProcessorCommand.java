package io.ecapture.kafka.processor;

import io.ecapture.kafka.common.KafkaClientOptions;
import io.ecapture.kafka.common.KafkaPreflight;
import io.ecapture.kafka.common.KafkaSecrets;
import io.ecapture.kafka.common.RunUntilSignal;
import io.ecapture.kafka.processor.redact.Redaction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code processor}: runs the streams processor until interrupted (Ctrl-C / SIGTERM). */
@Command(
    name = "processor",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 100,
    description = "Reassembles captured TLS plaintext from ecapture.raw and writes parsed "
        + "messages to ecapture.parsed.")
public final class ProcessorCommand implements Callable<Integer> {
  @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
      description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}); $ECAPTURE_KAFKA_BOOTSTRAP sets the default")
  String bootstrap = KafkaClientOptions.defaultBootstrap(ProcessorConfig.DEFAULT_BOOTSTRAP);

  /** --command-config FILE, --kafka-property KEY=VALUE: every client's settings (security...). */
  @Mixin
  KafkaClientOptions kafka = new KafkaClientOptions();

  @Option(names = "--host-id",
      description = "host id on the processor's own lines in ecapture.logs (default: the hostname)")
  String hostId;

  @Option(names = "--application-id",
      description = "Kafka Streams application id (default: ${DEFAULT-VALUE})")
  String applicationId = ProcessorConfig.DEFAULT_APPLICATION_ID;

  @Option(names = "--idle-flush-ms",
      description = "flush a direction after this many idle milliseconds (default: ${DEFAULT-VALUE})")
  long idleFlushMs = ProcessorConfig.DEFAULT_IDLE_FLUSH.toMillis();

  @Option(names = "--stalled-flush-ms",
      description = "longest a message in progress of a host that sends progress marks waits for its rest when "
          + "no newer mark of that host arrived (a broker failover), before the idle flush emits it cut "
          + "(default: ${DEFAULT-VALUE})")
  long stalledFlushMs = ProcessorConfig.DEFAULT_STALLED_FLUSH.toMillis();

  @Option(names = "--finished-memory-s",
      description = "keep a finished connection's stream positions this many seconds, so records the "
          + "collector sends again after a broker failover are dropped as repeats; 0 = forget at once "
          + "(default: ${DEFAULT-VALUE})")
  long finishedMemoryS = ProcessorConfig.DEFAULT_FINISHED_MEMORY.toSeconds();

  @Option(names = "--processing-guarantee",
      description = "exactly_once_v2 or at_least_once (default: ${DEFAULT-VALUE})")
  String processingGuarantee = ProcessorConfig.DEFAULT_PROCESSING_GUARANTEE;

  @Option(names = "--state-dir", description = "state store directory (default: ${DEFAULT-VALUE})")
  Path stateDir = ProcessorConfig.DEFAULT_STATE_DIR;

  @Option(names = "--status-port",
      description = "loopback port of GET /status and GET /metrics; 0 any free port, -1 off "
          + "(default: ${DEFAULT-VALUE})")
  int statusPort = ProcessorConfig.DEFAULT_STATUS_PORT;

  @Option(names = "--redact", paramLabel = "HEADERS|none",
      description = "header values replaced before messages reach ecapture.parsed: comma-separated names, any "
          + "case (Authorization keeps its scheme: Bearer <redacted>; cookies their names), or none "
          + "(default: ${DEFAULT-VALUE}); ecapture.raw keeps the captured bytes")
  String redact = Redaction.DEFAULT_SPEC;

  @Option(names = "--max-record-attempts", paramLabel = "N",
      description = "times a record whose processing keeps failing is tried before it goes to ecapture.dlq "
          + "with the reason in headers (default: ${DEFAULT-VALUE})")
  int maxRecordAttempts = FailurePolicy.DEFAULT_MAX_RECORD_ATTEMPTS;

  /** Every bound of the parsers and the reassembly ({@link ProcessorLimits}). */
  @Mixin
  ProcessorLimitsOptions limits = new ProcessorLimitsOptions();

  /** When a task asks for a commit after emitting ({@link CommitPacing}). */
  @Mixin
  CommitPacingOptions commitPacing = new CommitPacingOptions();

  @Option(names = "--streams-property", paramLabel = "KEY=VALUE",
      description = "extra Kafka Streams / client property, repeatable, applied after --command-config and "
          + "--kafka-property (e.g. consumer.session.timeout.ms=6000); not for secrets: put them in "
          + "--command-config FILE")
  Map<String, String> streamsProperties = new LinkedHashMap<>();

  /** The config these options describe. */
  ProcessorConfig config() {
    Map<String, String> overrides = new LinkedHashMap<>(kafka.properties(System.err));
    streamsProperties.keySet().stream().filter(KafkaSecrets::isSecret).sorted().forEach(key ->
        System.err.println("warning: --streams-property " + key + " holds a secret and is visible in ps; put it in "
            + "--command-config FILE instead"));
    overrides.putAll(streamsProperties);
    return ProcessorConfig.builder()
        .bootstrapServers(bootstrap)
        .applicationId(applicationId)
        .idleFlush(Duration.ofMillis(idleFlushMs))
        .finishedMemory(Duration.ofSeconds(finishedMemoryS))
        .stalledFlush(Duration.ofMillis(stalledFlushMs))
        .processingGuarantee(processingGuarantee)
        .stateDir(stateDir)
        .statusPort(statusPort)
        .redaction(Redaction.parse(redact))
        .failures(FailurePolicy.DEFAULTS.withMaxRecordAttempts(maxRecordAttempts))
        .limits(limits.limits())
        .commitPacing(commitPacing.pacing())
        .streamsOverrides(overrides)
        .hostId(hostId)
        .topics(kafka.topics())
        .build();
  }

  /**
   * Runs until the JVM shuts down (Ctrl-C, SIGTERM) or the calling thread is interrupted; either
   * way the processor is closed cleanly (state flushed, group left) before this returns.
   */
  @Override
  public Integer call() throws Exception {
    ProcessorConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException e) {
      System.err.println("processor: " + e.getMessage());
      return CommandLine.ExitCode.USAGE;
    }
    if (!KafkaPreflight.atStart("processor", config.bootstrapServers(), config.streamsOverrides(), System.err)) {
      return 1;
    }
    RunUntilSignal.await("processor", StreamsProcessor.start(config));
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new ProcessorCommand()).execute(args));
  }
}
