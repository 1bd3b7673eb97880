package io.ecapture.kafka.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code ecapture-kafka up} command in a child JVM (this test's class path, {@link
 * Main}), as an operator runs it: tests kill it with SIGKILL, start it again, start a second one.
 * Its stdout and stderr are collected (and echoed to this JVM's stderr with a prefix).
 */
final class UpProcess implements AutoCloseable {
  private final Process process;
  private final String name;
  private final StringBuffer stdout = new StringBuffer();
  private final StringBuffer stderr = new StringBuffer();
  private final List<Thread> pumps = new ArrayList<>();

  private UpProcess(Process process, String name) {
    this.process = process;
    this.name = name;
    pumps.add(pump(process.getInputStream(), stdout, name + " out| "));
    pumps.add(pump(process.getErrorStream(), stderr, name + " err| "));
  }

  /** Starts {@code ecapture-kafka up --data-dir DATA ARGS...}. */
  static UpProcess start(String name, Path dataDir, List<String> args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx768m",
        "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "up", "--data-dir", dataDir.toString()));
    command.addAll(args);
    return new UpProcess(new ProcessBuilder(command).start(), name);
  }

  private static Thread pump(InputStream in, StringBuffer into, String prefix) {
    return Thread.ofPlatform().daemon().name("pump-" + prefix.strip()).start(() -> {
      try (var reader = new java.io.BufferedReader(
          new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          into.append(line).append('\n');
          System.err.println(prefix + line);
        }
      } catch (IOException e) {
        // the process is gone
      }
    });
  }

  /**
   * Waits until it printed "ecapture-kafka is up" (true), exited (false) or the timeout passed
   * (false).
   */
  boolean awaitUp(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (stdout.indexOf("ecapture-kafka is up") >= 0) {
        return true;
      }
      if (!process.isAlive()) {
        return false;
      }
      Thread.sleep(50);
    }
    return false;
  }

  /** Waits for it to exit; its exit status, or null after the timeout. */
  Integer awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      return null;
    }
    for (Thread pump : pumps) {
      pump.join(5_000); // everything it printed is collected
    }
    return process.exitValue();
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  String stdout() {
    return stdout.toString();
  }

  String stderr() {
    return stderr.toString();
  }

  /** The embedded broker: the child JVM this one started. */
  Optional<ProcessHandle> broker() {
    return process.children().filter(p -> p.info().command().orElse("").endsWith("java")).findFirst();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed or closed. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM (a clean stop), SIGKILL if that takes over a minute. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}
