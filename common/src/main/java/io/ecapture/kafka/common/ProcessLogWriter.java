package io.ecapture.kafka.common;

import io.ecapture.kafka.proto.capture.LogLevel;
import io.ecapture.kafka.proto.capture.ProcessLog;
import java.time.Instant;

/**
 * A component's process log: lines to its own log and, as {@link ProcessLog}s, to {@code
 * ecapture.logs}. {@link KafkaProcessLog} (processor, gateway) and the collector's spooled one
 * write the same records ({@link #line}).
 */
public interface ProcessLogWriter {
  /** Logs {@code message} locally and sends it on, best effort. */
  void log(LogLevel level, String message);

  default void info(String message) {
    log(LogLevel.INFO, message);
  }

  default void warn(String message) {
    log(LogLevel.WARN, message);
  }

  default void error(String message) {
    log(LogLevel.ERROR, message);
  }

  /** The {@link ProcessLog} of one line of {@code component} on {@code hostId}, stamped now (wall clock). */
  static ProcessLog line(String hostId, String component, LogLevel level, String message) {
    Instant now = Instant.now();
    return ProcessLog.newBuilder()
        .setHostId(hostId)
        .setComponent(component)
        .setWallTimeNs(now.getEpochSecond() * 1_000_000_000L + now.getNano())
        .setLevel(level)
        .setMessage(message)
        .build();
  }
}
