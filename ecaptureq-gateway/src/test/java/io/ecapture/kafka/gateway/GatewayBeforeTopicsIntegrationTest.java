package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A gateway started before the topics exist: it creates none and misses nothing once they do. */
class GatewayBeforeTopicsIntegrationTest {
  @TempDir Path dataDir;

  @Test
  void topicsCreatedAfterStartAreReadFromTheirBeginning() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir);
        Gateway gateway =
            Gateway.start(
                GatewayConfig.builder()
                    .listen("127.0.0.1:0")
                    .bootstrapServers(kafka.bootstrapServers())
                    .replayLogs(0)
                    // the second lookup comes after the topic is created and written to
                    .missingTopicRetry(Duration.ofSeconds(4))
                    .build());
        WsClient client = WsClient.connect(gateway.port())) {
      assertFalse(gateway.awaitKafkaAssignment(Duration.ofMillis(500)), "no topics yet");
      // the gateway's lookups created nothing: the setup creates every topic itself
      assertEquals(Topics.ALL.size(), TopicSetup.ensureTopics(kafka.bootstrapServers(), 2).size());
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(
              Map.of("bootstrap.servers", kafka.bootstrapServers()),
              new ByteArraySerializer(),
              new ByteArraySerializer())) {
        // produced before the gateway has seen the new topic
        producer
            .send(
                new ProducerRecord<>(
                    Topics.PARSED.name(),
                    ParsedMessage.newBuilder()
                        .setPid(3)
                        .setComm("early")
                        .setRendered(ByteString.copyFromUtf8("first record"))
                        .build()
                        .toByteArray()))
            .get();
      }
      // the scenario needs the gateway to find the topic only now; skip (never fail) on a machine
      // so loaded that creating it took longer than the retry interval
      assumeTrue(gateway.stats().assignedPartitions() == 0, "gateway saw the topic too early");
      assertTrue(gateway.awaitKafkaAssignment(Duration.ofSeconds(30)));
      assertEquals(
          "first record",
          client.nextOfType(LogType.EVENT).getEventPayload().getPayload().toStringUtf8());
    }
  }
}
