package io.ecapture.kafka.gateway.wire;

import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.ecaptureq.Heartbeat;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import io.ecapture.kafka.proto.capture.Workload;

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

  /**
   * Gateway extension: the message's workload (cgroup, container, pod), a length-delimited field
   * holding a serialized {@code ecapturekafka.capture.Workload} (capture.proto), also unknown to
   * eCaptureQ. Only sent to clients that ask with {@code ?annotate=workload}, and only for
   * messages that have one.
   */
  public static final int WORKLOAD_FIELD = 16;

  /**
   * Gateway extension ({@code ?annotate=pair}): the processor's pair id, a string the same on a
   * request and its response ({@code ParsedMessage.pair_id}). eCaptureQ pairs by order only.
   */
  public static final int PAIR_FIELD = 17;

  /** Gateway extension ({@code ?annotate=pair}): a response's latency in ns, a varint. */
  public static final int LATENCY_FIELD = 18;

  /**
   * Gateway extension ({@code ?annotate=pair}): the HTTP authority ({@code :authority} or {@code
   * Host}), a string; HTTP/2's display text has no pseudo-headers.
   */
  public static final int AUTHORITY_FIELD = 19;

  private LogEntries() {}

  /**
   * The frame with the pair fields of {@code m} appended ({@link #PAIR_FIELD}, {@link
   * #LATENCY_FIELD}, {@link #AUTHORITY_FIELD}), each only when {@code m} has it.
   */
  public static byte[] withPair(byte[] frame, io.ecapture.kafka.proto.parsed.ParsedMessage m) {
    byte[] out = frame;
    if (!m.getPairId().isEmpty()) {
      out = append(out, PAIR_FIELD, m.getPairId().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    if (m.getLatencyNs() > 0) {
      int extra = com.google.protobuf.CodedOutputStream.computeUInt64Size(LATENCY_FIELD,
          m.getLatencyNs());
      byte[] longer = java.util.Arrays.copyOf(out, out.length + extra);
      com.google.protobuf.CodedOutputStream tail =
          com.google.protobuf.CodedOutputStream.newInstance(longer, out.length, extra);
      try {
        tail.writeUInt64(LATENCY_FIELD, m.getLatencyNs());
        tail.checkNoSpaceLeft();
      } catch (java.io.IOException e) {
        throw new IllegalStateException("sized exactly, cannot overflow", e);
      }
      out = longer;
    }
    if (m.hasHttp() && !m.getHttp().getAuthority().isEmpty()) {
      out = append(out, AUTHORITY_FIELD,
          m.getHttp().getAuthority().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return out;
  }

  /** The frame with {@link #HOST_FIELD} appended: protobuf fields may come in any order. */
  public static byte[] withHost(byte[] frame, String hostId) {
    return append(frame, HOST_FIELD, hostId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** The frame with {@link #WORKLOAD_FIELD} appended. */
  public static byte[] withWorkload(byte[] frame, Workload workload) {
    return append(frame, WORKLOAD_FIELD, workload.toByteArray());
  }

  private static byte[] append(byte[] frame, int field, byte[] value) {
    int extra =
        com.google.protobuf.CodedOutputStream.computeTagSize(field)
            + com.google.protobuf.CodedOutputStream.computeUInt32SizeNoTag(value.length)
            + value.length;
    byte[] out = java.util.Arrays.copyOf(frame, frame.length + extra);
    com.google.protobuf.CodedOutputStream tail =
        com.google.protobuf.CodedOutputStream.newInstance(out, frame.length, extra);
    try {
      tail.writeByteArray(field, value);
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
