package io.ecapture.kafka.launcher;

import io.ecapture.kafka.embedded.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the embedded single-node KRaft broker alone, until interrupted. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = "Run a real single-node KRaft Kafka broker (from the Maven artifacts) until Ctrl-C.")
public final class BrokerCommand implements Callable<Integer> {
  @Option(names = "--data-dir", description = "Broker storage (formatted on first use). Default: ${DEFAULT-VALUE}")
  Path dataDir = Path.of(".ecapture-kafka", "broker");

  @Option(names = "--host", description = "Address to bind and advertise. Default: ${DEFAULT-VALUE}")
  String host = "127.0.0.1";

  @Option(names = "--port", description = "Client port; the controller uses port+1. Default: ${DEFAULT-VALUE}")
  int port = 9092;

  @Option(names = "--ready-file", description = "Written with the bootstrap address once the broker serves clients.")
  Path readyFile;

  @Option(names = "--exit-with-parent", description = "Stop when the process that started this one ends.")
  boolean exitWithParent;

  @Override
  public Integer call() throws Exception {
    EmbeddedKafka kafka =
        EmbeddedKafka.start(new EmbeddedKafka.Settings(dataDir, host, port, port + 1, Map.of()));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  kafka.close();
                  stopped.countDown();
                },
                "broker-shutdown"));
    if (exitWithParent) {
      // a parent killed with SIGKILL cannot stop us, so we watch it instead
      ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> System.exit(0)));
    }
    if (readyFile != null) {
      Path tmp = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
      Files.writeString(tmp, kafka.bootstrapServers());
      Files.move(tmp, readyFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    System.out.println("Kafka broker ready at " + kafka.bootstrapServers() + " (data in " + dataDir.toAbsolutePath() + ")");
    stopped.await();
    return 0;
  }
}
