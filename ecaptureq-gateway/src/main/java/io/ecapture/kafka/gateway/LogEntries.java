package io.ecapture.kafka.gateway;

import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.ecaptureq.Heartbeat;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;

/**
 * Builds the three kinds of eCaptureQ {@link LogEntry} and serializes them to the bytes of one
 * WebSocket binary frame (no length prefix, no batching).
 */
final class LogEntries {
  private LogEntries() {}

  /**
   * A heartbeat as eCapture sends it: Unix seconds, the connection's counter and {@code
   * "heartbeat:<count>"}. The counter must fit an int32 because eCaptureQ casts it.
   */
  static LogEntry heartbeat(long unixSeconds, int count) {
    return LogEntry.newBuilder()
        .setLogType(LogType.HEARTBEAT)
        .setHeartbeatPayload(
            Heartbeat.newBuilder()
                .setTimestamp(unixSeconds)
                .setCount(count)
                .setMessage("heartbeat:" + count))
        .build();
  }

  /** A process-log line (protobuf-java encodes any Java string as valid UTF-8). */
  static LogEntry runLog(String line) {
    return LogEntry.newBuilder().setLogType(LogType.PROCESS_LOG).setRunLog(line).build();
  }

  static LogEntry event(Event event) {
    return LogEntry.newBuilder().setLogType(LogType.EVENT).setEventPayload(event).build();
  }

  /** The frame payload: the serialized entry. */
  static byte[] frame(LogEntry entry) {
    return entry.toByteArray();
  }
}
