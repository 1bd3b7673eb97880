package io.ecapture.kafka.collector;

import io.ecapture.kafka.proto.capture.RawEvent;
import java.lang.foreign.MemorySegment;
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
}
