package io.ecapture.kafka.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded broker in a child JVM. A fatal broker error then cannot take the collector and the
 * gateway down with it, and stopping the broker (even with SIGKILL) is an honest broker failure.
 */
public final class BrokerProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BrokerProcess.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  // Kafka's use of sun.misc.Unsafe on JDK 25; a bounded heap so a test machine keeps its memory
  private static final List<String> CHILD_JVM_FLAGS =
      List.of("--sun-misc-unsafe-memory-access=allow", "-Xms256m", "-Xmx1g");

  private final Process process;
  private final String bootstrapServers;
  private final Path logFile;

  private BrokerProcess(Process process, String bootstrapServers, Path logFile) {
    this.process = process;
    this.bootstrapServers = bootstrapServers;
    this.logFile = logFile;
  }

  /** A child broker whose controller listens on {@code port + 1}. */
  public static BrokerProcess start(Path dataDir, String host, int port) throws IOException {
    return start(dataDir, host, port, port + 1);
  }

  /** Starts the child and returns once it serves clients; its output goes to {@code broker.log}. */
  public static BrokerProcess start(Path dataDir, String host, int port, int controllerPort)
      throws IOException {
    Files.createDirectories(dataDir);
    Path readyFile = dataDir.resolve("broker.ready");
    Path logFile = dataDir.resolve("broker.log");
    Files.deleteIfExists(readyFile);
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(CHILD_JVM_FLAGS);
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
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!Files.exists(readyFile)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "the Kafka broker exited with status " + process.exitValue() + " during start; see " + logFile);
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("the Kafka broker did not start within " + START_TIMEOUT + "; see " + logFile);
      }
      sleep(100);
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

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the broker", e);
    }
  }
}
