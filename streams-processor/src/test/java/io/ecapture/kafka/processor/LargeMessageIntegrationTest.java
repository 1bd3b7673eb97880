package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole messages through a real broker with the default limits: an 8 MiB response body leaves
 * the processor's own producer (compressed) in one record and comes back whole from {@code
 * ecapture.parsed}; the processor raises an old topic's {@code max.message.bytes} to what its
 * records need; every state written to the changelog stays within the state limit (and the
 * number of such writes is printed for the README: one per commit, not one per record).
 */
class LargeMessageIntegrationTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  @TempDir Path dir;

  @Test
  void wholeEightMiBMessagesGoThroughTheBrokerAndTheStateStaysBounded() throws Exception {
    try (EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("broker"))) {
      kafka = broker;
      TopicSetup.ensureTopics(kafka.bootstrapServers(), 2);
      run();
    }
  }

  private EmbeddedKafka kafka;

  private void run() throws Exception {
    // as an older version left it: ecapture.parsed with Kafka's default 1 MiB records
    try (Admin admin = Admin.create(
        Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      ConfigResource parsedTopic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.PARSED.name());
      admin.incrementalAlterConfigs(Map.of(parsedTopic, List.of(new AlterConfigOp(
          new ConfigEntry("max.message.bytes", "1048588"), AlterConfigOp.OpType.SET)))).all().get();
    }
    ProcessorConfig config = ProcessorConfig.builder()
        .bootstrapServers(kafka.bootstrapServers())
        .applicationId("it-large")
        .stateDir(dir.resolve("state-large"))
        .statusPort(-1)
        .build();
    byte[] body = new byte[8 << 20];
    java.util.Random random = new java.util.Random(8);
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) ('a' + random.nextInt(26));
    }
    byte[] request = bytes("GET /eight HTTP/1.1\r\nHost: big.test\r\n\r\n");
    byte[] response = concat(bytes("HTTP/1.1 200 OK\r\nContent-Length: " + body.length
        + "\r\n\r\n"), body);
    try (KafkaProducer<String, byte[]> producer = producer();
        KafkaConsumer<String, ParsedMessage> parsed = parsedConsumer();
        StreamsProcessor.Handle handle = StreamsProcessor.start(config)) {
      assertEquals(KafkaStreams.State.RUNNING, handle.state());
      send(producer, "c4", data("c4", Direction.WRITE, 0, request));
      for (int pos = 0; pos < response.length; pos += 16384) {
        send(producer, "c4", data("c4", Direction.READ, pos,
            java.util.Arrays.copyOfRange(response, pos, Math.min(response.length, pos + 16384))));
      }
      producer.flush();
      List<ParsedMessage> out = new ArrayList<>();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (out.size() < 2 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, ParsedMessage> r : parsed.poll(Duration.ofMillis(200))) {
          if (r.key().equals("c4")) {
            out.add(r.value());
          }
        }
      }
      assertEquals(2, out.size(), "request and response of c4");
      ParsedMessage whole = out.get(1);
      assertEquals(200, whole.getHttp().getStatus());
      assertFalse(whole.getHttp().getBodyTruncated());
      assertArrayEquals(body, whole.getHttp().getBody().toByteArray());
      assertArrayEquals(response, ParsedText.rendered(whole).toByteArray());
      assertEquals(out.get(0).getPairId(), whole.getPairId());
      assertEquals(0, handle.metrics().oversizedRecords());
    }
    // the processor raised the topic to what its records need (TopicSetup gives it more)
    try (Admin admin = Admin.create(
        Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      assertTrue(maxMessageBytes(admin, Topics.PARSED.name())
          >= ProcessorLimits.defaults().maxParsedRecordBytes());
      String changelog = StreamsProcessor.changelogTopic(config);
      assertEquals(config.maxRecordBytes(), maxMessageBytes(admin, changelog));
      // every state written to the changelog stays within the state limit; the writes are
      // counted for the README (one per commit while the record cache holds the state)
      int writes = 0;
      long bytes = 0;
      try (KafkaConsumer<byte[], byte[]> states = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
          ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
          new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        List<TopicPartition> partitions = new ArrayList<>();
        states.partitionsFor(changelog)
            .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        states.assign(partitions);
        states.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = states.endOffsets(partitions);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (partitions.stream().anyMatch(p -> states.position(p) < end.get(p))
            && System.nanoTime() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : states.poll(Duration.ofMillis(200))) {
            if (r.value() != null) {
              writes++;
              bytes += r.value().length;
              assertTrue(r.value().length <= ProcessorLimits.defaults().maxStateRecordBytes(),
                  "state of " + r.value().length + " bytes");
            }
          }
        }
      }
      System.out.printf("8 MiB response in %d raw records: %d changelog writes, %d bytes%n",
          (response.length + 16383) / 16384, writes, bytes);
    }
  }

  private static long maxMessageBytes(Admin admin, String topic) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return Long.parseLong(admin.describeConfigs(List.of(resource)).all().get().get(resource)
        .get("max.message.bytes").value());
  }


  private static RawEvent data(String connection, Direction direction, long offset, byte[] payload) {
    return ProcessorTestKafka.data("it-host", connection, direction, offset, payload);
  }

  private static void send(KafkaProducer<String, byte[]> producer, String key, RawEvent event) {
    producer.send(new ProducerRecord<>(Topics.RAW.name(), key, event.toByteArray()));
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private KafkaProducer<String, byte[]> producer() {
    return ProcessorTestKafka.rawProducer(kafka.bootstrapServers());
  }

  private KafkaConsumer<String, ParsedMessage> parsedConsumer() {
    return ProcessorTestKafka.parsedConsumerFromBeginning(kafka.bootstrapServers());
  }
}
