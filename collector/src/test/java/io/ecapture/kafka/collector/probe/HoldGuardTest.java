package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.CollectorCommand;
import io.ecapture.kafka.collector.EbpfEnvironment;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process held at exec is resumed even when the collector dies while holding it. The collector
 * runs as a child JVM (CollectorCommand, hold timeout 10 s); it is stopped (SIGSTOP) so it cannot
 * examine anything, a fresh executable is started and seen held (state T), then the collector is
 * SIGKILLed: no close, no shutdown hook. Its hold guard sees its standard input end, resumes the
 * process and exits; the process runs to its end. Both guards: the native program (the default,
 * a few MiB resident) and the JVM one ({@code -Decapture.holdGuard=jvm}, the fallback).
 */
class HoldGuardTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"native", "jvm"})
  void aProcessHeldWhenTheCollectorIsKilledIsResumedByTheGuard(String implementation) throws Exception {
    EbpfEnvironment.requireEbpf();
    Path log = dir.resolve("collector.log");
    List<String> command = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "-D" + HoldGuard.IMPLEMENTATION_PROPERTY + "=" + implementation,
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "-cp", System.getProperty("java.class.path"), CollectorCommand.class.getName(),
        "--bootstrap", "127.0.0.1:" + freePort(), "--host-id", "guard-host",
        "--status-port", "-1", "--spool-dir", dir.resolve("spool").toString(),
        "--data-dir", dir.resolve("data").toString(), "--discover-interval-s", "0",
        "--exec-hold-ms", "10000", "--exec-scan-budget-s", "0"));
    Process collector = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Process held = null;
    try {
      awaitLog(collector, log, "exec hold on (hold guard pid");
      java.util.regex.Matcher pid = java.util.regex.Pattern.compile("hold guard pid (\\d+)").matcher(Files.readString(log));
      assertTrue(pid.find(), "the collector names its hold guard: " + Files.readString(log));
      ProcessHandle guard = ProcessHandle.of(Long.parseLong(pid.group(1))).orElseThrow();
      String cmdline = Files.readString(Path.of("/proc", Long.toString(guard.pid()), "cmdline"));
      if (implementation.equals("jvm")) {
        assertTrue(cmdline.contains(HoldGuard.class.getName()), "the guard runs HoldGuard: " + cmdline);
      } else {
        assertTrue(cmdline.contains("hold_guard") && !cmdline.contains("java"), "the native guard runs: " + cmdline);
        long rssKb = Files.readAllLines(Path.of("/proc", Long.toString(guard.pid()), "status")).stream()
            .filter(line -> line.startsWith("VmRSS:")).mapToLong(line -> Long.parseLong(line.replaceAll("\\D", "")))
            .findFirst().orElseThrow();
        assertTrue(rssKb < 8 * 1024, "the native guard is small: " + rssKb + " kB resident");
      }
      // the JDK starts children through jspawnhelper: let the collector know it before it is stopped
      Process warm = new ProcessBuilder("/usr/bin/true").start();
      assertTrue(warm.waitFor(30, TimeUnit.SECONDS));

      Path fresh = dir.resolve("fresh-sleep");
      Files.copy(Path.of("/usr/bin/sleep"), fresh, StandardCopyOption.COPY_ATTRIBUTES);
      assertTrue(ProcessSignals.kill((int) collector.pid(), ProcessSignals.SIGSTOP), "collector stopped");
      held = new ProcessBuilder(fresh.toString(), "0.1").start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (ProcessSignals.state((int) held.pid()) != 'T' && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals('T', ProcessSignals.state((int) held.pid()), "the new process is held at exec");
      assertTrue(held.isAlive());

      collector.destroyForcibly(); // SIGKILL, also while stopped
      assertTrue(collector.waitFor(30, TimeUnit.SECONDS));
      assertTrue(guard.onExit().get(30, TimeUnit.SECONDS) != null, "the guard swept and exited");
      assertTrue(held.waitFor(30, TimeUnit.SECONDS), "the held process was resumed and ran to its end");
      assertEquals(0, held.exitValue());
    } finally {
      if (held != null && held.isAlive()) {
        ProcessSignals.kill((int) held.pid(), ProcessSignals.SIGCONT);
        held.destroyForcibly();
      }
      ProcessSignals.kill((int) collector.pid(), ProcessSignals.SIGCONT);
      collector.destroyForcibly();
      collector.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static void awaitLog(Process child, Path log, String text) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      String output = Files.exists(log) ? Files.readString(log) : "";
      if (output.contains(text)) {
        return;
      }
      if (!child.isAlive()) {
        throw new AssertionError("collector child exited: " + output);
      }
      Thread.sleep(100);
    }
    throw new AssertionError("collector child never logged '" + text + "': " + Files.readString(log));
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
