package io.ecapture.kafka.common;

import io.ecapture.kafka.proto.capture.LogLevel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which component's {@link KafkaProcessLog} takes the warnings and errors its classes log through
 * their ordinary loggers: a component registers the package of its classes ({@code
 * io.ecapture.kafka.processor}) when its process log starts, and the launcher's log appender
 * hands every WARN or ERROR line of a logger under that package to {@link #route}, so operators
 * watching {@code ecapture.logs} in eCaptureQ see what went wrong, not only start and stop. Lines
 * the process log wrote itself carry {@link KafkaProcessLog#ON_STREAM} and are not routed again.
 * Several components in one JVM ({@code up}) each get their own lines.
 */
public final class ProcessLogRouting {
  private static final Map<String, KafkaProcessLog> BY_PACKAGE = new ConcurrentHashMap<>();

  private ProcessLogRouting() {}

  /** Routes lines of loggers named {@code loggerPackage} or below it to {@code log}. */
  public static void register(String loggerPackage, KafkaProcessLog log) {
    BY_PACKAGE.put(loggerPackage, log);
  }

  /** Stops routing to {@code log} (it closed). */
  static void unregister(KafkaProcessLog log) {
    BY_PACKAGE.values().removeIf(registered -> registered == log);
  }

  /**
   * Queues the line for the process log registered for the longest package containing {@code
   * loggerName}; nothing when none is.
   *
   * @return whether a process log took it
   */
  public static boolean route(String loggerName, LogLevel level, String message) {
    KafkaProcessLog best = null;
    int bestLength = -1;
    for (Map.Entry<String, KafkaProcessLog> entry : BY_PACKAGE.entrySet()) {
      String prefix = entry.getKey();
      boolean under = loggerName.equals(prefix) || loggerName.startsWith(prefix + ".");
      if (under && prefix.length() > bestLength) {
        best = entry.getValue();
        bestLength = prefix.length();
      }
    }
    if (best == null) {
      return false;
    }
    best.enqueue(level, message);
    return true;
  }
}
