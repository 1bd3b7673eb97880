package io.ecapture.kafka.launcher;

import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.proto.Topic;
import io.ecapture.kafka.proto.Topics;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Creates the pipeline's topics on an external cluster. */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = "Create the pipeline's topics (ecapture.raw, .parsed, .logs, .dlq, .keylog) if missing.")
public final class TopicsCommand implements Callable<Integer> {
  @Option(names = "--bootstrap", description = "Kafka bootstrap servers. Default: ${DEFAULT-VALUE}")
  String bootstrap = FleetConfig.DEFAULT_BOOTSTRAP;

  @Option(names = "--partitions", description = "Partitions per topic. Default: ${DEFAULT-VALUE}")
  int partitions = TopicSetup.DEFAULT_PARTITIONS;

  @Option(names = "--replication-factor", description = "Replicas per partition. Default: ${DEFAULT-VALUE}")
  short replicationFactor = TopicSetup.DEFAULT_REPLICATION_FACTOR;

  @Override
  public Integer call() {
    List<String> created = TopicSetup.ensureTopics(bootstrap, partitions, replicationFactor);
    for (Topic<?, ?> topic : Topics.ALL) {
      System.out.println(
          (created.contains(topic.name()) ? "created  " : "existing ") + topic.name());
    }
    return 0;
  }
}
