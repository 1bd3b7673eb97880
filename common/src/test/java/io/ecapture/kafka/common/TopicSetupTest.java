package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topics;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopicSetupTest {
  @TempDir Path dir;

  @Test
  void createsEveryPipelineTopicOnceWithThePartitionsAsked() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
      List<String> created = TopicSetup.ensureTopics(kafka.bootstrapServers(), 3);
      assertEquals(Topics.ALL.size(), created.size());
      // idempotent: a second call creates nothing
      assertTrue(TopicSetup.ensureTopics(kafka.bootstrapServers(), 3).isEmpty());
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        int partitions = admin.describeTopics(List.of(Topics.RAW.name())).allTopicNames().get()
            .get(Topics.RAW.name()).partitions().size();
        assertEquals(3, partitions);
      }
    }
  }
}
