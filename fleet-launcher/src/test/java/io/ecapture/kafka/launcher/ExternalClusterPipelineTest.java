package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.embedded.BrokerProcess;
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
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor and the gateway against a cluster the fleet does not own (a broker in its own
 * JVM, reached only through its bootstrap address), the way an operator runs them against an
 * external cluster: {@code up --bootstrap}. Runs on every machine; no Docker engine needed.
 */
class ExternalClusterPipelineTest {
  @TempDir Path dir;

  @Test
  void rawEventsProducedToAnExternalClusterReachAnEcaptureqClient() throws Exception {
    try (BrokerProcess cluster = BrokerProcess.start(dir.resolve("cluster"), "127.0.0.1",
        EmbeddedKafka.freePort(), EmbeddedKafka.freePort())) {
      runAgainst(cluster.bootstrapServers());
    }
  }

  private void runAgainst(String bootstrap) throws Exception {
    FleetConfig config =
        FleetConfig.builder(dir.resolve("fleet"))
            .externalBroker(bootstrap)
            .partitions(2)
            .gatewayListen("127.0.0.1:0")
            .capture(false).hostId("external-host").collectorStatusPort(-1)
            .idleFlush(Duration.ofMillis(300)).build();
    try (Fleet fleet = Fleet.start(config);
        EcaptureqTestClient client = new EcaptureqTestClient(fleet.gatewayPort())) {
      assertTrue(fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60)));
      try (KafkaProducer<String, RawEvent> producer =
          new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
              Topics.RAW.keySerde().serializer(), Topics.RAW.valueSerde().serializer())) {
        producer.send(record(Direction.WRITE, "GET /external HTTP/1.1\r\nHost: x\r\n\r\n")).get();
        producer.send(record(Direction.READ, "HTTP/1.1 204 No Content\r\n\r\n")).get();
      }
      assertNotNull(client.await(e -> e.getLogType() == LogType.EVENT && e.getEventPayload().getType() == 1
          && e.getEventPayload().getPayload().toString(StandardCharsets.UTF_8).contains("/external"),
          Duration.ofSeconds(60)), "request event");
      assertNotNull(client.await(e -> e.getLogType() == LogType.EVENT && e.getEventPayload().getType() == 3,
          Duration.ofSeconds(60)), "response event");
    }
  }

  private static ProducerRecord<String, RawEvent> record(Direction direction, String text) {
    String connection = "external-host/4242/7/1";
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    RawEvent event =
        RawEvent.newBuilder()
            .setHostId("external-host")
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
    return new ProducerRecord<>(Topics.RAW.name(), connection, event);
  }
}
