package io.ecapture.kafka.launcher;

import io.ecapture.kafka.embedded.EmbeddedKafka;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the embedded single-node KRaft broker alone, until interrupted. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {
      "Run a real single-node KRaft Kafka broker (from the Maven artifacts) until Ctrl-C.",
      "Its data is its owner's only (umask 077: log segments hold captured plaintext)."
    })
public final class BrokerCommand implements Callable<Integer> {
  @Option(names = "--data-dir", description = "Broker storage (formatted on first use). Default: ${DEFAULT-VALUE}")
  Path dataDir = Path.of(".ecapture-kafka", "broker");

  @Option(names = "--host", description = "Address to bind and advertise. Default: ${DEFAULT-VALUE}")
  String host = "127.0.0.1";

  @Option(names = "--port", description = "Client port; the controller uses port+1. Default: ${DEFAULT-VALUE}")
  int port = FleetConfig.DEFAULT_KAFKA_PORT;

  @Option(names = "--ready-file", description = "Written with the bootstrap address once the broker serves clients.")
  Path readyFile;

  @Option(names = "--exit-with-parent", description = "Stop when the process that started this one ends.")
  boolean exitWithParent;

  @Override
  public Integer call() throws Exception {
    ProcessUmask.set(ProcessUmask.PRIVATE);
    EmbeddedKafka.runUntilStopped(
        new EmbeddedKafka.Settings(dataDir, host, port, port + 1, Map.of()), readyFile, exitWithParent);
    return 0;
  }
}
