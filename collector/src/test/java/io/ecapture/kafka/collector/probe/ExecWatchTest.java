package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.control.ExecWatchStatus;
import io.ecapture.kafka.collector.sink.ProcessLogger;
import io.ecapture.kafka.collector.sink.RecordingSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The exec watch on the real kernel, without Kafka: the verdict cache keeps a known executable
 * from being reported or held again, a new mtime makes it unknown again, the key computed from
 * stat(2) is the kernel's, and a process held while the collector cannot examine it is resumed at
 * the hold timeout.
 */
class ExecWatchTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;

  private record Rig(TlsProbes probes, LibraryRegistry registry, ExecWatch watch) implements AutoCloseable {
    @Override
    public void close() {
      watch.close();
      registry.close();
      probes.close();
    }
  }

  private static Rig rig(Duration hold) {
    TlsProbes probes = TlsProbes.load(1 << 20);
    ProcessLogger log = new ProcessLogger(LoggerFactory.getLogger(ExecWatchTest.class), "exec-test", new RecordingSink());
    LibraryRegistry registry = new LibraryRegistry(probes, LibSslLocator.locate(), log, (kind, path) -> {});
    registry.attachConfigured(java.util.Set.of());
    ExecWatch watch = ExecWatch.start(ExecWatchConfig.builder().holdTimeout(hold).scanBudget(Duration.ZERO).build(),
        registry, log);
    Rig rig = new Rig(probes, registry, watch);
    try {
      if (!hold.isZero()) {
        assertTrue(watch.awaitHold(WAIT.toMillis() * 2), "holding on once the guard runs: " + watch.status().hold());
      }
    } catch (InterruptedException | RuntimeException | AssertionError e) {
      rig.close();
      throw new AssertionError(e);
    }
    return rig;
  }

  /** A fresh copy (new inode) of an executable: unknown to the verdict cache. */
  private Path freshCopy(String of, String name) throws Exception {
    Path copy = dir.resolve(name);
    Files.copy(Path.of(of), copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
    return copy;
  }

  private static Process run(Path exe, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(exe.toString()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  private static void assertExits(Process process) throws Exception {
    assertTrue(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the process ran to its end (was resumed)");
    assertEquals(0, process.exitValue());
  }

  @Test
  void knownExecutablesAreNeitherReportedNorHeldAgain() throws Exception {
    EbpfEnvironment.requireEbpf();
    Path tool = freshCopy("/usr/bin/true", "fresh-true");
    Map<Long, ExecEvent> events = new ConcurrentHashMap<>();
    try (Rig rig = rig(Duration.ofSeconds(5))) {
      rig.watch().listener(event -> events.put((long) event.pid(), event));
      assertTrue(rig.watch().status().hold().startsWith("on"), rig.watch().status().hold());

      Process first = run(tool);
      assertExits(first);
      ExecEvent event = await(events, first.pid());
      assertTrue(event.held(), "an unknown executable is held: " + event);
      assertEquals(tool.toString(), event.filename());
      ExecKey fromStat = ExecKey.of(tool).orElseThrow();
      assertEquals(fromStat, event.file(), "the key from stat(2) is the kernel's (device encoding, inode, mtime)");
      awaitVerdict(rig.watch().verdicts(), fromStat, ExecVerdicts.NO_TLS);

      long knownBefore = rig.watch().status().execsKnown();
      Process second = run(tool);
      assertExits(second);
      Thread.sleep(300); // an event would have come by now
      assertFalse(events.containsKey(second.pid()), "a known executable is not reported");
      assertTrue(rig.watch().status().execsKnown() > knownBefore, "counted as known");

      // rewritten in place: new mtime, new key, examined again
      Files.setLastModifiedTime(tool, FileTime.from(Instant.now().plusSeconds(5)));
      Process third = run(tool);
      assertExits(third);
      ExecEvent again = await(events, third.pid());
      assertTrue(again.held());
      assertNotEquals(fromStat, again.file());
      assertEquals(fromStat.ino(), again.file().ino());

      ExecWatchStatus status = rig.watch().status();
      assertTrue(status.held() >= 2 && status.resumed() >= 2 && status.examined() >= 2, status.toString());
      assertTrue(status.holdDuration().count() >= 2, status.toString());
    }
  }

  @Test
  void verdictCacheKeepsWhatWasPutAndForgets() throws Exception {
    EbpfEnvironment.requireEbpf();
    try (Rig rig = rig(Duration.ZERO)) {
      ExecVerdicts verdicts = rig.watch().verdicts();
      ExecKey key = new ExecKey(0x800001L, 424242L, 1_700_000_000L, 123);
      assertEquals(ExecVerdicts.UNKNOWN, verdicts.get(key));
      verdicts.put(key, ExecVerdicts.PROBED);
      assertEquals(ExecVerdicts.PROBED, verdicts.get(key));
      assertEquals(ExecVerdicts.PROBED, verdicts.kernelVerdict(key), "written to the kernel's map");
      assertEquals(ExecVerdicts.UNKNOWN, verdicts.get(new ExecKey(0x800001L, 424242L, 1_700_000_000L, 124)),
          "another mtime is another file");
      verdicts.forget(key);
      assertEquals(ExecVerdicts.UNKNOWN, verdicts.get(key));
      assertEquals(ExecVerdicts.UNKNOWN, verdicts.kernelVerdict(key));
      assertTrue(rig.watch().status().hold().startsWith("off"), "hold timeout 0: never hold");
    }
  }

  @Test
  void aProcessHeldWhileTheCollectorIsBusyIsResumedAtTheHoldTimeout() throws Exception {
    EbpfEnvironment.requireEbpf();
    Path tool = freshCopy("/usr/bin/true", "slow-true");
    Map<Long, ExecEvent> events = new ConcurrentHashMap<>();
    try (Rig rig = rig(Duration.ofMillis(200))) {
      rig.watch().listener(event -> events.put((long) event.pid(), event));
      Process process;
      long timeoutsBefore = rig.watch().status().holdTimeouts();
      // the examination needs the registry: while the test holds it, only the timeout can resume
      synchronized (rig.registry()) {
        process = run(tool);
        assertExits(process);
      }
      assertTrue(await(events, process.pid()).held(), "it was held");
      // it exited (assertExits) while its examination could not run: the hold timeout resumed it
      // (the sweep counts the timeout after its SIGCONT), or, when a loaded machine delayed the
      // sweep past timeout + 1 s, the guard's backstop did, which the counters cannot see
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (rig.watch().status().holdTimeouts() <= timeoutsBefore && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      if (rig.watch().status().holdTimeouts() <= timeoutsBefore) {
        System.err.println("ExecWatchTest: resumed by the hold guard's backstop, not the sweep: "
            + rig.watch().status());
      }
    }
  }

  @Test
  void kernelDeviceNumbersFromStat() {
    // glibc makedev(8, 1) = 0x801 -> MKDEV(8, 1) = 8 << 20 | 1
    assertEquals((8L << 20) | 1, ExecKey.kernelDev(0x801));
    // makedev(259, 3): major 0x103 -> bits 8..19; minor 3
    assertEquals((259L << 20) | 3, ExecKey.kernelDev(0x10303));
    // makedev(0, 300): minor 300 = 0x12c -> low byte 0x2c, high bits at 20..
    assertEquals(300L, ExecKey.kernelDev(0x2c | (0x100L << 12)));
  }

  @Test
  void scanDirectoriesExpandStarsAndAppearOnce() throws Exception {
    Files.createDirectories(dir.resolve("opt/a/bin"));
    Files.createDirectories(dir.resolve("opt/b/bin"));
    Files.createDirectories(dir.resolve("opt/c")); // no bin: not listed
    Files.createSymbolicLink(dir.resolve("bin"), dir.resolve("opt/a/bin")); // the same directory twice
    List<Path> expanded = ExecWatch.expand(List.of(dir.resolve("opt/*/bin"), dir.resolve("bin"), dir.resolve("missing")));
    assertEquals(List.of(dir.resolve("opt/a/bin").toRealPath(), dir.resolve("opt/b/bin").toRealPath()),
        expanded.stream().sorted().toList());
  }

  @Test
  void latencySummary() {
    ExecWatch.LatencyWindow window = new ExecWatch.LatencyWindow();
    assertEquals(ExecWatchStatus.Latency.NONE, window.summary());
    for (int i = 1; i <= 100; i++) {
      window.add(i * 1_000_000L);
    }
    ExecWatchStatus.Latency summary = window.summary();
    assertEquals(100, summary.count());
    assertEquals(50.0, summary.p50Ms());
    assertEquals(99.0, summary.p99Ms());
    assertEquals(100.0, summary.maxMs());
  }

  private static ExecEvent await(Map<Long, ExecEvent> events, long pid) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      ExecEvent event = events.get(pid);
      if (event != null) {
        return event;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no exec event for pid " + pid + " within " + WAIT);
  }

  private static void awaitVerdict(ExecVerdicts verdicts, ExecKey key, int expected) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline && verdicts.kernelVerdict(key) != expected) {
      Thread.sleep(20);
    }
    assertEquals(expected, verdicts.kernelVerdict(key), "verdict in the kernel's map");
  }
}
