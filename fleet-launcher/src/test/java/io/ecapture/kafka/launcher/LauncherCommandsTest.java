package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topic;
import io.ecapture.kafka.proto.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LauncherCommandsTest {
  @TempDir Path dir;

  @Test
  void everyComponentIsASubcommandWithHelp() {
    for (String sub : new String[] {"up", "broker", "topics", "collector", "processor", "gateway"}) {
      StringWriter out = new StringWriter();
      CommandLine cli = new CommandLine(new Main()).setOut(new PrintWriter(out));
      assertEquals(0, cli.execute(sub, "--help"), sub);
      assertTrue(out.toString().contains("--"), sub + " help lists options: " + out);
    }
  }

  @Test
  void unknownOptionIsAUsageErrorNotACrash() {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Main()).setErr(new PrintWriter(err));
    assertEquals(2, cli.execute("up", "--no-such-option"));
    assertTrue(err.toString().contains("--no-such-option"), err.toString());
  }

  @Test
  void topicsCommandCreatesEveryPipelineTopicOnAnExternalCluster() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
      int code = new CommandLine(new Main())
          .execute("topics", "--bootstrap", kafka.bootstrapServers(), "--partitions", "3");
      assertEquals(0, code);
      try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()))) {
        Set<String> names = admin.listTopics().names().get();
        for (Topic<?, ?> topic : Topics.ALL) {
          assertTrue(names.contains(topic.name()), topic.name());
        }
        assertEquals(3, admin.describeTopics(Set.of(Topics.PARSED.name())).allTopicNames().get()
            .get(Topics.PARSED.name()).partitions().size());
      }
    }
  }
}
