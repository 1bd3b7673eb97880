package io.ecapture.kafka.gateway.wire;

import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.ecaptureq.Heartbeat;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;

/**
 * Builds the three kinds of eCaptureQ {@link LogEntry} and serializes them to the bytes of one
 * WebSocket binary frame (no length prefix, no batching).
 */
public final class LogEntries {
  /**
   * Gateway extension: the capturing host's id, a string field of LogEntry that eCaptureQ's
   * schema does not have (its decoders skip it). Only sent to clients that ask with {@code
   * ?annotate=host}; 15 keeps clear of eCapture's numbers 1..4 and still encodes in one tag byte.
   */
  public static final int HOST_FIELD = 15;

  private LogEntries() {}

  /** The frame with {@link #HOST_FIELD} appended: protobuf fields may come in any order. */
  public static byte[] withHost(byte[] frame, String hostId) {
    byte[] host = hostId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int extra =
        com.google.protobuf.CodedOutputStream.computeTagSize(HOST_FIELD)
            + com.google.protobuf.CodedOutputStream.computeUInt32SizeNoTag(host.length)
            + host.length;
    byte[] out = java.util.Arrays.copyOf(frame, frame.length + extra);
    com.google.protobuf.CodedOutputStream tail =
        com.google.protobuf.CodedOutputStream.newInstance(out, frame.length, extra);
    try {
      tail.writeByteArray(HOST_FIELD, host);
      tail.checkNoSpaceLeft();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("sized exactly, cannot overflow", e);
    }
    return out;
  }

  /**
   * A heartbeat as eCapture sends it: Unix seconds, the connection's counter and {@code
   * "heartbeat:<count>"}. The counter must fit an int32 because eCaptureQ casts it.
   */
  public static LogEntry heartbeat(long unixSeconds, int count) {
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
  public static LogEntry runLog(String line) {
    return LogEntry.newBuilder().setLogType(LogType.PROCESS_LOG).setRunLog(line).build();
  }

  public static LogEntry event(Event event) {
    return LogEntry.newBuilder().setLogType(LogType.EVENT).setEventPayload(event).build();
  }

  /** The frame payload: the serialized entry. */
  public static byte[] frame(LogEntry entry) {
    return entry.toByteArray();
  }
}
