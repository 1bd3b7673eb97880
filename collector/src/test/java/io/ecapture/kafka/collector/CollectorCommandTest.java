package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.sink.SpoolFullPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CollectorCommandTest {
  @Test
  void optionsBecomeTheConfig() {
    CollectorCommand command = new CollectorCommand();
    new CommandLine(command)
        .parseArgs("--bootstrap", "k1:9093", "--host-id", "edge-1", "--libssl", "/a/libssl.so.3",
            "--libssl", "/b/libssl.so.3", "--ring-buffer-mb", "64", "--stats-interval-s", "5", "--status-port", "0", "--netns", "/var/run/netns/h1",
            "--drain-interval-ms", "3");
    CollectorConfig config = command.config();
    assertEquals("k1:9093", config.bootstrapServers());
    assertEquals("edge-1", config.hostId());
    assertEquals(List.of(Path.of("/a/libssl.so.3"), Path.of("/b/libssl.so.3")), config.libsslPaths());
    assertEquals(64 << 20, config.ringBufferBytes());
    assertEquals(Duration.ofSeconds(5), config.statsInterval());
    assertEquals(0, config.statusPort());
    assertEquals(java.util.Optional.of(Path.of("/var/run/netns/h1")), config.netns());
    assertEquals(Duration.ofMillis(3), config.drainInterval());
  }

  @Test
  void defaultsMatchTheDocumentedOnes() {
    CollectorCommand command = new CollectorCommand();
    new CommandLine(command).parseArgs();
    CollectorConfig config = command.config();
    assertEquals("127.0.0.1:9092", config.bootstrapServers());
    assertEquals(CollectorConfig.DEFAULT_RING_BUFFER_BYTES, config.ringBufferBytes());
    assertEquals(28258, config.statusPort());
    assertEquals(java.util.Optional.empty(), config.netns());
    assertTrue(config.spool().enabled());
    assertEquals(Path.of("/var/lib/ecapture-kafka/spool", config.hostId()), config.spoolDirectory());
    assertEquals(SpoolFullPolicy.DROP_OLDEST, config.spool().fullPolicy());
    assertEquals(CaptureFilter.ALL, config.filter());
    assertEquals(Duration.ofMillis(10), config.drainInterval());
  }

  @Test
  void execWatchOptions() {
    CollectorCommand defaults = new CollectorCommand();
    new CommandLine(defaults).parseArgs();
    io.ecapture.kafka.collector.probe.ExecWatchConfig watch = defaults.config().execWatch();
    assertTrue(watch.enabled());
    assertEquals(Duration.ofMillis(1000), watch.holdTimeout());
    assertEquals(Duration.ofSeconds(10), watch.scanBudget());
    assertTrue(watch.scanDirs().containsAll(List.of(Path.of("/usr/bin"), Path.of("/usr/local/bin"), Path.of("/opt/*/bin"))),
        watch.scanDirs().toString());

    CollectorCommand command = new CollectorCommand();
    new CommandLine(command).parseArgs("--no-exec-watch", "--exec-hold-ms", "0", "--exec-scan-dir", "/srv/bin",
        "--exec-scan-dir", "/opt/*/sbin", "--exec-scan-budget-s", "0");
    watch = command.config().execWatch();
    assertFalse(watch.enabled());
    assertEquals(Duration.ZERO, watch.holdTimeout());
    assertEquals(List.of(Path.of("/srv/bin"), Path.of("/opt/*/sbin")), watch.scanDirs());
    assertEquals(Duration.ZERO, watch.scanBudget());
  }

  @Test
  void dataDirHoldsTheSpoolAndTheGeneratedTokenUnlessATokenFileIsGiven() {
    CollectorCommand defaults = new CollectorCommand();
    new CommandLine(defaults).parseArgs("--host-id", "h");
    assertEquals(Path.of("/var/lib/ecapture-kafka"), defaults.config().dataDir());
    assertEquals(java.util.Optional.empty(), defaults.config().tokenFile());
    assertEquals(Path.of("/var/lib/ecapture-kafka/collector.token"), defaults.config().generatedTokenFile());

    CollectorCommand command = new CollectorCommand();
    new CommandLine(command).parseArgs("--host-id", "h", "--data-dir", "/srv/cap", "--token-file", "/etc/cap/token");
    CollectorConfig config = command.config();
    assertEquals(Path.of("/srv/cap"), config.dataDir());
    assertEquals(Path.of("/srv/cap/spool/h"), config.spoolDirectory());
    assertEquals(java.util.Optional.of(Path.of("/etc/cap/token")), config.tokenFile());
    assertEquals(Path.of("/srv/cap/collector.token"), config.generatedTokenFile());
    assertEquals(config, config.toBuilder().build());
    String help = new CommandLine(new CollectorCommand()).getUsageMessage();
    assertTrue(help.contains("--data-dir") && help.contains("--token-file"), help);
  }

  @Test
  void spoolAndFilterOptions() {
    CollectorCommand command = new CollectorCommand();
    new CommandLine(command)
        .parseArgs("--host-id", "h", "--spool-dir", "/tmp/s", "--spool-max-mb", "16", "--spool-full-policy", "DROP_NEWEST",
            "--pid", "10", "--pid", "11", "--uid", "0", "--comm", "curl", "--comm", "python3");
    CollectorConfig config = command.config();
    assertEquals(Path.of("/tmp/s"), config.spoolDirectory());
    assertEquals(16L << 20, config.spool().maxBytes());
    assertEquals(SpoolFullPolicy.DROP_NEWEST, config.spool().fullPolicy());
    assertEquals(new CaptureFilter(Set.of(10, 11), Set.of(0), Set.of("curl", "python3")), config.filter());

    CollectorCommand off = new CollectorCommand();
    new CommandLine(off).parseArgs("--no-spool");
    assertFalse(off.config().spool().enabled());
  }
}
