package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class KafkaClientOptionsTest {
  private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required "
      + "username=\"alice\" password=\"s3cret-value\";";

  @TempDir Path dir;

  @Command(name = "any")
  static final class AnyCommand {
    @Mixin KafkaClientOptions kafka;

    AnyCommand(KafkaClientOptions kafka) {
      this.kafka = kafka;
    }
  }

  private static KafkaClientOptions parse(Map<String, String> env, String... args) {
    AnyCommand command = new AnyCommand(new KafkaClientOptions(env::get));
    new CommandLine(command).parseArgs(args);
    return command.kafka;
  }

  @Test
  void commandLinePropertiesWinOverTheFile() throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"
        + "sasl.jaas.config=" + JAAS + "\nlinger.ms=5\n");
    KafkaClientOptions options = parse(Map.of(), "--command-config", file.toString(),
        "--kafka-property", "linger.ms=50", "--kafka-property", "client.rack=rack-a");
    Map<String, String> p = options.properties();
    assertEquals("SASL_SSL", p.get("security.protocol"));
    assertEquals(JAAS, p.get("sasl.jaas.config"));
    assertEquals("50", p.get("linger.ms"), "--kafka-property wins");
    assertEquals("rack-a", p.get("client.rack"));
  }

  @Test
  void theEnvironmentNamesTheFileAndTheBootstrapUnlessTheCommandLineDoes() throws Exception {
    Path fromEnv = dir.resolve("env.properties");
    Files.writeString(fromEnv, "security.protocol=SSL\n");
    Map<String, String> env = Map.of(KafkaClientOptions.ENV_COMMAND_CONFIG, fromEnv.toString(),
        KafkaClientOptions.ENV_BOOTSTRAP, "kafka-0:9093,kafka-1:9093");
    assertEquals("SSL", parse(env).properties().get("security.protocol"));
    Path fromArgs = dir.resolve("args.properties");
    Files.writeString(fromArgs, "security.protocol=SASL_SSL\n");
    assertEquals("SASL_SSL", parse(env, "--command-config", fromArgs.toString())
        .properties().get("security.protocol"));
    assertEquals("kafka-0:9093,kafka-1:9093", KafkaClientOptions.defaultBootstrap(env::get, "127.0.0.1:9092"));
    assertEquals("127.0.0.1:9092", KafkaClientOptions.defaultBootstrap(Map.<String, String>of()::get, "127.0.0.1:9092"));
    assertNull(parse(Map.of()).commandConfig());
    assertTrue(parse(Map.of()).properties().isEmpty());
  }

  @Test
  void aTopicPrefixRenamesEveryTopicFromTheCommandLineOrTheEnvironment() {
    assertEquals(TopicNames.DEFAULT, parse(Map.of()).topics());
    assertEquals("ecapture.raw", TopicNames.DEFAULT.raw());
    TopicNames named = parse(Map.of(), "--topic-prefix", "team-a.").topics();
    assertEquals(java.util.List.of("team-a.ecapture.raw", "team-a.ecapture.parsed", "team-a.ecapture.logs",
        "team-a.ecapture.dlq", "team-a.ecapture.keylog", "team-a.ecapture.packets"), named.all());
    assertEquals("team-b.ecapture.dlq",
        parse(Map.of(KafkaClientOptions.ENV_TOPIC_PREFIX, "team-b.")).topics().dlq());
    assertThrows(IllegalArgumentException.class, () -> parse(Map.of(), "--topic-prefix", "bad prefix/").topics());
  }

  @Test
  void aMissingFileIsAUsageErrorNamingThePath() {
    Path missing = dir.resolve("nope.properties");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> parse(Map.of(), "--command-config", missing.toString()).properties());
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void secretsOnTheCommandLineAreWarnedAboutAndNeverShown() {
    KafkaClientOptions options = parse(Map.of(), "--kafka-property", "sasl.jaas.config=" + JAAS,
        "--kafka-property", "ssl.truststore.password=tspass", "--kafka-property", "acks=all");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Map<String, String> p = options.properties(new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(JAAS, p.get("sasl.jaas.config"), "the secret still reaches the client");
    String warnings = err.toString(StandardCharsets.UTF_8);
    assertEquals(2, warnings.lines().count(), warnings);
    assertTrue(warnings.contains("sasl.jaas.config") && warnings.contains("ssl.truststore.password"), warnings);
    for (String shown : new String[] {warnings, options.toString(), KafkaClientProperties.describe(p)}) {
      assertFalse(shown.contains("s3cret-value") || shown.contains("tspass"), shown);
    }
    assertTrue(options.toString().contains("acks=all"), options.toString());
  }

  @Test
  void adminAndProducerGetOnlyTheirOwnPropertiesWithStreamsPrefixesRemoved() {
    Map<String, String> p = Map.of("security.protocol", "SASL_SSL", "linger.ms", "5",
        "admin.request.timeout.ms", "1234", "producer.linger.ms", "7",
        "processing.guarantee", "exactly_once_v2", "consumer.session.timeout.ms", "6000");
    Map<String, Object> admin = KafkaClientProperties.forAdmin(p);
    assertEquals(Map.of("security.protocol", "SASL_SSL", "request.timeout.ms", "1234"), admin);
    Map<String, Object> producer = KafkaClientProperties.forProducer(p);
    assertEquals(Map.of("security.protocol", "SASL_SSL", "linger.ms", "7"), producer);
  }
}
