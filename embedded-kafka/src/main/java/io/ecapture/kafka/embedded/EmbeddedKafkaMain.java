package io.ecapture.kafka.embedded;

import java.nio.file.Path;
import java.util.Map;

/** Entry point of the child JVM that {@link BrokerProcess} starts: DATA_DIR HOST PORT READY_FILE. */
public final class EmbeddedKafkaMain {
  private EmbeddedKafkaMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: EmbeddedKafkaMain DATA_DIR HOST PORT READY_FILE");
      System.exit(2);
    }
    int port = Integer.parseInt(args[2]);
    EmbeddedKafka.runUntilStopped(
        new EmbeddedKafka.Settings(Path.of(args[0]), args[1], port, port + 1, Map.of()),
        Path.of(args[3]),
        true);
  }
}
