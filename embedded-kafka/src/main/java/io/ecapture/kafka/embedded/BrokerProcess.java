package io.ecapture.kafka.embedded;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded broker in a child JVM. A fatal broker error then cannot take the collector and the
 * gateway down with it, and stopping the broker (even with SIGKILL) is an honest broker failure.
 *
 * <p>The child never outlives this JVM: it watches its stdin, a pipe only this JVM holds open,
 * and stops when it reads end-of-file, which the kernel delivers as soon as this JVM ends, even
 * by SIGKILL ({@link EmbeddedKafkaMain}). A new start on the same directory first waits (up to
 * {@link #PREDECESSOR_TIMEOUT}) for a broker still running there to let go of Kafka's lock on the
 * log directory, and names its pid (from {@value #PID_FILE}) if it does not.
 *
 * <p>Private data: the child runs under {@code umask 077} and the directory is {@code 0700}, so
 * its log segments (captured plaintext), metadata and {@code broker.log} are its owner's only.
 */
public final class BrokerProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BrokerProcess.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  /** How long a start waits for a previous broker on the same directory to exit. */
  public static final Duration PREDECESSOR_TIMEOUT = Duration.ofSeconds(30);
  /** The running child's pid, in the broker directory. */
  public static final String PID_FILE = "broker.pid";
  /** Kafka's own lock file in a log directory: held by the broker process that uses it. */
  static final String KAFKA_LOCK_FILE = ".lock";
  private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
  // Kafka's use of sun.misc.Unsafe on JDK 25; a bounded heap so a test machine keeps its memory;
  // no concurrent G1 refinement threads: idle, the primary one kept waking (0.1 % of a core) for
  // a heap this small, whose young collections do the refinement instead
  static final List<String> CHILD_JVM_FLAGS =
      List.of("--sun-misc-unsafe-memory-access=allow", "-Xms256m", "-Xmx1g", "-XX:G1ConcRefinementThreads=0");

  /**
   * Environment variable with more JVM options for the child, after its own (a later option
   * wins), split at white space: e.g. {@code -Xmx512m}, or {@code -Decapture.broker.NAME=VALUE}
   * to set a broker property ({@link EmbeddedKafkaMain}).
   */
  public static final String JVM_OPTIONS_ENV = "ECAPTURE_KAFKA_BROKER_JAVA_OPTIONS";

  private final Process process;
  private final String bootstrapServers;
  private final Path logFile;

  private BrokerProcess(Process process, String bootstrapServers, Path logFile) {
    this.process = process;
    this.bootstrapServers = bootstrapServers;
    this.logFile = logFile;
  }

  static List<String> extraJvmOptions(String value) {
    return value == null || value.isBlank() ? List.of() : List.of(value.strip().split("\\s+"));
  }

  /**
   * Starts the child and returns once it serves clients; its output goes to {@code broker.log}.
   *
   * @throws IllegalStateException the broker did not start (its exit status and log named), or
   *     another broker still holds the directory after {@link #PREDECESSOR_TIMEOUT}
   */
  public static BrokerProcess start(Path dataDir, String host, int port, int controllerPort)
      throws IOException {
    privateDirectory(dataDir);
    awaitPredecessor(dataDir);
    Path readyFile = dataDir.resolve("broker.ready");
    Path logFile = dataDir.resolve("broker.log");
    Files.deleteIfExists(readyFile);
    privateFile(logFile);
    List<String> command = new ArrayList<>();
    // umask 077 before the JVM starts: every file the broker creates is its owner's only
    command.addAll(List.of("/bin/sh", "-c", "umask 077 && exec \"$0\" \"$@\""));
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(CHILD_JVM_FLAGS);
    command.addAll(extraJvmOptions(System.getenv(JVM_OPTIONS_ENV)));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(EmbeddedKafkaMain.class.getName());
    command.addAll(
        List.of(dataDir.toString(), host, Integer.toString(port), Integer.toString(controllerPort),
            readyFile.toString()));
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
            .start();
    // stdin stays an open pipe: the child ends when it reads end-of-file (this JVM is gone)
    Path pidFile = dataDir.resolve(PID_FILE);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    try {
      writePrivate(pidFile, Long.toString(process.pid()));
      while (!Files.exists(readyFile)) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "the Kafka broker exited with status " + process.exitValue() + " during start; see " + logFile
                  + logTail(logFile));
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the Kafka broker did not start within " + START_TIMEOUT + "; see " + logFile + logTail(logFile));
        }
        sleep(100);
      }
    } catch (IOException | RuntimeException e) {
      // not started (or interrupted): a half-started child must not linger
      process.destroyForcibly();
      throw e;
    }
    String bootstrap = Files.readString(readyFile).trim();
    LOG.info("Kafka broker (pid {}) ready at {}; log {}", process.pid(), bootstrap, logFile);
    return new BrokerProcess(process, bootstrap, logFile);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Completes when the child has exited, for whatever reason (its own failure, a signal, {@link
   * #close}), with its exit status ({@code 128 + signal} for a signal). No polling: the JDK's
   * process reaper waits for it.
   */
  public CompletableFuture<Integer> onExit() {
    return process.onExit().thenApply(Process::exitValue);
  }

  public Path logFile() {
    return logFile;
  }

  /** Kills the broker at once (SIGKILL), as a crash or a pulled plug would. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }

  /** Asks the broker to shut down cleanly (SIGTERM), then kills it if it does not within 30 s. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        LOG.warn("Kafka broker did not stop within 30 s; killing it");
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits until no process holds Kafka's lock on the log directory under {@code dataDir}: the
   * broker of a process that was killed a moment ago stops on its own (its stdin closed), but
   * needs a moment to let go.
   */
  private static void awaitPredecessor(Path dataDir) throws IOException {
    Path lock = dataDir.resolve(EmbeddedKafka.LOG_DIR).resolve(KAFKA_LOCK_FILE);
    if (!Files.exists(lock)) {
      return;
    }
    long deadline = System.nanoTime() + PREDECESSOR_TIMEOUT.toNanos();
    boolean logged = false;
    while (!lockFree(lock)) {
      String pid = readPid(dataDir);
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the Kafka data in " + dataDir + " is still in use by another broker"
            + (pid == null ? "" : " (pid " + pid + ")") + " after " + PREDECESSOR_TIMEOUT.toSeconds() + " s; stop it first");
      }
      if (!logged) {
        LOG.info("waiting for the previous broker{} on {} to exit", pid == null ? "" : " (pid " + pid + ")", dataDir);
        logged = true;
      }
      sleep(100);
    }
  }

  private static boolean lockFree(Path lock) throws IOException {
    try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
      FileLock held = channel.tryLock();
      if (held == null) {
        return false;
      }
      held.release();
      return true;
    } catch (OverlappingFileLockException e) {
      return false; // a broker in this very JVM holds it
    } catch (java.nio.file.NoSuchFileException e) {
      return true;
    }
  }

  private static String readPid(Path dataDir) {
    try {
      return Files.readString(dataDir.resolve(PID_FILE)).strip();
    } catch (IOException e) {
      return null;
    }
  }

  /** Creates {@code dir} (and missing parents) {@code 0700}; an existing one is set to it. */
  static void privateDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
    }
    Files.setPosixFilePermissions(dir, PRIVATE_DIR);
  }

  /** Creates {@code file} empty and {@code 0600} if missing; an existing one is set to 0600. */
  private static void privateFile(Path file) throws IOException {
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PRIVATE_FILE));
    }
    Files.setPosixFilePermissions(file, PRIVATE_FILE);
  }

  private static void writePrivate(Path file, String text) throws IOException {
    privateFile(file);
    Files.writeString(file, text);
  }

  /** Lines of the log a start error quotes: enough for Kafka's own error and its cause. */
  static final int LOG_TAIL_LINES = 25;

  private static final int LOG_TAIL_BYTES = 16 * 1024;

  /**
   * The last {@link #LOG_TAIL_LINES} lines of a broker's log, for an error about its start, each
   * line indented under a heading; empty if there is no log. A test's broker log lives in a
   * temporary directory that is gone by the time anyone reads the report, so a start failure
   * carries its own evidence. Kafka masks password configs in what it logs.
   */
  static String logTail(Path logFile) {
    byte[] bytes;
    try (FileChannel channel = FileChannel.open(logFile, StandardOpenOption.READ)) {
      long size = channel.size();
      long from = Math.max(0, size - LOG_TAIL_BYTES);
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate((int) (size - from));
      while (buffer.hasRemaining() && channel.read(buffer, from + buffer.position()) > 0) {
        // read to the end
      }
      bytes = java.util.Arrays.copyOf(buffer.array(), buffer.position());
    } catch (IOException e) {
      return "";
    }
    List<String> lines = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).lines().toList();
    if (lines.isEmpty()) {
      return "";
    }
    StringBuilder tail = new StringBuilder("; its last lines:");
    for (String line : lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size())) {
      tail.append("\n    ").append(line);
    }
    return tail.toString();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the broker", e);
    }
  }
}
