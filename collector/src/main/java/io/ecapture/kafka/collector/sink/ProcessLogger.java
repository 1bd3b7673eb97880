package io.ecapture.kafka.collector.sink;

import io.ecapture.kafka.common.ProcessLogWriter;
import io.ecapture.kafka.proto.capture.LogLevel;
import io.ecapture.kafka.proto.capture.ProcessLog;
import org.slf4j.Logger;

/**
 * The collector's process log: each line goes to the local log and, as a {@link ProcessLog} of
 * component {@value #COMPONENT}, to the sink (topic ecapture.logs, best effort: a line the sink
 * refuses is only logged locally). The records are built as {@code KafkaProcessLog}'s ({@link
 * ProcessLogWriter#line}); the sink spools them.
 */
public final class ProcessLogger implements ProcessLogWriter {
  /** Component name in process logs. */
  public static final String COMPONENT = "collector";

  private final Logger local;
  private final String hostId;
  private final CaptureSink sink;

  /** @param local where every line is also logged (the collector's own logger) */
  public ProcessLogger(Logger local, String hostId, CaptureSink sink) {
    this.local = local;
    this.hostId = hostId;
    this.sink = sink;
  }

  @Override
  public void log(LogLevel level, String message) {
    switch (level) {
      case WARN -> local.warn(message);
      case ERROR -> local.error(message);
      default -> local.info(message);
    }
    try {
      sink.log(ProcessLogWriter.line(hostId, COMPONENT, level, message));
    } catch (RuntimeException e) {
      local.warn("process log not delivered: {}", e.toString());
    }
  }
}
