package io.ecapture.kafka.collector;

import io.ecapture.kafka.proto.capture.RawEvent;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Consumer;

/**
 * Handles one ring-buffer record: decode, count, hand to the sink. Never throws on bad input: a
 * malformed record is counted in {@link CollectorStats} and reported (rate-limited) to {@code
 * warnings}.
 */
final class RecordProcessor {
  private static final long WARN_EVERY_NS = 10_000_000_000L;

  private final RawEventDecoder decoder;
  private final CollectorStats stats;
  private final CaptureSink sink;
  private final Consumer<String> warnings;
  private long lastWarningNs = System.nanoTime() - WARN_EVERY_NS;

  RecordProcessor(RawEventDecoder decoder, CollectorStats stats, CaptureSink sink, Consumer<String> warnings) {
    this.decoder = decoder;
    this.stats = stats;
    this.sink = sink;
    this.warnings = warnings;
  }

  void onRecord(MemorySegment record) {
    if (record.byteSize() >= EventLayout.HEADER_SIZE
        && record.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, EventLayout.KIND) == EventLayout.KIND_KEYS) {
      onKeys(record);
      return;
    }
    RawEvent event;
    try {
      event = decoder.decode(record);
    } catch (MalformedEventException e) {
      stats.malformed.increment();
      long now = System.nanoTime();
      if (now - lastWarningNs >= WARN_EVERY_NS) {
        lastWarningNs = now;
        warnings.accept("malformed ring-buffer record skipped (further ones counted): " + e.getMessage());
      }
      return;
    }
    stats.captured.increment();
    if (event.hasData()) {
      stats.capturedBytes.add(event.getData().getPayload().size());
    }
    sink.event(event);
  }

  private void onKeys(MemorySegment record) {
    long dataLen = Integer.toUnsignedLong(record.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, EventLayout.DATA_LEN));
    try {
      if (EventLayout.HEADER_SIZE + dataLen > record.byteSize()) {
        throw new MalformedEventException("key record data_len " + dataLen + " beyond its " + record.byteSize() + " bytes");
      }
      List<String> lines = TlsKeyLog.lines(record.asSlice(EventLayout.HEADER_SIZE, dataLen));
      for (String line : lines) {
        sink.keyLog(line);
      }
      stats.keyLogLines.add(lines.size());
    } catch (MalformedEventException e) {
      stats.malformed.increment();
      warnRateLimited("key record skipped (further ones counted): " + e.getMessage());
    }
  }

  private void warnRateLimited(String message) {
    long now = System.nanoTime();
    if (now - lastWarningNs >= WARN_EVERY_NS) {
      lastWarningNs = now;
      warnings.accept(message);
    }
  }
}
