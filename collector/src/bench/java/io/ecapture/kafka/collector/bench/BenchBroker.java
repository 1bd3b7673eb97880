package io.ecapture.kafka.collector.bench;

import io.ecapture.kafka.embedded.BrokerProcess;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.common.TopicSetup;
import java.nio.file.Path;

/**
 * Benchmark helper (bench/collector-overhead.sh, not a test): runs a real broker in a child JVM
 * with every pipeline topic, prints its bootstrap address, and stops it when stdin closes.
 */
public final class BenchBroker {
  private BenchBroker() {}

  public static void main(String[] args) throws Exception {
    // both ports checked free: a controller on port + 1 could collide with a client's socket
    int port = EmbeddedKafka.freePort();
    int controllerPort = EmbeddedKafka.freePort();
    try (BrokerProcess broker = BrokerProcess.start(Path.of(args[0]), "127.0.0.1", port, controllerPort)) {
      TopicSetup.ensureTopics(broker.bootstrapServers(), 3);
      System.out.println(broker.bootstrapServers());
      System.out.flush();
      System.in.readAllBytes(); // until the script closes our stdin
    }
  }
}
