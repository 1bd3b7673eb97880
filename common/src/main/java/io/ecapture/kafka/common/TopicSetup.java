package io.ecapture.kafka.common;

import io.ecapture.kafka.proto.Topic;
import io.ecapture.kafka.proto.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates the pipeline's topics on any cluster (embedded or external); existing ones are kept. */
public final class TopicSetup {
  /** Partitions of every pipeline topic unless the operator says otherwise. */
  public static final int DEFAULT_PARTITIONS = 4;
  /** Replicas per partition unless the operator says otherwise (a single-node broker has one). */
  public static final short DEFAULT_REPLICATION_FACTOR = 1;

  private TopicSetup() {}

  /** Every topic of {@link Topics#ALL} with the given partition count and the default replication. */
  public static List<String> ensureTopics(String bootstrapServers, int partitions) {
    return ensureTopics(bootstrapServers, partitions, DEFAULT_REPLICATION_FACTOR);
  }

  /**
   * Creates every topic of {@link Topics#ALL} that does not exist yet.
   *
   * @return the names of the topics this call created
   */
  public static List<String> ensureTopics(
      String bootstrapServers, int partitions, short replicationFactor) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    try (Admin admin = Admin.create(p)) {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> wanted = new ArrayList<>();
      for (Topic<?, ?> topic : Topics.ALL) {
        if (!existing.contains(topic.name())) {
          wanted.add(
              new NewTopic(topic.name(), partitions, replicationFactor).configs(configFor(topic)));
        }
      }
      List<String> created = new ArrayList<>();
      for (NewTopic topic : wanted) {
        try {
          admin.createTopics(List.of(topic)).all().get();
          created.add(topic.name());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + topic.name(), e.getCause());
          }
        }
      }
      awaitVisible(admin);
      return created;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot list topics at " + bootstrapServers + ": " + e.getCause(), e.getCause());
    }
  }

  // The controller acknowledges a creation before every broker's metadata shows it; clients
  // started right after (the processor checks its source topics) must see all of them.
  private static void awaitVisible(Admin admin) throws InterruptedException, ExecutionException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      Set<String> names = admin.listTopics().names().get();
      List<String> missing =
          Topics.ALL.stream().map(Topic::name).filter(n -> !names.contains(n)).toList();
      if (missing.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("topics created but not visible after 30 s: " + missing);
      }
      Thread.sleep(50);
    }
  }

  private static Map<String, String> configFor(Topic<?, ?> topic) {
    // producers compress; the broker keeps what they send instead of recompressing
    return Map.of("compression.type", "producer");
  }
}
