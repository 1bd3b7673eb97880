package io.ecapture.kafka.collector.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.collector.sink.RecordingSink;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordProcessorTest {
  private final CollectorStats stats = new CollectorStats();
  private final RecordingSink sink = new RecordingSink();
  private final List<String> warnings = new ArrayList<>();
  private final RecordProcessor processor =
      new RecordProcessor(new RawEventDecoder("h", MonotonicClock.withOffset(0), java.util.List.of(java.nio.file.Path.of("/lib/libssl.so.3"))), stats, sink, warnings::add);

  @Test
  void goodRecordsAreCountedAndDelivered() {
    processor.onRecord(MemorySegment.ofArray(TestRecords.write("hello")));
    processor.onRecord(MemorySegment.ofArray(TestRecords.write("abc")));

    assertEquals(2, sink.events.size());
    assertEquals(2, stats.snapshot().captured());
    assertEquals(8, stats.snapshot().capturedBytes());
    assertEquals(0, stats.snapshot().malformed());
  }

  @Test
  void malformedRecordIsCountedSkippedAndWarnedOnceWithoutStoppingTheStream() {
    byte[] bad = new byte[10];
    processor.onRecord(MemorySegment.ofArray(bad));
    processor.onRecord(MemorySegment.ofArray(bad));
    processor.onRecord(MemorySegment.ofArray(TestRecords.write("after")));

    assertEquals(2, stats.snapshot().malformed());
    assertEquals(1, stats.snapshot().captured());
    assertEquals(1, sink.events.size());
    assertEquals(1, warnings.size(), "rate-limited warning");
    assertTrue(warnings.getFirst().contains("malformed"), warnings.getFirst());
  }
}
