package io.ecapture.kafka.collector.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.BrokerProcess;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool against a real broker (a child JVM) that hangs (SIGSTOP) while records are appended
 * steadily and goes on later (SIGCONT): what reaches each partition of ecapture.raw keeps the
 * spool's order. (A SIGKILLed single broker does not show it: the producer then drops the topic
 * from its metadata, the next send fails at once and the spool stops sending until it recovers.)
 *
 * <p>With the producer defaults no send fails for time, so each partition holds every record
 * exactly in append order. With a short delivery timeout set by the user sends do fail; then each
 * partition holds the append order as a subsequence (everything from a partition's first failed
 * record on arrives again, in order, after whatever got through meanwhile), which the processor
 * turns back into the stream by dropping chunks it already has.
 *
 * <p>No eBPF: the events are made here, one connection per key, each with growing stream offsets.
 */
class SpoolPartitionOrderTest {
  private static final Logger LOG = LoggerFactory.getLogger(SpoolPartitionOrderTest.class);
  private static final String HOST = "order-host";
  private static final int PARTITIONS = 3;
  private static final int CONNECTIONS = 6;
  /**
   * Payload bytes per record, random: compressible payloads let one producer batch per partition
   * take in the whole outage, so no later batch could outlive an expired one.
   */
  private static final int PAYLOAD = 1500;

  @TempDir Path dir;

  @Test
  void anOutageLongerThanTheOldDeliveryTimeoutKeepsEveryPartitionExactlyInSpoolOrder() throws Exception {
    // 16 s hung: longer than the 12 s delivery timeout the spool's producer had, after which its
    // first batches expired while later ones, still pending, got through when the broker went on
    Outcome outcome = run(Map.of(), Duration.ofSeconds(16));
    for (var partition : outcome.expected().entrySet()) {
      List<String> got = outcome.received().getOrDefault(partition.getKey(), List.of());
      assertEquals(partition.getValue(), firstOccurrences(got), "partition " + partition.getKey()
          + " in spool order; " + outcome.stats().summary());
      // nothing given up for time while the broker held it: no record stored twice. (A send may
      // still fail at once, when the producer forgot the topic's metadata in the outage: that
      // record never reached the broker and is sent once, later, in its place.)
      assertEquals(partition.getValue().size(), got.size(), "partition " + partition.getKey() + " holds "
          + (got.size() - firstOccurrences(got).size()) + " records twice; " + outcome.stats().summary());
    }
  }

  @Test
  void failedSendsReplayTheirPartitionFromTheFirstFailureOn() throws Exception {
    // a user's short delivery timeout: sends expire during the outage and the spool replays them
    Outcome outcome = run(Map.of("delivery.timeout.ms", "2500", "request.timeout.ms", "1000",
        "linger.ms", "5"), Duration.ofSeconds(7));
    assertTrue(outcome.stats().sendErrors() > 0, "the outage made sends fail: " + outcome.stats().summary());
    for (var partition : outcome.expected().entrySet()) {
      List<String> got = outcome.received().getOrDefault(partition.getKey(), List.of());
      int matched = subsequenceLength(partition.getValue(), got);
      assertEquals(partition.getValue().size(), matched, "partition " + partition.getKey()
          + ": the spool order is not a subsequence of what arrived; it breaks at "
          + (matched < partition.getValue().size() ? partition.getValue().get(matched) : "") + "; "
          + outcome.stats().summary());
    }
  }

  /** What was appended per partition, what each partition holds, and the sink's counters. */
  private record Outcome(Map<Integer, List<String>> expected, Map<Integer, List<String>> received,
      CollectorStats.Snapshot stats) {}

