package io.ecapture.kafka.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {
  private static final String TOPIC = "embedded.test";
  @TempDir Path dir;

  @Test
  void brokerServesProduceAndConsumeAndKeepsDataAcrossRestart() throws Exception {
    String value = "hello-" + System.nanoTime();
    EmbeddedKafka.Settings settings = new EmbeddedKafka.Settings(
        dir, "127.0.0.1", EmbeddedKafka.freePort(), EmbeddedKafka.freePort(), Map.of());
    try (EmbeddedKafka kafka = EmbeddedKafka.start(settings)) {
      assertTrue(Topics.create(kafka.bootstrapServers(), TOPIC, 3));
      assertEquals(3, Topics.partitions(kafka.bootstrapServers(), TOPIC));
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(
              Map.of("bootstrap.servers", kafka.bootstrapServers(), "acks", "all"),
              new StringSerializer(),
              new StringSerializer())) {
        producer.send(new ProducerRecord<>(TOPIC, "k", value)).get();
      }
    }
    // same directory, same port: the record written before the restart is still there
    try (EmbeddedKafka kafka = EmbeddedKafka.start(settings)) {
      assertEquals(List.of(value), readAll(kafka.bootstrapServers(), TOPIC));
    }
  }

  private static List<String> readAll(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", "t-" + System.nanoTime());
    p.put("auto.offset.reset", "earliest");
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 30_000;
      while (System.currentTimeMillis() < deadline) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
        if (!records.isEmpty()) {
          List<String> values = new java.util.ArrayList<>();
          records.forEach(r -> values.add(r.value()));
          return values;
        }
      }
      return List.of();
    }
  }
}
