package io.ecapture.kafka.collector.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.collector.decode.MonotonicClock;
import io.ecapture.kafka.collector.decode.RawEventDecoder;
import io.ecapture.kafka.collector.decode.RecordProcessor;
import io.ecapture.kafka.collector.decode.TestRecords;
import java.lang.foreign.MemorySegment;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins what the counters mean with the spool on and no broker: {@code spooled} counts every
 * record appended to the spool once (capture events plus key-log lines, which {@code captured}
 * does not include), however often the sender retries them.
 */
class SpoolCountersTest {
  @TempDir Path dir;

  @Test
  void brokerDownSpoolsEachCapturedEventAndKeyLogLineExactlyOnceThroughRetries() throws Exception {
    CollectorStats stats = new CollectorStats();
    List<String> warnings = new ArrayList<>();
    int events = 40;
    int keyRecords = 3; // TLS 1.3: five key-log lines each
    try (SpoolingKafkaSink sink = new SpoolingKafkaSink(deadBroker(), spool(SpoolConfig.builder().maxBytes(16L << 20)), stats)) {
      RecordProcessor processor = processor(stats, sink, warnings::add);
      for (int i = 0; i < events; i++) {
        processor.onRecord(MemorySegment.ofArray(TestRecords.write("event-" + i)));
      }
      for (int i = 0; i < keyRecords; i++) {
        processor.onRecord(MemorySegment.ofArray(TestRecords.tls13KeyRecord()));
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (stats.snapshot().resent() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      CollectorStats.Snapshot s = stats.snapshot();
      assertTrue(s.resent() >= 3, "the sender retried: " + s.summary());
      assertEquals(events, s.captured(), s.summary());
      assertEquals(5L * keyRecords, s.keyLogLines(), s.summary());
      assertEquals(s.captured() + s.keyLogLines(), s.spooled(), "retries do not count as spooled: " + s.summary());
      assertEquals(0, s.sent(), s.summary());
      assertEquals(0, s.spoolDropped(), s.summary());
    }
    assertTrue(warnings.isEmpty(), warnings.toString());
  }

  @Test
  void recordsTheFullSpoolRefusesAreCountedAsDroppedNotSpooled() throws Exception {
    CollectorStats stats = new CollectorStats();
    int events = 60; // ~16 KiB each: more than two 256 KiB segments hold
    SpoolConfig tiny = spool(SpoolConfig.builder().maxBytes(512 * 1024).fullPolicy(SpoolFullPolicy.DROP_NEWEST));
    try (SpoolingKafkaSink sink = new SpoolingKafkaSink(deadBroker(), tiny, stats)) {
      RecordProcessor processor = processor(stats, sink, w -> {});
      String payload = "x".repeat(16 * 1024 - 100);
      for (int i = 0; i < events; i++) {
        processor.onRecord(MemorySegment.ofArray(TestRecords.write(payload)));
      }
      CollectorStats.Snapshot s = stats.snapshot();
      assertEquals(events, s.captured(), s.summary());
      assertTrue(s.spoolDropped() > 0 && s.spooled() > 0, s.summary());
      assertEquals(s.captured(), s.spooled() + s.spoolDropped(), s.summary());
    }
  }

  @Test
  void withoutTheSpoolKeyLogLinesCountInSendOutcomesLikeEvents() throws Exception {
    CollectorStats stats = new CollectorStats();
    try (KafkaCaptureSink sink = new KafkaCaptureSink(deadBroker(), stats)) {
      RecordProcessor processor = processor(stats, sink, w -> {});
      processor.onRecord(MemorySegment.ofArray(TestRecords.write("event")));
      processor.onRecord(MemorySegment.ofArray(TestRecords.tls13KeyRecord()));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (stats.snapshot().sendErrors() < 6 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      CollectorStats.Snapshot s = stats.snapshot();
      // no broker: the event and the five TLS 1.3 lines each fail once, and say so
      assertEquals(6, s.sendErrors(), s.summary());
      assertEquals(0, s.sent(), s.summary());
      assertEquals(0, s.spooled(), "the direct sink has no spool: " + s.summary());
    }
  }

  /** A bootstrap address nothing listens on. */
  private static ProducerSettings deadBroker() throws Exception {
    int deadPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      deadPort = socket.getLocalPort(); // closed again: nothing listens there
    }
    return new ProducerSettings("127.0.0.1:" + deadPort, "counters-host", Map.of("max.block.ms", "100"));
  }

  private SpoolConfig spool(SpoolConfig.Builder spool) {
    return spool.directory(dir.resolve("spool")).build();
  }

  private static RecordProcessor processor(CollectorStats stats, CaptureSink sink, Consumer<String> warnings) {
    RawEventDecoder decoder = new RawEventDecoder("h", MonotonicClock.withOffset(0), List.of(Path.of("/lib/libssl.so.3")));
    return new RecordProcessor(decoder, stats, sink, warnings);
  }
}
