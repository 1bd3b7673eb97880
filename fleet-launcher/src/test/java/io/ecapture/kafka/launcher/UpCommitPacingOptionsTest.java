package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.CommitPacing;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code up} takes the processor's commit-request options as {@code processor} does. */
class UpCommitPacingOptionsTest {
  @Test
  void upTakesTheCommitRequestOptions() {
    UpCommand up = new UpCommand();
    new CommandLine(up).parseArgs("--commit-request-interval-ms", "40", "--commit-request-burst", "2");
    assertEquals(new CommitPacing(Duration.ofMillis(40), 2), up.commitPacing.pacing());
    UpCommand defaults = new UpCommand();
    new CommandLine(defaults).parseArgs();
    assertEquals(CommitPacing.DEFAULTS, defaults.commitPacing.pacing());

    FleetConfig config = FleetConfig.builder(Path.of("/tmp/x")).build();
    assertEquals(CommitPacing.DEFAULTS, config.processorCommitPacing());
    FleetConfig off = config.toBuilder().processorCommitPacing(CommitPacing.OFF).build();
    assertEquals(CommitPacing.OFF, off.toBuilder().build().processorCommitPacing());

    StringWriter help = new StringWriter();
    new CommandLine(new Main()).setOut(new PrintWriter(help)).execute("up", "--help");
    assertTrue(help.toString().contains("--commit-request-interval-ms=MS"), help.toString());
    assertTrue(help.toString().contains("--commit-request-burst=N"), help.toString());
    assertEquals(2, new CommandLine(new Main()).execute("up", "--commit-request-burst", "0", "--no-capture"),
        "a usage error before anything starts");
  }
}
