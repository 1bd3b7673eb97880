package io.ecapture.kafka.collector.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topic;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real capture into a real (embedded KRaft) broker: collector -> ecapture.raw / ecapture.logs. */
class KafkaIntegrationTest {
  private static final String HOST = "it-host";

  @TempDir Path dir;

  @Test
  void curlRequestArrivesInRawTopicKeyedByItsConnectionIdAndLogsInLogsTopic() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("curl");
    EmbeddedKafka.trapKafkaExit();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
      TopicSetup.ensureTopics(kafka.bootstrapServers(), 3);
      String marker = UUID.randomUUID().toString();
      long pid;
      CollectorStats.Snapshot stats;
      try (TlsTestServer server = TlsTestServer.start(dir, false);
          Collector collector =
              Collector.start(
                  CollectorConfig.builder().bootstrapServers(kafka.bootstrapServers())
                      .hostId(HOST)
                      .statusPort(-1)
                      .spool(SpoolConfig.builder().maxBytes(64L << 20).directory(dir.resolve("spool")).build()).build())) {
        Process curl =
            new ProcessBuilder("curl", "-sk", "https://127.0.0.1:" + server.port() + "/", "-H", "X-Marker: " + marker)
                .redirectErrorStream(true)
                .start();
        pid = curl.pid();
        curl.getInputStream().readAllBytes();
        assertTrue(curl.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, curl.exitValue());
        List<ConsumerRecord<String, RawEvent>> curlRecords =
            consumeUntil(kafka.bootstrapServers(), Topics.RAW, r -> r.value().getProcess().getPid() == pid && r.value().hasClose());

        ConsumerRecord<String, RawEvent> request =
            curlRecords.stream()
                .filter(r -> r.value().hasData() && r.value().getData().getDirection() == Direction.WRITE)
                .filter(r -> r.value().getData().getPayload().toString(StandardCharsets.UTF_8).contains(marker))
                .findFirst()
                .orElseThrow(() -> new AssertionError("curl's request with the marker not in ecapture.raw"));
        assertEquals(request.value().getConnectionId(), request.key());
        assertTrue(request.key().startsWith(HOST + "/" + pid + "/"), request.key());
        assertEquals(HOST, request.value().getHostId());
        assertEquals(server.port(), request.value().getTuple().getDstPort());
        assertTrue(curlRecords.stream().anyMatch(r -> r.value().hasData()
            && r.value().getData().getDirection() == Direction.READ
            && r.value().getData().getPayload().toString(StandardCharsets.UTF_8).contains("HTTP/1.")));
        // keyed by connection: every record of the connection is in one partition, in offset order
        assertEquals(1, curlRecords.stream().map(ConsumerRecord::partition).distinct().count());
        assertTrue(curlRecords.stream().allMatch(r -> r.key().equals(request.key())));

        List<ConsumerRecord<String, ProcessLog>> logs =
            consumeUntil(kafka.bootstrapServers(), Topics.LOGS, r -> r.value().getMessage().startsWith("collector started"));
        ConsumerRecord<String, ProcessLog> started = logs.getLast();
        List<ConsumerRecord<String, String>> keyLines =
            consumeUntil(kafka.bootstrapServers(), Topics.KEYLOG, r -> r.value().startsWith("CLIENT_TRAFFIC_SECRET_0 "));
        assertEquals(HOST, keyLines.getLast().key(), "key-log lines keyed by host id");
        assertEquals(HOST, started.key());
        assertEquals(Collector.COMPONENT, started.value().getComponent());
        stats = collector.stats();
      }
      assertTrue(stats.sent() >= 4, stats.summary());
      assertEquals(0, stats.sendErrors(), stats.summary());
    }
  }

  /** Reads the topic from the start until a record matches; returns the records of that key. */
  private static <V> List<ConsumerRecord<String, V>> consumeUntil(
      String bootstrap, Topic<String, V> topic, Predicate<ConsumerRecord<String, V>> last) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, V>> seen = new ArrayList<>();
    try (KafkaConsumer<String, V> consumer =
        new KafkaConsumer<>(props, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
      consumer.subscribe(List.of(topic.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, V> record : consumer.poll(Duration.ofMillis(200))) {
          seen.add(record);
          if (last.test(record)) {
            String key = record.key();
            return seen.stream().filter(r -> key.equals(r.key())).toList();
          }
        }
      }
    }
    assertFalse(true, "no matching record in " + topic.name() + " within 60 s; saw " + seen.size());
    return List.of();
  }
}
