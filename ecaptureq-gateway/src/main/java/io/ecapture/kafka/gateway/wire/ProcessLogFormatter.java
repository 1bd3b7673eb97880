package io.ecapture.kafka.gateway.wire;

import io.ecapture.kafka.proto.capture.ProcessLog;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

/**
 * Renders a fleet {@link ProcessLog} as one readable line for eCaptureQ's log pane:
 * {@code 2026-11-24T09:04:17.123Z INF [host-a/collector] message}. The level abbreviations are
 * zerolog's, which is what eCapture's own log lines look like.
 */
public final class ProcessLogFormatter {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_INSTANT;

  private ProcessLogFormatter() {}

  public static String format(ProcessLog log) {
    String time =
        log.getWallTimeNs() > 0
            ? TIME.format(Instant.ofEpochSecond(0, log.getWallTimeNs()))
            : "-";
    return time
        + ' '
        + level(log)
        + " ["
        + orDash(log.getHostId())
        + '/'
        + orDash(log.getComponent())
        + "] "
        + stripTrailingNewlines(log.getMessage());
  }

  /** A line the gateway itself adds (it has no producer: these stay local to this instance). */
  public static String local(Instant now, String level, String message) {
    return TIME.format(now) + ' ' + level + " [gateway] " + message;
  }

  private static String level(ProcessLog log) {
    return switch (log.getLevel()) {
      case INFO -> "INF";
      case WARN -> "WRN";
      case ERROR -> "ERR";
      case UNRECOGNIZED -> "???";
    };
  }

  private static String orDash(String s) {
    return s.isEmpty() ? "-" : s;
  }

  private static String stripTrailingNewlines(String s) {
    int end = s.length();
    while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) {
      end--;
    }
    return s.substring(0, end);
  }
}
