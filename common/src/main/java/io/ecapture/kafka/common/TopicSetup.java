package io.ecapture.kafka.common;

import io.ecapture.kafka.proto.Topic;
import io.ecapture.kafka.proto.Topics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the pipeline's topics on any cluster (embedded or external); existing ones are kept.
 *
 * <p>Record sizes: {@code ecapture.parsed} accepts records of up to {@link
 * #PARSED_MAX_MESSAGE_BYTES} (a message of the processor's default limits, an 8 MiB body with its
 * decoded form and display text, fits with room), {@code ecapture.raw} and {@code ecapture.dlq}
 * up to {@link #RAW_MAX_MESSAGE_BYTES} (batches of raw records of at most 16 KiB of payload each).
 * An existing topic whose {@code max.message.bytes} is lower (created by an older version, or by
 * hand) is raised to these; a higher one is never lowered.
 */
public final class TopicSetup {
  private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);
  /** {@code max.message.bytes} of {@code ecapture.parsed} (Kafka's default is 1 MiB). */
  public static final int PARSED_MAX_MESSAGE_BYTES = 64 << 20;
  /**
   * {@code max.message.bytes} of {@code ecapture.raw} and {@code ecapture.dlq}, also the
   * collector producer's {@code max.request.size}: a raw record carries at most 16 KiB of
   * payload, so this bounds a batch, not a record.
   */
  public static final int RAW_MAX_MESSAGE_BYTES = 4 << 20;
  /** Partitions of every pipeline topic unless the operator says otherwise. */
  public static final int DEFAULT_PARTITIONS = 4;
  /**
   * Replicas per partition of {@link #ensureTopics(String, int)} (a single-node broker has one);
   * {@link #ensure} with {@link TopicLayout#defaults()} chooses from the cluster instead.
   */
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
    return ensure(bootstrapServers, Map.of(),
        new TopicLayout(partitions, replicationFactor, TopicLayout.AUTO)).created();
  }

  /**
   * What {@link #ensure} did.
   *
   * @param created the topics this call created (the others existed)
   * @param layout the layout new topics got, resolved for the cluster found
   * @param brokers the brokers the cluster has
   */
  public record Result(List<String> created, TopicLayout layout, int brokers) {}

  /**
   * Creates every topic of {@link Topics#ALL} that does not exist yet with {@code layout}, its
   * replication chosen from the brokers the cluster has where it says auto ({@link
   * TopicLayout#resolve}); raises {@code max.message.bytes} of existing ones where needed.
   * Existing topics keep their partitions, replication and {@code min.insync.replicas}.
   *
   * @param clientProperties Kafka client settings (security...): {@code --command-config}
   * @throws IllegalStateException the cluster cannot be reached or refused; the message says why
   * @throws IllegalArgumentException the layout does not fit the cluster (more replicas than
   *     brokers)
   */
  public static Result ensure(String bootstrapServers, Map<String, ?> clientProperties, TopicLayout layout) {
    return ensure(bootstrapServers, clientProperties, layout, TopicNames.DEFAULT);
  }

  /** {@link #ensure(String, Map, TopicLayout)} for the topics of {@code names}. */
  public static Result ensure(String bootstrapServers, Map<String, ?> clientProperties, TopicLayout layout,
      TopicNames names) {
    try (Admin admin = Admin.create(adminProperties(bootstrapServers, clientProperties))) {
      int brokers = admin.describeCluster().nodes().get().size();
      TopicLayout resolved = layout.resolve(brokers);
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> wanted = new ArrayList<>();
      for (Topic<?, ?> topic : Topics.ALL) {
        if (!existing.contains(names.nameOf(topic))) {
          Map<String, String> config = configFor(topic);
          config.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(resolved.minInsyncReplicas()));
          wanted.add(new NewTopic(names.nameOf(topic), resolved.partitions(), resolved.replicationFactor())
              .configs(config));
        }
      }
      List<String> created = new ArrayList<>();
      Map<String, Integer> toRaise = new HashMap<>();
      for (Topic<?, ?> topic : Topics.ALL) {
        if (existing.contains(names.nameOf(topic)) && maxMessageBytes(topic) > 0) {
          toRaise.put(names.nameOf(topic), maxMessageBytes(topic));
        }
      }
      raiseMaxMessageBytes(admin, toRaise);
      for (NewTopic topic : wanted) {
        try {
          admin.createTopics(List.of(topic)).all().get();
          created.add(topic.name());
          LOG.info("created topic {} ({})", topic.name(), resolved);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + topic.name() + ": "
                + KafkaPreflight.classify(bootstrapServers, clientProperties, e.getCause(),
                    KafkaPreflight.DEFAULT_TIMEOUT).getMessage(), e.getCause());
          }
        }
      }
      awaitVisible(admin, names);
      return new Result(created, resolved, brokers);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(KafkaPreflight.classify(bootstrapServers, clientProperties,
          e.getCause(), KafkaPreflight.DEFAULT_TIMEOUT).getMessage(), e.getCause());
    }
  }

  private static Properties adminProperties(String bootstrapServers, Map<String, ?> clientProperties) {
    Properties p = new Properties();
    p.putAll(KafkaClientProperties.forAdmin(clientProperties));
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    return p;
  }

  // The controller acknowledges a creation before every broker's metadata shows it; clients
  // started right after (the processor checks its source topics) must see all of them.
  private static void awaitVisible(Admin admin, TopicNames topics) throws InterruptedException, ExecutionException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      Set<String> names = admin.listTopics().names().get();
      List<String> missing =
          topics.all().stream().filter(n -> !names.contains(n)).toList();
      if (missing.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("topics created but not visible after 30 s: " + missing);
      }
      Thread.sleep(50);
    }
  }

  /**
   * The {@code max.message.bytes} this class gives {@code topic}, or 0 for the broker's default
   * (logs and key logs: lines).
   */
  public static int maxMessageBytes(Topic<?, ?> topic) {
    if (topic == Topics.PARSED) {
      return PARSED_MAX_MESSAGE_BYTES;
    }
    return topic == Topics.RAW || topic == Topics.DLQ ? RAW_MAX_MESSAGE_BYTES : 0;
  }

  /**
   * Raises {@code max.message.bytes} of an existing topic to at least {@code bytes} (never lowers
   * it). For a component whose limits make records larger than the defaults above, e.g. the
   * processor with a larger body limit, and for its own internal topics.
   *
   * @return true when the topic's setting was changed; false when it was high enough
   * @throws IllegalStateException the topic does not exist, or the cluster refused (e.g. no
   *     ALTER_CONFIGS permission)
   */
  public static boolean raiseMaxMessageBytes(String bootstrapServers, String topic, int bytes) {
    return raiseMaxMessageBytes(bootstrapServers, Map.of(), topic, bytes);
  }

  /** {@link #raiseMaxMessageBytes(String, String, int)} with Kafka client settings (security...). */
  public static boolean raiseMaxMessageBytes(
      String bootstrapServers, Map<String, ?> clientProperties, String topic, int bytes) {
    try (Admin admin = Admin.create(adminProperties(bootstrapServers, clientProperties))) {
      return !raiseMaxMessageBytes(admin, Map.of(topic, bytes)).isEmpty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while configuring " + topic, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot raise max.message.bytes of " + topic + ": " + e.getCause(), e.getCause());
    }
  }

  /** The topics among {@code wanted} (name to bytes) whose setting was raised. */
  private static List<String> raiseMaxMessageBytes(Admin admin, Map<String, Integer> wanted)
      throws InterruptedException, ExecutionException {
    if (wanted.isEmpty()) {
      return List.of();
    }
    List<ConfigResource> resources = wanted.keySet().stream()
        .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList();
    Map<ConfigResource, Config> current = admin.describeConfigs(resources).all().get();
    Map<ConfigResource, Collection<AlterConfigOp>> changes = new HashMap<>();
    List<String> raised = new ArrayList<>();
    for (ConfigResource resource : resources) {
      int want = wanted.get(resource.name());
      ConfigEntry entry = current.get(resource).get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
      long have = entry == null || entry.value() == null ? 0 : Long.parseLong(entry.value());
      if (have < want) {
        LOG.info("raising max.message.bytes of {} from {} to {}", resource.name(), have, want);
        changes.put(resource, List.of(new AlterConfigOp(
            new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(want)),
            AlterConfigOp.OpType.SET)));
        raised.add(resource.name());
      }
    }
    if (!changes.isEmpty()) {
      admin.incrementalAlterConfigs(changes).all().get();
    }
    return raised;
  }

  private static Map<String, String> configFor(Topic<?, ?> topic) {
    // producers compress; the broker keeps what they send instead of recompressing
    Map<String, String> config = new HashMap<>();
    config.put(TopicConfig.COMPRESSION_TYPE_CONFIG, "producer");
    if (maxMessageBytes(topic) > 0) {
      config.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxMessageBytes(topic)));
    }
    return config;
  }
}
