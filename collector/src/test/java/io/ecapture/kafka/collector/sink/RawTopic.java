package io.ecapture.kafka.collector.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/** Reads ecapture.raw back and checks it against what the collector handed to its sink. */
final class RawTopic {
  private RawTopic() {}

  /** Every capture event of ecapture.raw (progress marks skipped) from the start, until {@code expected} distinct events arrived or 60 s passed. */
  static List<ConsumerRecord<String, RawEvent>> readAll(String bootstrap, Set<RawEvent> expected) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG, "spool-it-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, RawEvent>> seen = new ArrayList<>();
    Set<RawEvent> missing = new HashSet<>(expected);
    try (KafkaConsumer<String, RawEvent> consumer =
        new KafkaConsumer<>(props, Topics.RAW.keySerde().deserializer(), Topics.RAW.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.RAW.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!missing.isEmpty() && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, RawEvent> record : consumer.poll(Duration.ofMillis(200))) {
          if (record.value().hasProgress()) {
            continue; // a collector's progress mark, not a capture event: consumers skip them
          }
          seen.add(record);
          missing.remove(record.value());
        }
      }
    }
    return seen;
  }

  /**
   * Every sent event arrived, keyed by its connection id, and each connection's events arrived in
   * the order they were captured (a redelivered duplicate is ignored at its second position).
   *
   * @return the number of duplicates
   */
  static int assertLosslessAndOrdered(List<RawEvent> sent, List<ConsumerRecord<String, RawEvent>> received) {
    Map<String, List<RawEvent>> sentByConnection = byConnection(sent);
    Map<String, List<RawEvent>> receivedByConnection = new LinkedHashMap<>();
    Set<RawEvent> unique = new HashSet<>();
    int duplicates = 0;
    for (ConsumerRecord<String, RawEvent> record : received) {
      assertEquals(record.value().getConnectionId(), record.key());
      if (!unique.add(record.value())) {
        duplicates++;
        continue;
      }
      receivedByConnection.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record.value());
    }
    Set<RawEvent> missing = new HashSet<>(sent);
    missing.removeAll(unique);
    assertTrue(missing.isEmpty(), missing.size() + " of " + sent.size() + " captured events never reached Kafka");
    for (Map.Entry<String, List<RawEvent>> connection : sentByConnection.entrySet()) {
      List<RawEvent> arrived = receivedByConnection.get(connection.getKey()).stream()
          .filter(new HashSet<>(connection.getValue())::contains)
          .toList();
      assertEquals(connection.getValue(), arrived, "order of connection " + connection.getKey());
    }
    return duplicates;
  }

  private static Map<String, List<RawEvent>> byConnection(List<RawEvent> events) {
    Map<String, List<RawEvent>> grouped = new LinkedHashMap<>();
    for (RawEvent event : events) {
      grouped.computeIfAbsent(event.getConnectionId(), k -> new ArrayList<>()).add(event);
    }
    return grouped;
  }
}
