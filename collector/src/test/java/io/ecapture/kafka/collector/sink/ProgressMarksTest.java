package io.ecapture.kafka.collector.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress marks through the spool to a real broker: they land in exactly the partitions of
 * ecapture.raw the collector wrote data to, keyed for Kafka's default partitioner; each mark
 * follows in its partition every record appended before it, although a backlog waits in the
 * spool (one record in flight at a time); an idle collector sends none. A partition's first record
 * is a mark, so the processor knows the host marks that partition before it reads any data of it
 * (without one it flushed a message in progress at its idle time in ClusterFaultToleranceTest).
 */
class ProgressMarksTest {
  private static final String HOST = "marks-host";
  private static final int PARTITIONS = 4;
  @TempDir Path dir;

  @Test
  void marksGoBehindSpooledDataToThePartitionsWrittenToAndStopWhenIdle() throws Exception {
    EmbeddedKafka.trapKafkaExit();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
      TopicSetup.ensureTopics(kafka.bootstrapServers(), PARTITIONS);
      // connections whose keys the default partitioner maps to partitions 0 and 2 only
      List<String> connections = new ArrayList<>();
      for (int n = 0; connections.size() < 6; n++) {
        String id = HOST + "/" + (1000 + n) + "/5/" + n;
        int partition = ProgressMarks.partitionOf(id.getBytes(StandardCharsets.UTF_8), PARTITIONS);
        if (partition == 0 || partition == 2) {
          connections.add(id);
        }
      }
      CollectorStats stats = new CollectorStats();
      SpoolConfig spool = SpoolConfig.builder().maxBytes(64L << 20).directory(dir.resolve("spool"))
          .maxInFlight(1) // a backlog stays in the spool while marks are appended behind it
          .progressMark(Duration.ofMillis(100)).build();
      int sent = 0;
      try (SpoolingKafkaSink sink = new SpoolingKafkaSink(
          new ProducerSettings(kafka.bootstrapServers(), HOST, Map.of()), spool, stats)) {
        // the mark thread asks for the partition count at once; until it knows, no mark can be keyed
        long known = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (sink.knownPartitions() == 0 && System.nanoTime() < known) {
          Thread.sleep(10);
        }
        assertEquals(PARTITIONS, sink.knownPartitions());
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < until) {
          // as the ring-buffer thread does: the time before a drain, reported once it is handed over
          Instant before = Instant.now();
          for (String connection : connections) {
            sink.event(data(connection, sent++));
          }
          sink.drainedUpTo(before.getEpochSecond() * 1_000_000_000L + before.getNano());
          Thread.sleep(20);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (stats.sent() < sent && System.nanoTime() < deadline) {
          sink.flush(); // one record in flight at a time: the backlog takes a while
        }
        assertEquals(sent, stats.sent(), stats.snapshot().summary());
        // idle now: after the active window no more marks are appended
        Thread.sleep(Duration.ofNanos(SpoolingKafkaSink.ACTIVE_WINDOW_NS).toMillis() + 1_000);
        long marksWhenIdle = stats.snapshot().progressMarks();
        Thread.sleep(1_000);
        assertEquals(marksWhenIdle, stats.snapshot().progressMarks(), "an idle collector sends no marks");
        sink.flush();
        CollectorStats.Snapshot s = stats.snapshot();
        assertTrue(s.progressMarks() > 0, s.summary());
        assertEquals(s.progressMarks(), s.progressMarksSent(), s.summary());
        assertEquals(sent, s.sent(), "marks are not counted as records sent: " + s.summary());
      }

      List<ConsumerRecord<String, RawEvent>> records = readAll(kafka.bootstrapServers(), sent);
      Set<Integer> dataPartitions = new TreeSet<>();
      Set<Integer> markPartitions = new TreeSet<>();
      // per partition: the newest data wall time seen so far, in partition order
      Map<Integer, List<Long>> dataTimes = new HashMap<>();
      int marks = 0;
      int dataRecords = 0;
      for (ConsumerRecord<String, RawEvent> record : records) {
        RawEvent event = record.value();
        if (event.hasProgress()) {
          marks++;
          markPartitions.add(record.partition());
          assertEquals(HOST, event.getHostId());
          assertTrue(event.getConnectionId().isEmpty(), "a mark is not a connection's event");
          assertEquals(record.partition(),
              ProgressMarks.partitionOf(record.key().getBytes(StandardCharsets.UTF_8), PARTITIONS));
        } else {
          dataRecords++;
          dataPartitions.add(record.partition());
          dataTimes.computeIfAbsent(record.partition(), p -> new ArrayList<>()).add(event.getWallTimeNs());
        }
      }
      assertEquals(sent, dataRecords);
      assertEquals(Set.of(0, 2), dataPartitions);
      assertEquals(dataPartitions, markPartitions, "marks only where data went, and to each of them");
      assertTrue(marks > 4, "marks every 100 ms over 3 s of data: " + marks);
      Map<Integer, RawEvent> firstOfPartition = new HashMap<>();
      Map<Integer, Long> firstDataTime = new HashMap<>();
      for (ConsumerRecord<String, RawEvent> record : records) {
        firstOfPartition.putIfAbsent(record.partition(), record.value());
        if (!record.value().hasProgress()) {
          firstDataTime.putIfAbsent(record.partition(), record.value().getWallTimeNs());
        }
      }
      for (int partition : dataPartitions) {
        RawEvent first = firstOfPartition.get(partition);
        assertTrue(first.hasProgress(), "partition " + partition + " starts with data, not a mark");
        assertTrue(first.getWallTimeNs() < firstDataTime.get(partition),
            "the first mark claims no more than what was captured before the first data");
      }

      // ordering: a mark of wall time T comes after every data record of its partition appended
      // before T, although those records waited in the spool when the mark was appended
      Map<Integer, Integer> dataSeen = new HashMap<>();
      for (ConsumerRecord<String, RawEvent> record : records) {
        int partition = record.partition();
        if (!record.value().hasProgress()) {
          dataSeen.merge(partition, 1, Integer::sum);
          continue;
        }
        long markTime = record.value().getWallTimeNs();
        long appendedBefore = dataTimes.get(partition).stream().filter(t -> t < markTime).count();
        assertTrue(dataSeen.getOrDefault(partition, 0) >= appendedBefore,
            "mark at " + record.offset() + " of partition " + partition + " overtook data appended before it");
      }
    }
  }

  private static RawEvent data(String connection, int n) {
    Instant now = Instant.now();
    return RawEvent.newBuilder()
        .setHostId(HOST)
        .setConnectionId(connection)
        .setWallTimeNs(now.getEpochSecond() * 1_000_000_000L + now.getNano())
        .setData(TlsData.newBuilder().setDirection(Direction.WRITE).setOffset(n)
            .setPayload(ByteString.copyFromUtf8("x".repeat(200))))
        .build();
  }

  /** Every record of ecapture.raw, in partition order, once {@code dataRecords} data records came. */
  private static List<ConsumerRecord<String, RawEvent>> readAll(String bootstrap, int dataRecords) {
    Map<String, Object> props = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "marks-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, RawEvent>> seen = new ArrayList<>();
    try (KafkaConsumer<String, RawEvent> consumer = new KafkaConsumer<>(props,
        Topics.RAW.keySerde().deserializer(), Topics.RAW.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.RAW.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      int data = 0;
      long quietUntil = Long.MAX_VALUE;
      while (System.nanoTime() < deadline && System.nanoTime() < quietUntil) {
        for (ConsumerRecord<String, RawEvent> record : consumer.poll(Duration.ofMillis(200))) {
          seen.add(record);
          if (!record.value().hasProgress() && ++data == dataRecords) {
            quietUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos(); // the marks after it
          }
        }
      }
    }
    return seen;
  }
}
