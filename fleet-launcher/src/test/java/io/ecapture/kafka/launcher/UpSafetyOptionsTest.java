package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.redact.Redaction;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code up --redact}, {@code up --insecure-listen}: passed through, refused early and clearly. */
class UpSafetyOptionsTest {
  @TempDir Path dir;

  @Test
  void redactReachesTheFleetAndDefaultsToTheCredentials() {
    UpCommand defaults = new UpCommand();
    new CommandLine(defaults).parseArgs();
    assertEquals(Redaction.DEFAULT, Redaction.parse(defaults.redact));
    assertEquals(Redaction.DEFAULT, FleetConfig.builder(dir).build().redaction());
    UpCommand none = new UpCommand();
    new CommandLine(none).parseArgs("--redact", "none", "--insecure-listen");
    assertEquals(Redaction.NONE, Redaction.parse(none.redact));
    assertTrue(none.insecureListen);
    FleetConfig config = FleetConfig.builder(dir).redaction(Redaction.NONE).gatewayInsecureListen(true).build();
    assertEquals(config, config.toBuilder().build());
    assertTrue(config.toString().contains("redaction=Redaction[none]"), config.toString());

    StringWriter help = new StringWriter();
    new CommandLine(new Main()).setOut(new PrintWriter(help)).execute("up", "--help");
    assertTrue(help.toString().contains("--redact=HEADERS|none"), help.toString());
    assertTrue(help.toString().contains("--insecure-listen"), help.toString());
  }

  @Test
  void aNonLoopbackListenIsRefusedInOneLineBeforeAnythingStarts() {
    Path data = dir.resolve("data");
    String err = runUp("--listen", "0.0.0.0:28257", "--data-dir", data.toString(), "--no-capture");
    assertTrue(err.startsWith("ecapture-kafka: refusing --listen 0.0.0.0:28257 (not loopback)"), err);
    assertEquals(1, err.lines().count(), err);
    assertFalse(Files.exists(data), "nothing was started or created");

    String badRedact = runUp("--redact", "authorization,,cookie", "--data-dir", data.toString());
    assertTrue(badRedact.startsWith("ecapture-kafka: --redact"), badRedact);
    assertFalse(Files.exists(data));
  }

  /** Runs {@code up} expecting a usage error; returns what it printed on stderr. */
  private static String runUp(String... args) {
    PrintStream original = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      exit = new CommandLine(new UpCommand()).execute(args);
    } finally {
      System.setErr(original);
    }
    assertEquals(CommandLine.ExitCode.USAGE, exit);
    return err.toString(StandardCharsets.UTF_8);
  }
}
