package io.ecapture.kafka.common;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * The Kafka client options every command takes, as a picocli mixin ({@code @Mixin
 * KafkaClientOptions kafka = new KafkaClientOptions();}): {@code --command-config FILE} (a
 * properties file, as Kafka's own tools take: {@code security.protocol}, {@code sasl.*}, {@code
 * ssl.*}) and {@code --kafka-property KEY=VALUE} (repeatable, wins over the file). The file's
 * path defaults to {@value #ENV_COMMAND_CONFIG}; commands default their {@code --bootstrap} to
 * {@link #defaultBootstrap(String)} ({@value #ENV_BOOTSTRAP}). Both names are part of the
 * deployment contract (Kubernetes manifests, compose): never rename them.
 *
 * <p>Secrets belong in the file (or in a mounted Secret the file points to), not on the command
 * line, which every user of the host sees in {@code ps}: {@link #properties(PrintStream)} warns
 * once per secret given with {@code --kafka-property}.
 */
public final class KafkaClientOptions {
  /** Environment variable: the default of every command's {@code --bootstrap}. */
  public static final String ENV_BOOTSTRAP = "ECAPTURE_KAFKA_BOOTSTRAP";
  /** Environment variable: the default of {@code --command-config}. */
  public static final String ENV_COMMAND_CONFIG = "ECAPTURE_KAFKA_COMMAND_CONFIG";
  /** Environment variable: the default of {@code --topic-prefix}. */
  public static final String ENV_TOPIC_PREFIX = "ECAPTURE_KAFKA_TOPIC_PREFIX";

  @Option(names = "--command-config", paramLabel = "FILE",
      description = "Kafka client properties file (security.protocol, sasl.mechanism, sasl.jaas.config, "
          + "ssl.truststore.*), as Kafka's own tools take; secrets belong here. Default: $"
          + ENV_COMMAND_CONFIG + ", else none.")
  Path commandConfig;

  @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
      description = "A Kafka client property, repeatable; wins over --command-config. Not for secrets "
          + "(command lines are visible to every user of the host).")
  Map<String, String> kafkaProperties = new LinkedHashMap<>();

  @Option(names = "--topic-prefix", paramLabel = "PREFIX",
      description = "Put every pipeline topic under this prefix (team-a. gives team-a.ecapture.raw ...); the same on "
          + "every component of one pipeline. Default: $" + ENV_TOPIC_PREFIX + ", else none.")
  String topicPrefix;

  public KafkaClientOptions() {
    this(System::getenv);
  }

  /** With another environment (tests). */
  public KafkaClientOptions(Function<String, String> env) {
    String file = env.apply(ENV_COMMAND_CONFIG);
    this.commandConfig = file == null || file.isBlank() ? null : Path.of(file.strip());
    String prefix = env.apply(ENV_TOPIC_PREFIX);
    this.topicPrefix = prefix == null ? "" : prefix.strip();
  }

  /**
   * {@code fallback} unless {@value #ENV_BOOTSTRAP} is set: the default of a command's {@code
   * --bootstrap}.
   */
  public static String defaultBootstrap(String fallback) {
    return defaultBootstrap(System::getenv, fallback);
  }

  static String defaultBootstrap(Function<String, String> env, String fallback) {
    String value = env.apply(ENV_BOOTSTRAP);
    return value == null || value.isBlank() ? fallback : value.strip();
  }

  /** The properties file in effect (the option, else the environment), or null. */
  public Path commandConfig() {
    return commandConfig;
  }

  /**
   * The file's properties with {@code --kafka-property} on top.
   *
   * @throws IllegalArgumentException the file cannot be read (a usage error: exit 2)
   */
  public Map<String, String> properties() {
    return KafkaClientProperties.load(commandConfig, kafkaProperties);
  }

  /**
   * The pipeline's topic names ({@code --topic-prefix}).
   *
   * @throws IllegalArgumentException the prefix makes an invalid topic name (a usage error)
   */
  public TopicNames topics() {
    return TopicNames.withPrefix(topicPrefix);
  }

  /** Like {@link #properties()}, warning on {@code err} about each secret given on the command line. */
  public Map<String, String> properties(PrintStream err) {
    kafkaProperties.keySet().stream().filter(KafkaSecrets::isSecret).sorted().forEach(key ->
        err.println("warning: --kafka-property " + key + " holds a secret and is visible in ps; put it in "
            + "--command-config FILE (or $" + ENV_COMMAND_CONFIG + ") instead"));
    return properties();
  }

  /** Masked, for logs. */
  @Override
  public String toString() {
    return "KafkaClientOptions[commandConfig=" + commandConfig + ", kafkaProperties="
        + KafkaSecrets.masked(kafkaProperties) + ", topicPrefix=" + topicPrefix + "]";
  }
}
