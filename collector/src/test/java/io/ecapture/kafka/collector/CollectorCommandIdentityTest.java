package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.identity.IdentityConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --cgroup} (and eCapture's {@code --cgroup_path}) and {@code --pod-log-root}. */
class CollectorCommandIdentityTest {
  @Test
  void cgroupPathsInEitherSpellingBecomeTheFilterAndThePodLogRootTheIdentitySource() {
    CollectorCommand command = new CollectorCommand();
    new CommandLine(command).parseArgs("--cgroup", "/kubepods.slice/kubepods-burstable.slice",
        "--cgroup_path", "/sys/fs/cgroup/unified/system.slice", "--pod-log-root", "/srv/kubelet/pods");
    CollectorConfig config = command.config();
    assertEquals(Set.of("/kubepods.slice/kubepods-burstable.slice", "/sys/fs/cgroup/unified/system.slice"),
        config.filter().cgroups());
    assertEquals(Path.of("/srv/kubelet/pods"), config.identity().podLogRoot());
  }

  @Test
  void defaultsAreNoCgroupFilterAndTheKubeletsPodLogs() {
    CollectorCommand command = new CollectorCommand();
    new CommandLine(command).parseArgs();
    CollectorConfig config = command.config();
    assertEquals(Set.of(), config.filter().cgroups());
    assertEquals(IdentityConfig.defaults(), config.identity());
    assertEquals(Path.of("/var/log/pods"), config.identity().podLogRoot());
  }

  @Test
  void helpNamesTheNewOptions() {
    StringWriter help = new StringWriter();
    new CommandLine(new CollectorCommand()).usage(new PrintWriter(help));
    assertTrue(help.toString().contains("--cgroup, --cgroup_path=PATH"), help.toString());
    assertTrue(help.toString().contains("--pod-log-root=DIR"), help.toString());
    assertTrue(help.toString().contains("/var/log/pods"), help.toString());
  }
}
