package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command that talks to Kafka takes the cluster's client settings the same way
 * ({@code common.KafkaClientOptions}): a command added later without them fails here.
 */
class KafkaOptionsOnEveryCommandTest {
  /** Every command is a Kafka client but these (broker is the embedded broker itself). */
  private static final java.util.Set<String> NOT_CLIENTS = java.util.Set.of("broker");

  @TempDir Path dir;

  @Test
  void everyKafkaClientCommandTakesCommandConfigKafkaPropertyTopicPrefixAndBootstrap() {
    CommandLine main = new CommandLine(new Main());
    assertTrue(main.getSubcommands().keySet().containsAll(List.of("collector", "processor", "gateway", "up")));
    for (String name : main.getSubcommands().keySet()) {
      if (NOT_CLIENTS.contains(name)) {
        continue;
      }
      CommandLine.Model.CommandSpec spec = main.getSubcommands().get(name).getCommandSpec();
      for (String option : List.of("--bootstrap", "--command-config", "--kafka-property", "--topic-prefix")) {
        assertNotNull(spec.findOption(option), name + " lacks " + option);
      }
    }
  }

  @Test
  void upRefusesClientSettingsForTheEmbeddedBrokerInOneLine() {
    Path data = dir.resolve("data");
    PrintStream original = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      UpCommand up = new UpCommand();
      up.bootstrap = null; // as without ECAPTURE_KAFKA_BOOTSTRAP, whatever this environment holds
      exit = new CommandLine(up).execute("--kafka-property", "security.protocol=SSL",
          "--data-dir", data.toString(), "--no-capture");
    } finally {
      System.setErr(original);
    }
    String text = err.toString(StandardCharsets.UTF_8);
    assertEquals(CommandLine.ExitCode.USAGE, exit, text);
    assertTrue(text.startsWith("ecapture-kafka: --command-config and --kafka-property need --bootstrap"), text);
    assertEquals(1, text.lines().count(), text);
    assertFalse(Files.exists(data), "nothing was started or created");
  }

  @Test
  void upPassesTheSettingsPrefixAndReplicationToTheFleet() throws Exception {
    Path file = Files.writeString(dir.resolve("client.properties"), "security.protocol=SASL_SSL\n");
    UpCommand up = new UpCommand();
    new CommandLine(up).parseArgs("--bootstrap", "kafka:9093", "--command-config", file.toString(),
        "--topic-prefix", "team-a.", "--replication-factor", "3", "--min-insync-replicas", "2");
    assertEquals("kafka:9093", up.bootstrap);
    assertEquals("SASL_SSL", up.kafka.properties().get("security.protocol"));
    assertEquals("team-a.ecapture.raw", up.kafka.topics().raw());
    FleetConfig config = FleetConfig.builder(dir).externalBroker(up.bootstrap)
        .kafkaProperties(up.kafka.properties()).topics(up.kafka.topics())
        .replication(up.replicationFactor, up.minInsyncReplicas).build();
    assertEquals(new io.ecapture.kafka.common.TopicLayout(4, (short) 3, 2), config.topicLayout());
    assertEquals(config, config.toBuilder().build());
  }
}
