package io.ecapture.kafka.embedded;

import java.nio.file.Path;
import java.util.Map;

/**
 * Entry point of the child JVM that {@link BrokerProcess} starts:
 * DATA_DIR HOST PORT CONTROLLER_PORT READY_FILE.
 */
public final class EmbeddedKafkaMain {
  private EmbeddedKafkaMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println("usage: EmbeddedKafkaMain DATA_DIR HOST PORT CONTROLLER_PORT READY_FILE");
      System.exit(2);
    }
    EmbeddedKafka.runUntilStopped(
        new EmbeddedKafka.Settings(
            Path.of(args[0]), args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), Map.of()),
        Path.of(args[4]),
        true);
  }
}
