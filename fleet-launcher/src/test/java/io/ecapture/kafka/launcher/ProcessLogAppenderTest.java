package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.common.KafkaProcessLog;
import io.ecapture.kafka.common.ProcessLogRouting;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.LogLevel;
import io.ecapture.kafka.proto.capture.ProcessLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The components' WARN and ERROR lines, logged through their ordinary loggers, reach {@code
 * ecapture.logs} through the launcher's appender, each under its own component; INFO lines, lines
 * of packages no process log claims, and the process log's own lines (already sent) do not go
 * (again).
 */
class ProcessLogAppenderTest {
  @TempDir Path dir;

  @Test
  void warningsOfAComponentsClassesReachTheLogsTopicOnce() throws Exception {
    ProcessLogAppender.install();
    ProcessLogAppender.install(); // idempotent: one appender, lines not doubled
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
      TopicSetup.ensureTopics(kafka.bootstrapServers(), 1);
      Logger processorClass = LoggerFactory.getLogger("io.ecapture.kafka.processor.topology.Example");
      try (KafkaProcessLog log = KafkaProcessLog.start(LoggerFactory.getLogger("io.ecapture.kafka.processor.Main"),
          "processor", "host-r", kafka.bootstrapServers(), Map.of("linger.ms", "0"))) {
        ProcessLogRouting.register("io.ecapture.kafka.processor", log);
        processorClass.warn("routed-warn {}", 1);
        processorClass.error("routed-error", new IllegalStateException("why"));
        processorClass.info("not-routed-info");
        LoggerFactory.getLogger("io.ecapture.kafka.gateway.Other").warn("not-routed-unclaimed");
        log.warn("own-line");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (log.sent() < 3 && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        Thread.sleep(500); // a line sent twice would arrive by now
      }
      List<ProcessLog> lines = new ArrayList<>();
      try (KafkaConsumer<String, ProcessLog> consumer = new KafkaConsumer<>(
          Map.of("bootstrap.servers", kafka.bootstrapServers(), "auto.offset.reset", "earliest", "group.id", "t"),
          Topics.LOGS.keySerde().deserializer(), Topics.LOGS.valueSerde().deserializer())) {
        consumer.subscribe(List.of(Topics.LOGS.name()));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (lines.size() < 3 && System.nanoTime() < deadline) {
          consumer.poll(Duration.ofMillis(500)).forEach(r -> lines.add(r.value()));
        }
        consumer.poll(Duration.ofSeconds(1)).forEach(r -> lines.add(r.value()));
      }
      List<String> messages = lines.stream().map(ProcessLog::getMessage).toList();
      assertEquals(3, lines.size(), messages.toString());
      assertEquals("routed-warn 1", messages.get(0));
      assertEquals(LogLevel.WARN, lines.get(0).getLevel());
      assertTrue(messages.get(1).startsWith("routed-error: java.lang.IllegalStateException: why"), messages.get(1));
      assertEquals(LogLevel.ERROR, lines.get(1).getLevel());
      assertEquals("own-line", messages.get(2));
      lines.forEach(line -> {
        assertEquals("processor", line.getComponent());
        assertEquals("host-r", line.getHostId());
      });
    }
  }
}
