package io.ecapture.kafka.forwarder.format;

import io.ecapture.kafka.common.IpAddresses;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The text format, after eCapture's text mode: per event a header line with the time, host,
 * process, direction and tuple, then the payload (rendered message, or a hex dump) and a blank
 * line:
 *
 * <pre>
 * 2026-12-06T07:40:01.123456789Z host=web-1 PID:4242, Comm:curl, TID:4242, FD:5, Send 78 bytes 127.0.0.1:51334 -> 127.0.0.1:8443, HTTP/1 request (type 1), Payload:
 * GET / HTTP/1.1
 * Host: 127.0.0.1:8443
 * </pre>
 *
 * Process logs are one line: {@code TIME host=H COMPONENT LEVEL message}.
 */
public final class TextFormatter {
  private final boolean hex;
  private final int truncate;

  /**
   * @param hex payloads as hex dumps ({@code --hex})
   * @param truncate payload bytes shown at most, 0 = all ({@code --truncate}, {@code --tsize})
   */
  public TextFormatter(boolean hex, int truncate) {
    this.hex = hex;
    this.truncate = truncate;
  }

  public byte[] event(ParsedMessage m, long fallbackTimeNs) {
    StringBuilder s = new StringBuilder((int) Math.min(Integer.MAX_VALUE - 256, ParsedText.renderedSize(m)) + 256);
    long ns = m.getFirstByteTimeNs() > 0 ? m.getFirstByteTimeNs() : fallbackTimeNs;
    s.append(time(ns)).append(" host=").append(m.getHostId())
        .append(" PID:").append(Integer.toUnsignedString(m.getPid()))
        .append(", Comm:").append(m.getComm())
        .append(", TID:").append(Integer.toUnsignedString(m.getTid()))
        .append(", FD:").append(Integer.toUnsignedString(m.getFd()))
        .append(", ");
    int length = Payloads.bytes(m).size();
    String local = endpoint(m.hasSrc(), m.getSrc());
    String remote = endpoint(m.hasDst(), m.getDst());
    if (m.getDirection() == Direction.WRITE) {
      s.append("Send ").append(length).append(" bytes ").append(local).append(" -> ").append(remote);
    } else if (m.getDirection() == Direction.READ) {
      s.append("Received ").append(length).append(" bytes ").append(local).append(" <- ").append(remote);
    } else {
      s.append(length).append(" bytes ").append(local).append(" - ").append(remote);
    }
    int type = EventKinds.type(m);
    s.append(", ").append(EventKinds.typeName(type)).append(" (type ").append(type).append(')');
    if (m.getGapBefore()) {
      s.append(", bytes missing before");
    }
    s.append(", Payload:\n");
    String payload = Payloads.render(m, hex, truncate);
    s.append(payload);
    if (!payload.endsWith("\n")) {
      s.append('\n');
    }
    s.append('\n');
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  public byte[] log(ProcessLog log, long fallbackTimeNs) {
    long ns = log.getWallTimeNs() > 0 ? log.getWallTimeNs() : fallbackTimeNs;
    String line = time(ns) + " host=" + log.getHostId() + " " + log.getComponent() + " " + log.getLevel().name()
        + " " + log.getMessage().replace('\n', ' ') + "\n";
    return line.getBytes(StandardCharsets.UTF_8);
  }

  static String time(long unixNs) {
    return Instant.ofEpochSecond(Math.floorDiv(unixNs, 1_000_000_000L), Math.floorMod(unixNs, 1_000_000_000L)).toString();
  }

  private static String endpoint(boolean present, Endpoint e) {
    if (!present || e.getIp().isEmpty()) {
      return "?:" + e.getPort();
    }
    return IpAddresses.withPort(IpAddresses.normalize(e.getIp()), e.getPort());
  }
}
