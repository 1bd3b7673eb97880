package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ProcessorCommandTest {
  @Test
  void defaultsMatchTheDocumentedConfig() {
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs();
    ProcessorConfig config = command.config();
    assertEquals("127.0.0.1:9092", config.bootstrapServers());
    assertEquals("ecapture-processor", config.applicationId());
    assertEquals("exactly_once_v2", config.processingGuarantee());
    assertEquals(Duration.ofSeconds(1), config.idleFlush());
    assertEquals(28259, config.statusPort());
    assertEquals(ProcessorConfig.defaults(), config);
  }

  @Test
  void optionsReachTheConfig() {
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs("--bootstrap", "10.1.1.1:9093", "--application-id", "p2",
        "--idle-flush-ms", "250", "--processing-guarantee", "at_least_once",
        "--state-dir", "/var/lib/p", "--status-port", "0");
    ProcessorConfig config = command.config();
    assertEquals("10.1.1.1:9093", config.bootstrapServers());
    assertEquals("p2", config.applicationId());
    assertEquals(Duration.ofMillis(250), config.idleFlush());
    assertEquals("at_least_once", config.processingGuarantee());
    assertEquals(Path.of("/var/lib/p"), config.stateDir());
    assertEquals(0, config.statusPort());
    assertEquals("10.1.1.1:9093", config.toStreamsProperties().get("bootstrap.servers"));
  }

  @Test
  void streamsPropertiesOverrideTheDerivedOnes() {
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs("--streams-property", "consumer.session.timeout.ms=6000",
        "--streams-property", "statestore.cache.max.bytes=1024");
    java.util.Properties props = command.config().toStreamsProperties();
    assertEquals("6000", props.get("consumer.session.timeout.ms"));
    assertEquals("1024", props.get("statestore.cache.max.bytes"));
    assertEquals(20, props.get("producer.linger.ms"), "not Kafka Streams' 100 ms");
    ProcessorCommand batching = new ProcessorCommand();
    new CommandLine(batching).parseArgs("--streams-property", "producer.linger.ms=100");
    assertEquals("100", batching.config().toStreamsProperties().get("producer.linger.ms"), "still overridable");
  }

  @Test
  void credentialsAreRedactedByDefaultAndRedactNoneTurnsItOff() {
    ProcessorCommand defaults = new ProcessorCommand();
    new CommandLine(defaults).parseArgs();
    assertEquals(io.ecapture.kafka.processor.redact.Redaction.DEFAULT, defaults.config().redaction());
    assertEquals(java.util.Set.of("authorization", "cookie", "set-cookie", "proxy-authorization"),
        defaults.config().redaction().headerNames());

    ProcessorCommand none = new ProcessorCommand();
    new CommandLine(none).parseArgs("--redact", "none");
    assertEquals(io.ecapture.kafka.processor.redact.Redaction.NONE, none.config().redaction());

    ProcessorCommand custom = new ProcessorCommand();
    new CommandLine(custom).parseArgs("--redact", "Authorization, X-Api-Key", "--max-record-attempts", "5");
    assertEquals(java.util.Set.of("authorization", "x-api-key"), custom.config().redaction().headerNames());
    assertEquals(5, custom.config().failures().maxRecordAttempts());
    assertEquals(FailurePolicy.DEFAULT_MAX_RECORD_ATTEMPTS, defaults.config().failures().maxRecordAttempts());

    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    int exit;
    try {
      exit = new CommandLine(new ProcessorCommand()).execute("--redact", "authorization,,cookie");
    } finally {
      System.setErr(original);
    }
    assertEquals(CommandLine.ExitCode.USAGE, exit);
    assertTrue(err.toString(java.nio.charset.StandardCharsets.UTF_8).startsWith("processor: --redact"), err.toString());
    String usage = new CommandLine(new ProcessorCommand()).getUsageMessage().replaceAll("\\s+", "");
    assertTrue(usage.contains("--redact") && usage.contains("(default:authorization,cookie,set-cookie,proxy-authorization)"), usage);
    assertTrue(usage.contains("--max-record-attempts"), usage);
  }

  @Test
  void theStatusServerCanBeTurnedOff() {
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs("--status-port", "-1");
    assertEquals(ProcessorConfig.STATUS_PORT_OFF, command.config().statusPort());
  }

  @Test
  void helpShowsTheConfigDefaults() {
    String usage = new CommandLine(new ProcessorCommand()).getUsageMessage();
    assertTrue(usage.contains("default: " + ProcessorConfig.DEFAULT_STATUS_PORT + ")"), usage);
    assertTrue(usage.contains("default: " + ProcessorConfig.DEFAULT_STATE_DIR + ")"), usage);
    assertTrue(usage.contains("default: " + ProcessorConfig.DEFAULT_BOOTSTRAP + ")"), usage);
  }

  @Test
  void everyLimitIsAnOptionWithItsDefaultInTheHelp() {
    String usage = new CommandLine(new ProcessorCommand()).getUsageMessage();
    java.util.Map<String, String> flags = new java.util.LinkedHashMap<>();
    for (java.lang.reflect.RecordComponent c : ProcessorLimits.class.getRecordComponents()) {
      String flag = "--" + c.getName().replaceAll("([A-Z])", "-$1").toLowerCase()
          .replace("max-open-streams", "max-http2-streams");
      flags.put(c.getName(), flag);
      assertTrue(usage.contains(flag + "="), flag + " missing from\n" + usage);
    }
    assertEquals(ProcessorLimits.class.getRecordComponents().length, flags.size());
    String joined = usage.replaceAll("\\s+", " "); // wrapped lines joined again
    assertTrue(joined.contains("(default: 8MiB)"), usage);
    assertTrue(joined.contains("(default: body limit + 1MiB)"), usage);
    assertTrue(usage.contains("--max-http2-streams=N"), usage);
  }

  @Test
  void limitOptionsReachTheConfig() {
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs("--max-body-bytes", "16MiB", "--max-rendered-bytes", "1m",
        "--max-out-of-order-bytes", "8388608", "--max-http2-streams", "50",
        "--max-pending-requests", "64", "--max-header-bytes", "128k", "--max-inflate-factor", "4",
        "--max-state-record-bytes", "80MiB", "--max-cached-states", "100",
        "--max-hpack-table-bytes", "64KiB");
    ProcessorLimits limits = command.config().limits();
    assertEquals(16 << 20, limits.maxBodyBytes());
    assertEquals(17 << 20, limits.maxBufferedBytes(), "follows the body limit");
    assertEquals(1 << 20, limits.maxRenderedBytes());
    assertEquals(8 << 20, limits.maxOutOfOrderBytes());
    assertEquals(50, limits.maxOpenStreams());
    assertEquals(64, limits.maxPendingRequests());
    assertEquals(128 << 10, limits.maxHeaderBytes());
    assertEquals(4, limits.maxInflateFactor());
    assertEquals(80 << 20, limits.maxStateRecordBytes());
    assertEquals(100, limits.maxCachedStates());
    assertEquals(64 << 10, limits.maxHpackTableBytes());
    assertEquals((80 << 20) + (64 << 10),
        command.config().toStreamsProperties().get("producer.max.request.size"));
    ProcessorCommand bad = new ProcessorCommand();
    CommandLine line = new CommandLine(bad);
    assertThrows(CommandLine.ParameterException.class,
        () -> line.parseArgs("--max-body-bytes", "lots"));
    new CommandLine(bad).parseArgs("--max-body-bytes", "0");
    CommandLine.ParameterException zero = assertThrows(CommandLine.ParameterException.class, bad::config);
    assertTrue(zero.getMessage().startsWith("processor limits: "), zero.getMessage());
    assertEquals(2, new CommandLine(new ProcessorCommand()).execute("--max-body-bytes", "40MiB"),
        "a usage error, not a stack trace");
  }

  @Test
  void commitRequestOptionsReachTheConfigWithTheirDefaultsInTheHelp() {
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs("--commit-request-interval-ms", "50", "--commit-request-burst", "2");
    assertEquals(new CommitPacing(Duration.ofMillis(50), 2), command.config().commitPacing());
    ProcessorCommand lag = new ProcessorCommand();
    new CommandLine(lag).parseArgs("--commit-request-max-lag-ms", "250");
    assertEquals(Duration.ofMillis(250), lag.config().commitPacing().maxLag());
    assertThrows(IllegalArgumentException.class, () -> CommitPacing.ofMillis(20, 1, -1));
    ProcessorCommand off = new ProcessorCommand();
    new CommandLine(off).parseArgs("--commit-request-interval-ms", "-1");
    assertEquals(CommitPacing.OFF, off.config().effectiveCommitPacing());
    String help = new CommandLine(new ProcessorCommand()).getUsageMessage();
    assertTrue(help.contains("--commit-request-interval-ms"), help);
    assertTrue(help.contains("--commit-request-max-lag-ms"), help);
    assertTrue(help.contains("(default: " + CommitPacing.DEFAULT_INTERVAL.toMillis() + ")"), help);
    assertTrue(help.contains("--commit-request-burst"), help);
    assertEquals(2, new CommandLine(new ProcessorCommand()).execute("--commit-request-burst", "0"),
        "a usage error, not a stack trace");
  }

  @Test
  void unknownProcessingGuaranteeIsRejected() {
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs("--processing-guarantee", "exactly_once");
    assertThrows(IllegalArgumentException.class, command::config);
  }
}
