package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.common.TopicNames;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.ProcessInfo;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsData;
import io.ecapture.kafka.proto.capture.Tuple;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Topic names in one place: with a prefix, the fleet creates and uses only the prefixed topics
 * (processor in and out, gateway, every process log), so two pipelines can share a cluster.
 */
class TopicPrefixPipelineTest {
  private static final String HOST = "prefix-host";

  @TempDir Path dir;

  @Test
  void aPrefixedPipelineUsesOnlyItsOwnTopics() throws Exception {
    TopicNames names = TopicNames.withPrefix("team-a.");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"))) {
      FleetConfig config = FleetConfig.builder(dir.resolve("fleet"))
          .externalBroker(kafka.bootstrapServers())
          .topics(names)
          .partitions(1)
          .gatewayListen("127.0.0.1:0")
          .capture(false).hostId(HOST).collectorStatusPort(-1)
          .idleFlush(Duration.ofMillis(300)).build();
      try (Fleet fleet = Fleet.start(config);
          EcaptureqTestClient client = new EcaptureqTestClient(fleet.gatewayPort())) {
        assertTrue(fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60)));
        try (KafkaProducer<String, RawEvent> producer =
            new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
                Topics.RAW.keySerde().serializer(), Topics.RAW.valueSerde().serializer())) {
          producer.send(record(names.raw(), Direction.WRITE, "GET /prefixed HTTP/1.1\r\nHost: x\r\n\r\n")).get();
          producer.send(record(names.raw(), Direction.READ, "HTTP/1.1 204 No Content\r\n\r\n")).get();
        }
        assertNotNull(client.await(e -> e.getLogType() == LogType.EVENT && e.getEventPayload().getType() == 1
            && e.getEventPayload().getPayload().toString(StandardCharsets.UTF_8).contains("/prefixed"),
            Duration.ofSeconds(60)), "request event through team-a.ecapture.parsed");
        for (String component : new String[] {"processor", "gateway"}) {
          assertNotNull(client.await(e -> e.getLogType() == LogType.PROCESS_LOG
              && e.getRunLog().contains("[" + HOST + "/" + component + "]"), Duration.ofSeconds(60)),
              component + " process log through team-a.ecapture.logs");
        }
      }
      try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()))) {
        Set<String> topics = new TreeSet<>(admin.listTopics().names().get());
        topics.removeIf(t -> t.startsWith("ecapture-processor-")); // the processor's own internal topics
        assertEquals(new TreeSet<>(names.all()), topics);
      }
    }
  }

  private static ProducerRecord<String, RawEvent> record(String topic, Direction direction, String text) {
    String connection = HOST + "/4242/7/1";
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    RawEvent event = RawEvent.newBuilder()
        .setHostId(HOST)
        .setConnectionId(connection)
        .setProcess(ProcessInfo.newBuilder().setPid(4242).setTid(4242).setComm("client"))
        .setFd(7)
        .setTuple(Tuple.newBuilder().setFamily(AddressFamily.INET)
            .setSrcAddr(ByteString.copyFrom(new byte[] {127, 0, 0, 1})).setSrcPort(40000)
            .setDstAddr(ByteString.copyFrom(new byte[] {127, 0, 0, 1})).setDstPort(443))
        .setWallTimeNs(System.currentTimeMillis() * 1_000_000L)
        .setData(TlsData.newBuilder().setDirection(direction).setOffset(0)
            .setPayload(ByteString.copyFrom(bytes)).setOriginalLength(bytes.length))
        .build();
    return new ProducerRecord<>(topic, connection, event);
  }
}
