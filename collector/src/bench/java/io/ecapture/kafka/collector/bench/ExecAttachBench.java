package io.ecapture.kafka.collector.bench;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.control.ExecWatchStatus;
import io.ecapture.kafka.collector.probe.ExecWatch;
import io.ecapture.kafka.collector.sink.CaptureSink;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench/collector-exec-attach.sh}: what exec-time attach costs and how fast it is, with a
 * collector running its defaults (exec watch on, hold up to 1 s, start-time scan of installed
 * executables) and capturing into memory.
 *
 * <ol>
 *   <li>Exec to attached: RUNS times, a fresh copy (new inode) of a program with its own TLS copy
 *       (default: node) is executed ({@code -e 0}: it exits at once); the collector's exec to
 *       uprobes-attached latency of each is read from {@code /status}'s summary (over these runs
 *       only), with the exec to resumed latency and the hold timeouts.
 *   <li>The cost to execve of a known unrelated program ({@code exec_loop N /bin/true}: fork +
 *       execve + wait), the exec tracepoint attached and detached in PAIRS interleaved pairs whose
 *       order alternates; median of the on/off ratios, wall and CPU.
 * </ol>
 *
 * <pre>ExecAttachBench EXEC_LOOP [RUNS=30] [EXECS=2000] [PAIRS=7] [PROGRAM=node on PATH]</pre>
 */
public final class ExecAttachBench {
  private ExecAttachBench() {}

  public static void main(String[] args) throws Exception {
    Path execLoop = Path.of(args[0]);
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    int execs = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
    int pairs = args.length > 3 ? Integer.parseInt(args[3]) : 7;
    Path program = args.length > 4 ? Path.of(args[4]) : which("node");
    Path work = Files.createTempDirectory("exec-attach-bench");
    System.out.printf("%d cores, load %s; program %s (%d MB)%n", Runtime.getRuntime().availableProcessors(),
        Files.readString(Path.of("/proc/loadavg")).trim(), program, Files.size(program) >> 20);
    CollectorConfig config = CollectorConfig.builder().hostId("bench").statusPort(-1)
        .dataDir(work.resolve("data")).discoveryInterval(Duration.ZERO).build();
    try (Collector collector = Collector.start(config, stats -> new Discard())) {
      ExecWatch watch = collector.execWatch().orElseThrow(() -> new IllegalStateException(
          "exec watch off: " + collector.execWatchStatus().hold()));
      if (!watch.awaitHold(60_000)) {
        System.out.println("hold off: " + collector.execWatchStatus().hold());
      }
      watch.awaitInstalledScan(60_000);
      ExecWatchStatus scanned = collector.execWatchStatus();
      System.out.printf("start-time scan: %s, %d files in %d directories, %d ms, with their own TLS: %s%n",
          scanned.installedScan().state(), scanned.installedScan().files(), scanned.installedScan().dirs().size(),
          scanned.installedScan().durationMs(), scanned.installedScan().found());

      // 1. exec to attached
      long attachedBefore = scanned.attached();
      long timeoutsBefore = scanned.holdTimeouts();
      List<Long> runMs = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        Path copy = work.resolve("prog-" + i);
        Files.copy(program, copy, StandardCopyOption.COPY_ATTRIBUTES);
        long start = System.nanoTime();
        Process p = new ProcessBuilder(copy.toString(), "-e", "0").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new IllegalStateException("run " + i + " failed");
        }
        runMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        awaitAttached(collector, attachedBefore + i + 1);
        Files.delete(copy);
      }
      ExecWatchStatus after = collector.execWatchStatus();
      ExecWatchStatus.Latency latency = after.attachLatency();
      System.out.printf(Locale.ROOT, "exec -> attached, %d fresh copies: median %.1f ms, p99 %.1f ms, max %.1f ms"
          + " (all %d attached at exec; hold timeouts %d; exec -> resumed over every held exec: median %.1f ms,"
          + " p99 %.1f ms); each run took median %d ms%n",
          runs, latency.p50Ms(), latency.p99Ms(), latency.maxMs(), after.attached() - attachedBefore,
          after.holdTimeouts() - timeoutsBefore, after.holdDuration().p50Ms(), after.holdDuration().p99Ms(),
          median(runMs));

      // 2. execve cost of a known program, tracepoint on vs off
      run(execLoop, 200); // warm up: exec_loop and /bin/true get their verdicts
      double[] wall = new double[pairs];
      double[] cpu = new double[pairs];
      for (int pair = 0; pair < pairs; pair++) {
        double[] on;
        double[] off;
        if (pair % 2 == 0) {
          watch.tracepoint(false);
          off = run(execLoop, execs);
          watch.tracepoint(true);
          on = run(execLoop, execs);
        } else {
          watch.tracepoint(true);
          on = run(execLoop, execs);
          watch.tracepoint(false);
          off = run(execLoop, execs);
        }
        wall[pair] = on[0] / off[0];
        cpu[pair] = on[1] / off[1];
        System.out.printf(Locale.ROOT, "  pair %d: off %.1f us/exec (cpu %.1f)  on %.1f us/exec (cpu %.1f)  on/off %.4f"
            + " (cpu %.4f)%n", pair + 1, off[0] / 1000, off[1] / 1000, on[0] / 1000, on[1] / 1000, wall[pair], cpu[pair]);
      }
      watch.tracepoint(true);
      System.out.printf(Locale.ROOT, "execve of a known program (/bin/true), exec watch on / off: wall median %.4f"
          + " (min %.4f, max %.4f), cpu median %.4f (min %.4f, max %.4f)%n",
          median(wall), min(wall), max(wall), median(cpu), min(cpu), max(cpu));
    }
  }

  /** Counts nothing, keeps nothing: capture of the rest of the machine must not fill the heap. */
  private static final class Discard implements CaptureSink {
    @Override
    public void event(RawEvent event) {}

    @Override
    public void log(ProcessLog line) {
      System.out.println("  collector: " + line.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  private static double[] run(Path execLoop, int n) throws Exception {
    Process p = new ProcessBuilder(execLoop.toString(), Integer.toString(n), "/bin/true").start();
    String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
    if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0 || line == null) {
      throw new IllegalStateException("exec_loop failed");
    }
    String[] parts = line.trim().split(" ");
    return new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1])};
  }

  private static void awaitAttached(Collector collector, long count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (collector.execWatchStatus().attached() < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not attached at exec: " + collector.execWatchStatus());
      }
      Thread.sleep(5);
    }
  }

  private static Path which(String tool) throws Exception {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path candidate = Path.of(dir, tool);
      if (Files.isExecutable(candidate)) {
        return candidate.toRealPath();
      }
    }
    throw new IllegalStateException(tool + " not on PATH");
  }

  private static long median(List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get((sorted.size() - 1) / 2);
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(sorted.length - 1) / 2];
  }

  private static double min(double[] values) {
    return Arrays.stream(values).min().orElse(0);
  }

  private static double max(double[] values) {
    return Arrays.stream(values).max().orElse(0);
  }
}
