package io.ecapture.kafka.launcher;

import io.ecapture.kafka.common.KafkaClientOptions;
import io.ecapture.kafka.common.KafkaPreflight;
import io.ecapture.kafka.common.TopicLayout;
import io.ecapture.kafka.common.TopicSetup;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Creates the pipeline's topics on an external cluster, laid out for the cluster it finds (see
 * {@link TopicLayout}). Exit 0 when every topic exists afterwards, 1 with one line saying why
 * when the cluster refuses or cannot be reached, 2 for a usage error.
 */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = {
      "Create the pipeline's topics (ecapture.raw, .parsed, .logs, .dlq, .keylog) if missing.",
      "Replication suits the cluster found unless told: 1 broker -> 1 replica, min.insync.replicas 1;",
      "2 brokers -> 2 and 1; 3 or more -> 3 and 2. Existing topics are kept as they are."
    })
public final class TopicsCommand implements Callable<Integer> {
  @Option(names = "--bootstrap", description = "Kafka bootstrap servers. Default: $ECAPTURE_KAFKA_BOOTSTRAP, else ${DEFAULT-VALUE}")
  String bootstrap = KafkaClientOptions.defaultBootstrap(FleetConfig.DEFAULT_BOOTSTRAP);

  /** --command-config FILE, --kafka-property KEY=VALUE. */
  @Mixin
  KafkaClientOptions kafka = new KafkaClientOptions();

  @Option(names = "--partitions", description = "Partitions per topic. Default: ${DEFAULT-VALUE}")
  int partitions = TopicSetup.DEFAULT_PARTITIONS;

  @Option(names = "--replication-factor", description = "Replicas per partition; 0 = suited to the cluster. Default: ${DEFAULT-VALUE}")
  short replicationFactor = TopicLayout.AUTO;

  @Option(names = "--min-insync-replicas", description = "min.insync.replicas of each topic; 0 = suited to the replication. Default: ${DEFAULT-VALUE}")
  int minInsyncReplicas = TopicLayout.AUTO;

  @Override
  public Integer call() {
    TopicLayout layout;
    Map<String, String> properties;
    io.ecapture.kafka.common.TopicNames names;
    try {
      layout = new TopicLayout(partitions, replicationFactor, minInsyncReplicas);
      names = kafka.topics();
      properties = kafka.properties(System.err);
    } catch (IllegalArgumentException e) {
      System.err.println("topics: " + e.getMessage());
      return CommandLine.ExitCode.USAGE;
    }
    if (!KafkaPreflight.atStart("topics", bootstrap, properties, System.err)) {
      return 1;
    }
    TopicSetup.Result result;
    try {
      result = TopicSetup.ensure(bootstrap, properties, layout, names);
    } catch (IllegalStateException | IllegalArgumentException e) {
      System.err.println("topics: " + e.getMessage());
      return 1;
    }
    for (String topic : names.all()) {
      System.out.println((result.created().contains(topic) ? "created  " : "existing ") + topic);
    }
    if (!result.created().isEmpty()) {
      System.out.println("new topics: " + result.layout() + " (the cluster has " + result.brokers() + " brokers)");
    }
    return 0;
  }
}
