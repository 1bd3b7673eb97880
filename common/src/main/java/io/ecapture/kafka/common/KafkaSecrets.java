package io.ecapture.kafka.common;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Which Kafka client properties hold secrets, so configurations can be logged and shown in
 * {@code /status} and {@code toString}: every property Kafka itself types as a password ({@code
 * sasl.jaas.config}, {@code ssl.key.password}, {@code ssl.keystore.key}, ...), also behind a Kafka
 * Streams client prefix ({@code producer.}, {@code main.consumer.}, ...), and any property whose
 * name says it is one (password, secret, jaas, credential, token, a key or key store content), so
 * a plugin's own properties are covered too.
 */
public final class KafkaSecrets {
  /** What is shown instead of a secret value. */
  public static final String MASK = "***";

  private static final Set<String> PASSWORD_TYPED = passwordTyped();
  /** Kafka Streams' prefixes for the properties of its clients (StreamsConfig's constants). */
  private static final List<String> CLIENT_PREFIXES = List.of("main.consumer.",
      "restore.consumer.", "global.consumer.", "consumer.", "producer.", "admin.");
  private static final List<String> SECRET_WORDS =
      List.of("password", "secret", "jaas", "credential", "token");

  private KafkaSecrets() {}

  /** Whether the value of Kafka client property {@code key} must not be shown. */
  public static boolean isSecret(String key) {
    String name = key;
    for (String prefix : CLIENT_PREFIXES) {
      if (name.startsWith(prefix)) {
        name = name.substring(prefix.length());
        break;
      }
    }
    if (PASSWORD_TYPED.contains(name) || looksSecret(key)) {
      return true;
    }
    String lower = key.toLowerCase(Locale.ROOT);
    return lower.endsWith(".key") || lower.contains("keystore.key");
  }

  /** Whether a setting's name (a config component, a header) says it holds a secret. */
  public static boolean looksSecret(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return SECRET_WORDS.stream().anyMatch(lower::contains);
  }

  /** The properties sorted by key, every secret value replaced by {@link #MASK}. */
  public static Map<String, Object> masked(Map<String, ?> properties) {
    Map<String, Object> shown = new TreeMap<>();
    properties.forEach((key, value) -> shown.put(key, isSecret(key) ? MASK : value));
    return shown;
  }

  private static Set<String> passwordTyped() {
    Set<String> names = new HashSet<>();
    for (ConfigDef def : List.of(ProducerConfig.configDef(), ConsumerConfig.configDef(),
        AdminClientConfig.configDef())) {
      def.configKeys().forEach((name, key) -> {
        if (key.type == ConfigDef.Type.PASSWORD) {
          names.add(name);
        }
      });
    }
    return Set.copyOf(names);
  }
}
