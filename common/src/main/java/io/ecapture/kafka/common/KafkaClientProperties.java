package io.ecapture.kafka.common;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Kafka client settings as Kafka's own tools take them: a properties file ({@code
 * --command-config}) with single properties on top ({@code --kafka-property}), the latter winning.
 * The result applies to every client of a component (producer, consumer, admin; Kafka Streams
 * passes unprefixed properties to all of its clients). Values may be secrets: show them only
 * through {@link #describe} ({@link KafkaSecrets}).
 */
public final class KafkaClientProperties {
  private KafkaClientProperties() {}

  /**
   * The properties of {@code file} (none when null), then {@code overrides}.
   *
   * @throws IllegalArgumentException the file cannot be read (its path and the reason named,
   *     never its content)
   */
  public static Map<String, String> load(Path file, Map<String, String> overrides) {
    Map<String, String> merged = new LinkedHashMap<>();
    if (file != null) {
      Properties p = new Properties();
      try (Reader in = Files.newBufferedReader(file)) {
        p.load(in);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot read Kafka client properties file " + file + ": " + e, e);
      } catch (IllegalArgumentException e) { // a malformed \\uXXXX escape
        throw new IllegalArgumentException(
            "malformed Kafka client properties file " + file + ": " + e.getMessage(), e);
      }
      new TreeMap<>(p).forEach((k, v) -> merged.put(k.toString().strip(), v.toString().strip()));
    }
    overrides.forEach((k, v) -> merged.put(k.strip(), v));
    return merged;
  }

  /**
   * The properties an admin client understands: Kafka Streams' {@code admin.} prefix removed,
   * other prefixed or producer/consumer-only keys left out (an admin client warns about each
   * property it does not use).
   */
  public static Map<String, Object> forAdmin(Map<String, ?> properties) {
    Set<String> known = AdminClientConfig.configNames();
    Map<String, Object> admin = new LinkedHashMap<>();
    properties.forEach((key, value) -> {
      if (known.contains(key)) {
        admin.putIfAbsent(key, value);
      }
    });
    properties.forEach((key, value) -> {
      if (key.startsWith("admin.") && known.contains(key.substring(6))) {
        admin.put(key.substring(6), value);
      }
    });
    return admin;
  }

  /**
   * The properties a producer understands, Kafka Streams' {@code producer.} prefix removed (for a
   * component's own side producer, e.g. its process log).
   */
  public static Map<String, Object> forProducer(Map<String, ?> properties) {
    Set<String> known = ProducerConfig.configNames();
    Map<String, Object> producer = new LinkedHashMap<>();
    properties.forEach((key, value) -> {
      if (known.contains(key)) {
        producer.putIfAbsent(key, value);
      }
    });
    properties.forEach((key, value) -> {
      if (key.startsWith("producer.") && known.contains(key.substring(9))) {
        producer.put(key.substring(9), value);
      }
    });
    return producer;
  }

  /** For logs and status: sorted, secrets masked ({@link KafkaSecrets#masked}). */
  public static String describe(Map<String, ?> properties) {
    return KafkaSecrets.masked(properties).toString();
  }
}
