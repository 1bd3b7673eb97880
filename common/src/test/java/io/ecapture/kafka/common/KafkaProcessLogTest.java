package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.LogLevel;
import io.ecapture.kafka.proto.capture.ProcessLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class KafkaProcessLogTest {
  @TempDir Path dir;

  @Test
  void linesReachTheLogsTopicWithComponentAndHostKeyedByHost() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
      TopicSetup.ensureTopics(kafka.bootstrapServers(), 1);
      try (KafkaProcessLog log = KafkaProcessLog.start(LoggerFactory.getLogger("test"), "processor",
          "host-7", kafka.bootstrapServers(), Map.of("linger.ms", "0", "processing.guarantee", "x"))) {
        log.info("hello from the processor");
        log.warn("a warning");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (log.sent() < 2 && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertEquals(2, log.sent());
        assertEquals(0, log.dropped());
      }
      List<ConsumerRecord<String, ProcessLog>> records = new ArrayList<>();
      try (KafkaConsumer<String, ProcessLog> consumer = new KafkaConsumer<>(
          Map.of("bootstrap.servers", kafka.bootstrapServers(), "auto.offset.reset", "earliest",
              "group.id", "t"), Topics.LOGS.keySerde().deserializer(), Topics.LOGS.valueSerde().deserializer())) {
        consumer.subscribe(List.of(Topics.LOGS.name()));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (records.size() < 2 && System.nanoTime() < deadline) {
          consumer.poll(Duration.ofMillis(500)).forEach(records::add);
        }
      }
      assertEquals(2, records.size());
      assertEquals("host-7", records.get(0).key());
      ProcessLog first = records.get(0).value();
      assertEquals("processor", first.getComponent());
      assertEquals("host-7", first.getHostId());
      assertEquals("hello from the processor", first.getMessage());
      assertEquals(LogLevel.WARN, records.get(1).value().getLevel());
      assertTrue(first.getWallTimeNs() > 1_577_836_800_000_000_000L);
    }
  }

  @Test
  void withoutABrokerLinesAreDroppedAndCountedNeverBlockingTheCaller() {
    // nothing listens there: the sender waits for metadata, the queue of 2 fills at once
    String nowhere = "127.0.0.1:" + EmbeddedKafka.freePort();
    try (KafkaProcessLog log = KafkaProcessLog.start(LoggerFactory.getLogger("test"), "gateway",
        "host-8", nowhere, Map.of(), TopicNames.DEFAULT.logs(), 2)) {
      for (int i = 0; i < 50; i++) {
        log.info("line " + i);
      }
      // the sender holds at most one line, the queue two: the other 47 or more are counted
      assertTrue(log.dropped() >= 47, "dropped " + log.dropped());
      assertEquals(0, log.sent());
    }
  }

  @Test
  void disabledLogsLocallyOnly() {
    try (KafkaProcessLog log = KafkaProcessLog.disabled(LoggerFactory.getLogger("test"), "gateway", "h")) {
      log.error("only here");
      assertEquals(0, log.dropped());
      assertEquals(false, log.enabled());
    }
  }
}
