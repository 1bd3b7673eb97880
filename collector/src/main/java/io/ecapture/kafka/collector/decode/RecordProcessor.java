package io.ecapture.kafka.collector.decode;

import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.collector.sink.CaptureSink;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Consumer;

/**
 * Handles one ring-buffer record: decode, count, hand to the sink (capture events to {@link
 * CaptureSink#event}, key records as NSS key-log lines to {@link CaptureSink#keyLog}). Never throws
 * on bad input: a malformed record is counted in {@link CollectorStats} and reported (at most every
 * 10 s) to {@code warnings}. Called on the ring-buffer thread only.
 */
public final class RecordProcessor {
  private static final long WARN_EVERY_NS = 10_000_000_000L;

  private final RawEventDecoder decoder;
  private final CollectorStats stats;
  private final CaptureSink sink;
  private final Consumer<String> warnings;
  private long lastWarningNs = System.nanoTime() - WARN_EVERY_NS;

  public RecordProcessor(RawEventDecoder decoder, CollectorStats stats, CaptureSink sink, Consumer<String> warnings) {
    this.decoder = decoder;
    this.stats = stats;
    this.sink = sink;
    this.warnings = warnings;
  }

  /** One record; the segment is only read during the call. */
  public void onRecord(MemorySegment record) {
    if (record.byteSize() >= EventLayout.HEADER_SIZE
        && record.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, EventLayout.KIND) == EventLayout.KIND_KEYS) {
      onKeys(record);
      return;
    }
    if (record.byteSize() >= EventLayout.HEADER_SIZE
        && record.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, EventLayout.KIND) == EventLayout.KIND_GO_KEYLOG) {
      onGoKeyLog(record);
      return;
    }
    RawEvent event;
    try {
      event = decoder.decode(record);
    } catch (MalformedEventException e) {
      stats.onMalformed();
      long now = System.nanoTime();
      if (now - lastWarningNs >= WARN_EVERY_NS) {
        lastWarningNs = now;
        warnings.accept("malformed ring-buffer record skipped (further ones counted): " + e.getMessage());
      }
      return;
    }
    stats.onCaptured(event.hasData() ? event.getData().getPayload().size() : 0);
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
      stats.onKeyLogLines(lines.size());
    } catch (MalformedEventException e) {
      stats.onMalformed();
      warnRateLimited("key record skipped (further ones counted): " + e.getMessage());
    }
  }

  private void onGoKeyLog(MemorySegment record) {
    try {
      sink.keyLog(GoKeyLog.line(record));
      stats.onKeyLogLines(1);
    } catch (MalformedEventException e) {
      stats.onMalformed();
      warnRateLimited("Go key-log record skipped (further ones counted): " + e.getMessage());
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
