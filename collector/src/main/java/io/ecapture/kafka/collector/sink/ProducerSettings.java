package io.ecapture.kafka.collector.sink;

import io.ecapture.kafka.common.KafkaSecrets;
import io.ecapture.kafka.common.TopicNames;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where and as whom the Kafka sinks produce.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param hostId this host's id: the producer's client id suffix and the key of logs and key-log lines
 * @param overrides extra producer properties, applied over the sink's defaults; may hold secrets
 *     ({@code sasl.jaas.config}, {@code ssl.key.password}...), which {@link #toString()} masks
 * @param topics the names of the topics produced to ({@code --topic-prefix})
 */
public record ProducerSettings(String bootstrapServers, String hostId, Map<String, Object> overrides,
    TopicNames topics) {

  public ProducerSettings {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(hostId, "hostId");
    overrides = Map.copyOf(overrides);
    Objects.requireNonNull(topics, "topics");
  }

  /** With the contract's topic names. */
  public ProducerSettings(String bootstrapServers, String hostId, Map<String, Object> overrides) {
    this(bootstrapServers, hostId, overrides, TopicNames.DEFAULT);
  }

  /** These settings with {@code defaults} under the overrides (an override still wins). */
  public ProducerSettings withDefaults(Map<String, Object> defaults) {
    Map<String, Object> merged = new HashMap<>(defaults);
    merged.putAll(overrides);
    return new ProducerSettings(bootstrapServers, hostId, merged, topics);
  }

  @Override
  public String toString() {
    return "ProducerSettings[bootstrapServers=" + bootstrapServers + ", hostId=" + hostId
        + ", overrides=" + redacted(overrides) + ", topics=" + topics + "]";
  }

  /** Producer properties for logs: sorted, every secret's value replaced by {@code ***}. */
  public static Map<String, Object> redacted(Map<String, ?> properties) {
    return KafkaSecrets.masked(properties);
  }
}
