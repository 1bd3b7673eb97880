package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.probe.gotls.GoTlsConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The collector's --gotls-binary / --no-gotls (also up's, the same mixin) become its GoTlsConfig. */
class GoTlsOptionsTest {
  @Test
  void onByDefaultWithNoBinary() {
    CollectorCommand command = new CollectorCommand();
    new CommandLine(command).parseArgs();
    GoTlsConfig gotls = command.config().gotls();
    assertTrue(gotls.enabled());
    assertEquals(List.of(), gotls.binaries());
    assertEquals(GoTlsConfig.defaults(), CollectorConfig.builder().libsslPaths(List.of(Path.of("/x"))).build().gotls());
  }

  @Test
  void binariesAndOff() {
    CollectorCommand command = new CollectorCommand();
    new CommandLine(command).parseArgs("--gotls-binary", "/usr/bin/a", "--gotls-binary", "/opt/b");
    assertEquals(List.of(Path.of("/usr/bin/a"), Path.of("/opt/b")), command.config().gotls().binaries());
    CollectorCommand off = new CollectorCommand();
    new CommandLine(off).parseArgs("--no-gotls");
    assertFalse(off.config().gotls().enabled());
  }
}
