package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.identity.IdentityConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code up --cgroup/--cgroup_path/--pod-log-root} reach the collector's configuration. */
class UpIdentityOptionsTest {
  @Test
  void upTakesTheCollectorsCgroupFilterAndPodLogRoot() {
    UpCommand up = new UpCommand();
    new CommandLine(up).parseArgs("--cgroup", "/kubepods.slice", "--cgroup_path", "/system.slice",
        "--pod-log-root", "/srv/pods");
    assertEquals(List.of("/kubepods.slice", "/system.slice"), up.cgroups);
    assertEquals(Path.of("/srv/pods"), up.podLogRoot);
    FleetConfig config = FleetConfig.builder(Path.of("/tmp/x")).collectorCgroups(up.cgroups).podLogRoot(up.podLogRoot).build();
    assertEquals(List.of("/kubepods.slice", "/system.slice"), config.collectorCgroups());
    assertEquals(IdentityConfig.DEFAULT_POD_LOG_ROOT, FleetConfig.builder(Path.of("/tmp/x")).build().podLogRoot());

    StringWriter help = new StringWriter();
    new CommandLine(new Main()).setOut(new PrintWriter(help)).execute("up", "--help");
    assertTrue(help.toString().contains("--cgroup, --cgroup_path=PATH"), help.toString());
    assertTrue(help.toString().contains("--pod-log-root=DIR"), help.toString());
  }
}
