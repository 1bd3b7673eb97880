package io.ecapture.kafka.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code ecapture-kafka COMMAND ...} (collector, processor, gateway) in a child JVM of this
 * test's class path, as an operator runs a component alone: tests kill it with SIGKILL, stop it
 * with SIGTERM and start it again. Its output goes to a log file (appended across restarts).
 *
 * <p>The child gets SIGKILL when this JVM's starting thread ends (setpriv's parent-death signal),
 * so a test JVM that dies cannot leave collectors with probes attached behind. Start components
 * from the test's own thread only: the signal follows the thread that started the child.
 */
final class ComponentProcess implements AutoCloseable {
  /** Small heaps, one GC thread, no C2: a test starts seven of these next to three brokers. */
  static final List<String> JVM_FLAGS = List.of(
      "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
      "-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  private final String name;
  private final List<String> command;
  private final Path log;
  private volatile Process process;

  private ComponentProcess(String name, List<String> command, Path log) {
    this.name = name;
    this.command = command;
    this.log = log;
  }

  /**
   * Starts {@code prefix... java JVM_FLAGS extraJvmFlags -cp CP Main args...}.
   *
   * @param prefix a command that execs the JVM in another context, e.g. {@code nsenter --net=...}
   */
  static ComponentProcess start(String name, Path log, List<String> prefix, List<String> extraJvmFlags,
      List<String> args) throws IOException {
    List<String> command = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL"));
    command.addAll(prefix);
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(JVM_FLAGS);
    command.addAll(extraJvmFlags);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(args);
    ComponentProcess c = new ComponentProcess(name, List.copyOf(command), log);
    c.launch();
    return c;
  }

  private void launch() throws IOException {
    Files.writeString(log, "=== start " + java.time.Instant.now() + "\n",
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  /** Starts the same command again (after {@link #kill} or {@link #stop}). */
  void restart() throws IOException {
    if (isAlive()) {
      throw new IllegalStateException(name + " still runs");
    }
    launch();
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL, as a crash: no shutdown hook runs, nothing is flushed. Waits until it is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM without waiting (then {@link #stop} waits). */
  void terminate() {
    process.destroy();
  }

  /** SIGTERM (a clean stop), SIGKILL if that takes over a minute. */
  void stop() throws InterruptedException {
    Process p = process;
    if (p.isAlive()) {
      p.destroy();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  /** The last lines of its log, for a failure message. */
  String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  String name() {
    return name;
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}