  private Outcome run(Map<String, Object> overrides, Duration outage) throws Exception {
    // both ports checked free: a controller on port + 1 could collide with a client's socket
    int port = EmbeddedKafka.freePort();
    int controllerPort = EmbeddedKafka.freePort();
    Path kafkaDir = dir.resolve("kafka");
    BrokerProcess broker = BrokerProcess.start(kafkaDir, "127.0.0.1", port, controllerPort);
    try {
      TopicSetup.ensureTopics(broker.bootstrapServers(), PARTITIONS);
      List<String> connections = new ArrayList<>();
      for (int c = 0; c < CONNECTIONS; c++) {
        connections.add(HOST + "/" + (4000 + c) + "/5/" + c);
      }
      Map<Integer, List<String>> expected = new HashMap<>();
      CollectorStats stats = new CollectorStats();
      SpoolConfig spool = SpoolConfig.builder().maxBytes(64L << 20).directory(dir.resolve("spool")).build();
      AtomicBoolean appending = new AtomicBoolean(true);
      AtomicInteger appended = new AtomicInteger();
      try (SpoolingKafkaSink sink = new SpoolingKafkaSink(
          new ProducerSettings(broker.bootstrapServers(), HOST, overrides), spool, stats)) {
        Thread writer = Thread.ofPlatform().name("order-appender").start(() -> {
          long[] offsets = new long[CONNECTIONS];
          java.util.Random random = new java.util.Random(7);
          while (appending.get()) {
            Instant before = Instant.now();
            for (int c = 0; c < CONNECTIONS; c++) {
              String connection = connections.get(c);
              sink.event(data(connection, offsets[c], PAYLOAD, random));
              expected.computeIfAbsent(partitionOf(connection), p -> new ArrayList<>())
                  .add(connection + "@" + offsets[c]);
              offsets[c] += PAYLOAD;
              appended.incrementAndGet();
            }
            sink.drainedUpTo(before.getEpochSecond() * 1_000_000_000L + before.getNano());
            try {
              Thread.sleep(25);
            } catch (InterruptedException e) {
              return;
            }
          }
        });
        awaitSent(stats, () -> CONNECTIONS * 10L, Duration.ofSeconds(60));
        // the broker hangs (SIGSTOP: its connections stay open, requests go unanswered, as with a
        // lost link or a failover that takes long), then goes on; records keep coming meanwhile
        signal(broker, "STOP");
        try {
          Thread.sleep(outage.toMillis());
        } finally {
          signal(broker, "CONT");
        }
        long sentAtRestart = stats.snapshot().sent();
        awaitSent(stats, () -> sentAtRestart + CONNECTIONS * 10L, Duration.ofSeconds(120));
        appending.set(false);
        writer.join();
        awaitSent(stats, appended::get, Duration.ofSeconds(120));
        assertEquals(appended.get(), stats.snapshot().sent(), "every record acknowledged: " + stats.snapshot().summary());
      }
      Map<Integer, List<String>> received = readAll(broker.bootstrapServers(), appended.get());
      CollectorStats.Snapshot s = stats.snapshot();
      LOG.info("{} records appended over a {} s outage; {}", appended.get(), outage.toSeconds(), s.summary());
      return new Outcome(expected, received, s);
    } finally {
      broker.close();
    }
  }

  private static void signal(BrokerProcess broker, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(broker.pid())).inheritIO().start();
    assertEquals(0, kill.waitFor(), "kill -" + signal);
  }

  private static void awaitSent(CollectorStats stats, java.util.function.LongSupplier target, Duration limit)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (stats.snapshot().sent() < target.getAsLong() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(stats.snapshot().sent() >= target.getAsLong(),
        "not acknowledged within " + limit + ": " + stats.snapshot().summary());
  }

  private static int partitionOf(String connection) {
    return ProgressMarks.partitionOf(connection.getBytes(StandardCharsets.UTF_8), PARTITIONS);
  }

  private static RawEvent data(String connection, long offset, int length, java.util.Random random) {
    Instant now = Instant.now();
    byte[] payload = new byte[length];
    random.nextBytes(payload);
    return RawEvent.newBuilder()
        .setHostId(HOST)
        .setConnectionId(connection)
        .setWallTimeNs(now.getEpochSecond() * 1_000_000_000L + now.getNano())
        .setData(TlsData.newBuilder().setDirection(Direction.WRITE).setOffset(offset)
            .setPayload(ByteString.copyFrom(payload)))
        .build();
  }

  /** The list with every repeat removed at its second and later positions. */
  private static List<String> firstOccurrences(List<String> records) {
    Set<String> seen = new HashSet<>();
    return records.stream().filter(seen::add).toList();
  }

  /** How much of {@code expected} is, from its start, a subsequence of {@code got}. */
  private static int subsequenceLength(List<String> expected, List<String> got) {
    int matched = 0;
    for (String record : got) {
      if (matched < expected.size() && expected.get(matched).equals(record)) {
        matched++;
      }
    }
    return matched;
  }

  /** Per partition, its data records ({@code connection@offset}) in partition order, marks skipped. */
  private static Map<Integer, List<String>> readAll(String bootstrap, int distinct) {
    Map<String, Object> props = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "order-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Map<Integer, List<String>> byPartition = new HashMap<>();
    Set<String> seen = new HashSet<>();
    try (KafkaConsumer<String, RawEvent> consumer = new KafkaConsumer<>(props,
        Topics.RAW.keySerde().deserializer(), Topics.RAW.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.RAW.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      long quietUntil = Long.MAX_VALUE;
      while (System.nanoTime() < deadline && System.nanoTime() < quietUntil) {
        for (ConsumerRecord<String, RawEvent> record : consumer.poll(Duration.ofMillis(200))) {
          if (record.value().hasProgress()) {
            continue;
          }
          String id = record.value().getConnectionId() + "@" + record.value().getData().getOffset();
          byPartition.computeIfAbsent(record.partition(), p -> new ArrayList<>()).add(id);
          if (seen.add(id) && seen.size() == distinct) {
            quietUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos(); // repeats after it
          }
        }
      }
    }
    return byPartition;
  }
}
