package io.ecapture.kafka.processor;

import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Which Kafka Streams / client properties hold secrets, so configs can be logged: every property
 * Kafka itself types as a password ({@code sasl.jaas.config}, {@code ssl.key.password}, {@code
 * ssl.keystore.key}, ...), also behind a client prefix ({@code producer.}, {@code
 * main.consumer.}, ...), and any property whose name says it is one (password, secret, jaas,
 * credential, token), in case a plugin defines its own.
 */
final class SecretConfigs {
  static final String MASK = "***";
  private static final Set<String> PASSWORD_TYPED = passwordTyped();
  private static final String[] CLIENT_PREFIXES = {
    StreamsConfig.MAIN_CONSUMER_PREFIX, StreamsConfig.RESTORE_CONSUMER_PREFIX,
    StreamsConfig.GLOBAL_CONSUMER_PREFIX, StreamsConfig.CONSUMER_PREFIX,
    StreamsConfig.PRODUCER_PREFIX, StreamsConfig.ADMIN_CLIENT_PREFIX
  };
  private static final String[] SECRET_WORDS =
      {"password", "secret", "jaas", "credential", "token"};

  private SecretConfigs() {}

  /** Whether the value of property {@code key} must not be shown. */
  static boolean isSecret(String key) {
    String name = key;
    for (String prefix : CLIENT_PREFIXES) {
      if (name.startsWith(prefix)) {
        name = name.substring(prefix.length());
        break;
      }
    }
    if (PASSWORD_TYPED.contains(name)) {
      return true;
    }
    String lower = key.toLowerCase(Locale.ROOT);
    for (String word : SECRET_WORDS) {
      if (lower.contains(word)) {
        return true;
      }
    }
    return false;
  }

  /** The properties sorted by key, secret values replaced by {@value #MASK}. */
  static Map<String, String> masked(Map<String, String> properties) {
    Map<String, String> out = new TreeMap<>();
    properties.forEach((k, v) -> out.put(k, isSecret(k) ? MASK : v));
    return out;
  }

  private static Set<String> passwordTyped() {
    Set<String> names = new HashSet<>();
    for (ConfigDef def : new ConfigDef[] {StreamsConfig.configDef(), ProducerConfig.configDef(),
        ConsumerConfig.configDef(), AdminClientConfig.configDef()}) {
      def.configKeys().forEach((name, key) -> {
        if (key.type == ConfigDef.Type.PASSWORD) {
          names.add(name);
        }
      });
    }
    return Set.copyOf(names);
  }
}
