package io.ecapture.kafka.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three child-JVM nodes form one cluster (one id, a 3-voter quorum); a topic created without a
 * replication factor gets 3 replicas and min.insync.replicas 2; acks=all writes go on while the
 * leader of the partition is dead (SIGKILL), and the node restarted on its data catches up.
 */
class KafkaClusterTest {
  @TempDir Path dir;

  @Test
  void threeNodesSurviveTheLossOfTheLeaderAndTheRestartedNodeCatchesUp() throws Exception {
    try (KafkaCluster cluster = KafkaCluster.start(dir)) {
      assertEquals(List.of(1, 2, 3), cluster.nodeIds());
      assertEquals(3, cluster.bootstrapServers().split(",").length);
      for (int id : cluster.nodeIds()) {
        assertEquals(cluster.clusterId(),
            Files.readAllLines(dir.resolve("node-" + id).resolve(EmbeddedKafka.LOG_DIR).resolve("meta.properties"))
                .stream().filter(l -> l.startsWith("cluster.id=")).findFirst().orElseThrow().substring(11));
      }
      TopicDescription topic;
      try (Admin admin = cluster.admin()) {
        admin.createTopics(List.of(new NewTopic("t", java.util.Optional.of(1), java.util.Optional.empty())))
            .all().get(30, TimeUnit.SECONDS);
        topic = admin.describeTopics(List.of("t")).allTopicNames().get().get("t");
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "t");
        assertEquals("2", admin.describeConfigs(List.of(resource)).all().get().get(resource)
            .get("min.insync.replicas").value());
      }
      assertEquals(3, topic.partitions().get(0).replicas().size());
      assertTrue(cluster.activeController() >= 1);

      int leader = topic.partitions().get(0).leader().id();
      long pid = cluster.pid(leader);
      List<String> sent = new ArrayList<>();
      try (KafkaProducer<String, String> producer = producer(cluster)) {
        send(producer, sent, "before");
        cluster.kill(leader);
        assertFalse(cluster.isRunning(leader));
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the node's JVM is gone");
        // two of three replicas remain: acks=all with min.insync.replicas 2 still succeeds
        send(producer, sent, "during");
        cluster.restart(leader);
        assertNotEquals(pid, cluster.pid(leader));
        cluster.awaitFullyReplicated(Duration.ofSeconds(90));
        send(producer, sent, "after");
      }
      assertEquals(sent, readAll(cluster, sent.size()));
    }
  }

  private static KafkaProducer<String, String> producer(KafkaCluster cluster) {
    return new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrapServers(), "acks", "all",
        "enable.idempotence", "true", "delivery.timeout.ms", "90000", "request.timeout.ms", "5000"),
        new StringSerializer(), new StringSerializer());
  }

  private static void send(KafkaProducer<String, String> producer, List<String> sent, String phase)
      throws Exception {
    for (int i = 0; i < 5; i++) {
      String value = phase + "-" + i;
      producer.send(new ProducerRecord<>("t", "k", value)).get(90, TimeUnit.SECONDS);
      sent.add(value);
    }
  }

  private static List<String> readAll(KafkaCluster cluster, int expected) {
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
        Map.of("bootstrap.servers", cluster.bootstrapServers()), new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition("t", 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (values.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          values.add(r.value());
        }
      }
    }
    return values;
  }
}
