package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.forwarder.ForwarderConfig;
import io.ecapture.kafka.forwarder.Target;
import io.ecapture.kafka.forwarder.format.Format;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code up --eventaddr/--logaddr} (eCapture's spellings) become the fleet's forwarder. */
class UpForwardOptionsTest {
  @Test
  void eCapturesSpellingsConfigureTheForwarder() {
    UpCommand up = new UpCommand();
    new CommandLine(up).parseArgs("--eventaddr", "tcp://127.0.0.1:9000", "--logaddr", "/var/log/ec/logs.txt",
        "--forward-format", "json", "--hex", "--tsize", "4k", "--eventroratesize", "5", "--eventroratetime", "60");
    ForwarderConfig f = up.forwarderConfig();
    assertEquals(Target.Kind.TCP, f.events().kind());
    assertEquals(Target.Kind.FILE, f.logs().kind());
    assertEquals(Format.JSON, f.format());
    assertTrue(f.hex());
    assertEquals(4096, f.truncateBytes());
    assertEquals(5L << 20, f.rotateBytes());
    assertEquals(Duration.ofSeconds(60), f.rotateInterval());
    assertNull(new UpCommand().forwarderConfig(), "no forwarder without --eventaddr/--logaddr");

    StringWriter help = new StringWriter();
    new CommandLine(new Main()).setOut(new PrintWriter(help)).execute("up", "--help");
    assertTrue(help.toString().contains("--events, --eventaddr=TARGET"), help.toString());
    StringWriter forwardHelp = new StringWriter();
    new CommandLine(new Main()).setOut(new PrintWriter(forwardHelp)).execute("forward", "--help");
    assertTrue(forwardHelp.toString().contains("--eventroratesize=MB"), forwardHelp.toString());
    StringWriter keylogHelp = new StringWriter();
    new CommandLine(new Main()).setOut(new PrintWriter(keylogHelp)).execute("keylog", "--help");
    assertTrue(keylogHelp.toString().contains("--follow"), keylogHelp.toString());
  }
}
