package io.ecapture.kafka.collector.probe;

import io.ecapture.kafka.bpf.BpfObjects;
import io.ecapture.kafka.collector.libbpf.LibBpf;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * The hold guard: a small separate process that makes sure no process exec_watch stopped stays
 * stopped when the collector is gone. It opens the kernel's {@code held_pids} map by id (so the map
 * outlives the collector), says "ready", and then waits for its standard input to end, which
 * happens when the collector closes it or dies in any way (the kernel closes the pipe even after
 * SIGKILL). It then resumes every process still in the map (twice, 100 ms apart, for an exec in
 * flight while the collector's tracepoint went away) and exits. While the collector lives, it also
 * resumes any process held longer than the hold timeout plus {@link #GRACE} (a collector that is
 * alive but stuck). SIGTERM/SIGINT sweep too before it exits.
 *
 * <p>It runs in its own session (setsid when available) so a terminal's Ctrl-C aimed at the
 * collector does not take it down first.
 *
 * <p>Two implementations behave the same: the native program {@code hold_guard} (the bpf module's
 * {@code src/main/native/hold_guard.c}, a static executable of about 1 MiB resident), started by
 * default, and this class's {@link #main} in a small JVM (about 50 MiB), used only when the native
 * one cannot run (e.g. a temporary directory mounted noexec) or when the system property
 * {@value #IMPLEMENTATION_PROPERTY} is {@code jvm}.
 */
public final class HoldGuard {
  /** Added to the hold timeout before the guard resumes on its own. */
  static final Duration GRACE = Duration.ofSeconds(1);
  static final String READY = "ready";
  private static final long SWEEP_MS = 250;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
  /** {@code native} (default: the native program, the JVM when it cannot run) or {@code jvm}. */
  static final String IMPLEMENTATION_PROPERTY = "ecapture.holdGuard";

  private HoldGuard() {}

  /** {@code HoldGuard <held_pids map id> <hold timeout ms>}. */
  public static void main(String[] args) throws Exception {
    int fd = LibBpf.mapGetFdById(Integer.parseInt(args[0]));
    if (fd < 0) {
      System.out.println("error: bpf_map_get_fd_by_id(" + args[0] + "): errno " + -fd);
      System.exit(2);
    }
    long backstopNs = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(args[1])) + GRACE.toNanos();
    HeldProcesses held = new HeldProcesses(fd);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> sweepAll(held)));
    System.out.println(READY);
    System.out.flush();
    Thread watcher = Thread.ofPlatform().daemon().start(() -> {
      try {
        while (System.in.read() >= 0) {
          // the collector writes nothing: any byte is ignored, EOF ends the wait
        }
      } catch (IOException e) {
        // the pipe broke: the collector is gone as well
      }
    });
    while (watcher.isAlive()) {
      watcher.join(SWEEP_MS);
      held.sweep(System.nanoTime() - backstopNs, pid -> System.out.println("resumed " + pid + " (hold timeout)"));
    }
    sweepAll(held);
    System.exit(0);
  }

  private static void sweepAll(HeldProcesses held) {
    held.sweep(Long.MAX_VALUE, pid -> System.out.println("resumed " + pid));
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    held.sweep(Long.MAX_VALUE, pid -> System.out.println("resumed " + pid));
    System.out.flush();
  }

  /**
   * Starts a guard for the map {@code heldMapId}: the native program, or when it cannot run (or
   * {@value #IMPLEMENTATION_PROPERTY} is {@code jvm}) a small JVM of the running one (same
   * classpath), and waits until it holds the map.
   *
   * @return the guard; close its standard input to let it sweep and exit
   * @throws IOException when it cannot start or does not get ready in time
   */
  static Process launch(int heldMapId, Duration holdTimeout) throws IOException {
    List<String> args = List.of(Integer.toString(heldMapId), Long.toString(holdTimeout.toMillis()));
    if (!"jvm".equals(System.getProperty(IMPLEMENTATION_PROPERTY))) {
      try {
        return launchNative(args);
      } catch (IOException | RuntimeException e) {
        // (a logger only here: the JVM guard's main must not start the logging framework)
        LoggerFactory.getLogger(HoldGuard.class).warn("native hold guard did not start ({}); starting the JVM one", e.toString());
      }
    }
    return launchJvm(args);
  }

  private static Process launchNative(List<String> args) throws IOException {
    // a private directory (0700): nobody else can swap the file between its writing and its exec
    Path dir = Files.createTempDirectory("ecapture-hold-guard");
    try {
      Path program = BpfObjects.HOLD_GUARD.extract(dir);
      Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("r-x------"));
      List<String> command = new ArrayList<>();
      setsid().ifPresent(command::add);
      command.add(program.toString());
      command.addAll(args);
      // once it said "ready" it runs from its image: the file can go
      return start(new ProcessBuilder(command));
    } finally {
      try (var files = Files.list(dir)) {
        for (Path file : files.toList()) {
          Files.deleteIfExists(file);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  private static Process launchJvm(List<String> args) throws IOException {
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command = new ArrayList<>();
    setsid().ifPresent(command::add);
    command.addAll(List.of(java, "-Xmx16m", "-Xms4m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-XX:-UsePerfData", "-Xshare:auto", "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), HoldGuard.class.getName()));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command);
    // the collector's JVM flags (the deploy files set them here) are not the guard's: its own
    // flags above size it, and an inherited -Xms above its -Xmx would stop it from starting
    builder.environment().remove("JAVA_TOOL_OPTIONS");
    builder.environment().remove("JDK_JAVA_OPTIONS");
    return start(builder);
  }

  private static Process start(ProcessBuilder builder) throws IOException {
    Process guard = builder.redirectError(ProcessBuilder.Redirect.DISCARD).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(guard.getInputStream(), StandardCharsets.UTF_8));
    String[] first = new String[1];
    Thread reader = Thread.ofPlatform().daemon().start(() -> {
      try {
        first[0] = out.readLine();
      } catch (IOException e) {
        first[0] = null;
      }
    });
    try {
      reader.join(READY_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!READY.equals(first[0])) {
      guard.destroyForcibly();
      throw new IOException("the hold guard did not start: " + (first[0] == null ? "no answer within "
          + READY_TIMEOUT.toSeconds() + " s" : first[0]));
    }
    // keep draining its output (lines about what it resumed) so it never blocks on a full pipe
    Thread.ofPlatform().daemon().name("collector-hold-guard-out").start(() -> drain(out));
    return guard;
  }

  private static void drain(BufferedReader out) {
    try {
      while (out.readLine() != null) {
        // informational only
      }
    } catch (IOException e) {
      // the guard exited
    }
  }

  private static Optional<String> setsid() {
    for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
      Path setsid = Path.of(dir, "setsid");
      if (Files.isExecutable(setsid)) {
        return Optional.of(setsid.toString());
      }
    }
    return Optional.empty();
  }
}
