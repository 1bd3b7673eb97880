package io.ecapture.kafka.collector.sink;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Where and as whom the Kafka sinks produce.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param hostId this host's id: the producer's client id suffix and the key of logs and key-log lines
 * @param overrides extra producer properties, applied over the sink's defaults; may hold secrets
 *     ({@code sasl.jaas.config}, {@code ssl.key.password}...), which {@link #toString()} masks
 */
public record ProducerSettings(String bootstrapServers, String hostId, Map<String, Object> overrides) {
  private static final String MASK = "***";

  public ProducerSettings {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(hostId, "hostId");
    overrides = Map.copyOf(overrides);
  }

  /** These settings with {@code defaults} under the overrides (an override still wins). */
  public ProducerSettings withDefaults(Map<String, Object> defaults) {
    Map<String, Object> merged = new HashMap<>(defaults);
    merged.putAll(overrides);
    return new ProducerSettings(bootstrapServers, hostId, merged);
  }

  @Override
  public String toString() {
    return "ProducerSettings[bootstrapServers=" + bootstrapServers + ", hostId=" + hostId
        + ", overrides=" + redacted(overrides) + "]";
  }

  /** Producer properties for logs: sorted, every secret's value replaced by {@code ***}. */
  public static Map<String, Object> redacted(Map<String, ?> properties) {
    Map<String, Object> shown = new TreeMap<>();
    properties.forEach((key, value) -> shown.put(key, isSecret(key) ? MASK : value));
    return shown;
  }

  /**
   * Whether a Kafka client property may hold a secret: JAAS configurations, passwords, keys and
   * key stores' contents, tokens and credentials (by name, so future properties are covered).
   */
  public static boolean isSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("password") || k.contains("jaas") || k.contains("secret") || k.contains("token")
        || k.contains("credential") || k.endsWith(".key") || k.contains("keystore.key")
        || k.contains("certificate.chain") || k.contains("certificates");
  }
}
