package io.ecapture.kafka.collector.sink;

import io.ecapture.kafka.proto.capture.LogLevel;
import io.ecapture.kafka.proto.capture.ProcessLog;
import java.time.Instant;
import org.slf4j.Logger;

/**
 * The collector's process log: each line goes to the local log and, as a {@link ProcessLog} of
 * component {@value #COMPONENT}, to the sink (topic ecapture.logs, best effort: a line the sink
 * refuses is only logged locally).
 */
public final class ProcessLogger {
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

  public void info(String message) {
    log(LogLevel.INFO, message);
  }

  public void warn(String message) {
    log(LogLevel.WARN, message);
  }

  public void error(String message) {
    log(LogLevel.ERROR, message);
  }

  public void log(LogLevel level, String message) {
    switch (level) {
      case WARN -> local.warn(message);
      case ERROR -> local.error(message);
      default -> local.info(message);
    }
    Instant now = Instant.now();
    try {
      sink.log(
          ProcessLog.newBuilder()
              .setHostId(hostId)
              .setComponent(COMPONENT)
              .setWallTimeNs(now.getEpochSecond() * 1_000_000_000L + now.getNano())
              .setLevel(level)
              .setMessage(message)
              .build());
    } catch (RuntimeException e) {
      local.warn("process log not delivered: {}", e.toString());
    }
  }
}
