package io.ecapture.kafka.processor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code processor}: runs the streams processor until interrupted (Ctrl-C / SIGTERM). */
@Command(
    name = "processor",
    mixinStandardHelpOptions = true,
    description = "Reassembles captured TLS plaintext from ecapture.raw and writes parsed "
        + "messages to ecapture.parsed.")
public final class ProcessorCommand implements Callable<Integer> {
  @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
      description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE})")
  String bootstrap = ProcessorConfig.DEFAULT_BOOTSTRAP;

  @Option(names = "--application-id",
      description = "Kafka Streams application id (default: ${DEFAULT-VALUE})")
  String applicationId = ProcessorConfig.DEFAULT_APPLICATION_ID;

  @Option(names = "--idle-flush-ms",
      description = "flush a direction after this many idle milliseconds (default: ${DEFAULT-VALUE})")
  long idleFlushMs = ProcessorConfig.DEFAULT_IDLE_FLUSH.toMillis();

  @Option(names = "--processing-guarantee",
      description = "exactly_once_v2 or at_least_once (default: ${DEFAULT-VALUE})")
  String processingGuarantee = ProcessorConfig.DEFAULT_PROCESSING_GUARANTEE;

  @Option(names = "--state-dir", description = "state store directory (default: java.io.tmpdir/ecapture-processor)")
  Path stateDir;

  @Option(names = "--streams-property", paramLabel = "KEY=VALUE",
      description = "extra Kafka Streams / client property, repeatable "
          + "(e.g. consumer.session.timeout.ms=6000)")
  java.util.Map<String, String> streamsProperties = new java.util.LinkedHashMap<>();

  /** The config these options describe. */
  ProcessorConfig config() {
    ProcessorConfig config = ProcessorConfig.defaults()
        .withBootstrapServers(bootstrap)
        .withApplicationId(applicationId)
        .withIdleFlush(Duration.ofMillis(idleFlushMs))
        .withProcessingGuarantee(processingGuarantee);
    for (java.util.Map.Entry<String, String> property : streamsProperties.entrySet()) {
      config = config.withStreamsOverride(property.getKey(), property.getValue());
    }
    return stateDir == null ? config : config.withStateDir(stateDir);
  }

  /**
   * Runs until the JVM shuts down (Ctrl-C, SIGTERM) or the calling thread is interrupted; either
   * way the processor is closed cleanly (state flushed, group left) before this returns.
   */
  @Override
  public Integer call() throws Exception {
    StreamsProcessor.Handle handle = StreamsProcessor.start(config());
    CountDownLatch closed = new CountDownLatch(1);
    // closing inside the hook: the JVM waits for hooks, not for this thread
    Thread hook = new Thread(() -> {
      handle.close();
      closed.countDown();
    }, "processor-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      closed.await();
    } catch (InterruptedException e) {
      Runtime.getRuntime().removeShutdownHook(hook);
      handle.close();
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new ProcessorCommand()).execute(args));
  }
}
