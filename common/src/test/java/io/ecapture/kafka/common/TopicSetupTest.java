package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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

  @Test
  void onOneBrokerTheLayoutIsOneReplicaAndOneInSyncReplica() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir);
        Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      TopicSetup.Result result = TopicSetup.ensure(kafka.bootstrapServers(), Map.of(), TopicLayout.auto(2));
      assertEquals(1, result.brokers());
      assertEquals(new TopicLayout(2, (short) 1, 1), result.layout());
      assertEquals(Topics.ALL.size(), result.created().size());
      ConfigResource raw = new ConfigResource(ConfigResource.Type.TOPIC, Topics.RAW.name());
      assertEquals("1", admin.describeConfigs(List.of(raw)).all().get().get(raw)
          .get("min.insync.replicas").value());
      assertEquals(1, admin.describeTopics(List.of(Topics.RAW.name())).allTopicNames().get()
          .get(Topics.RAW.name()).partitions().get(0).replicas().size());
    }
  }

  @Test
  void largeRecordsFitTheParsedTopicAndOlderTopicsAreRaised() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir);
        Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      // as an older version left them: raw with the broker's default, dlq set higher by hand
      admin.createTopics(List.of(new NewTopic(Topics.RAW.name(), 1, (short) 1),
          new NewTopic(Topics.DLQ.name(), 1, (short) 1)
              .configs(Map.of("max.message.bytes", Integer.toString(100 << 20))))).all().get();
      assertEquals(Topics.ALL.size() - 2, TopicSetup.ensureTopics(kafka.bootstrapServers(), 1).size());
      assertEquals(TopicSetup.PARSED_MAX_MESSAGE_BYTES, maxMessageBytes(admin, Topics.PARSED.name()));
      assertEquals(TopicSetup.RAW_MAX_MESSAGE_BYTES, maxMessageBytes(admin, Topics.RAW.name()), "raised");
      assertEquals(100 << 20, maxMessageBytes(admin, Topics.DLQ.name()), "never lowered");
      assertTrue(TopicSetup.raiseMaxMessageBytes(kafka.bootstrapServers(), Topics.RAW.name(), 8 << 20));
      assertEquals(8 << 20, maxMessageBytes(admin, Topics.RAW.name()));
      assertTrue(!TopicSetup.raiseMaxMessageBytes(kafka.bootstrapServers(), Topics.RAW.name(), 1 << 20));

      // a 20 MiB record of incompressible bytes goes through the real broker, compressed (zstd)
      byte[] big = new byte[20 << 20];
      new Random(5).nextBytes(big);
      Map<String, Object> producerProps = Map.of("bootstrap.servers", kafka.bootstrapServers(),
          "max.request.size", TopicSetup.PARSED_MAX_MESSAGE_BYTES,
          "buffer.memory", 2L * TopicSetup.PARSED_MAX_MESSAGE_BYTES, "compression.type", "zstd");
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer())) {
        RecordMetadata sent = producer.send(new ProducerRecord<>(Topics.PARSED.name(), big)).get();
        assertEquals(0, sent.offset());
      }
      Map<String, Object> consumerProps = Map.of("bootstrap.servers", kafka.bootstrapServers(),
          "max.partition.fetch.bytes", TopicSetup.PARSED_MAX_MESSAGE_BYTES);
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
          consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        TopicPartition partition = new TopicPartition(Topics.PARSED.name(), 0);
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        byte[] got = null;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (got == null && System.nanoTime() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            got = r.value();
          }
        }
        assertTrue(java.util.Arrays.equals(big, got), "the 20 MiB record came back whole");
      }
    }
  }

  private static long maxMessageBytes(Admin admin, String topic) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return Long.parseLong(admin.describeConfigs(List.of(resource)).all().get().get(resource)
        .get("max.message.bytes").value());
  }
}
