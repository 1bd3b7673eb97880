package io.ecapture.kafka.gateway.wire;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.common.HexDump;
import io.ecapture.kafka.common.IpAddresses;
import io.ecapture.kafka.gateway.GatewayCounters;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.charset.StandardCharsets;

/**
 * Maps a {@link ParsedMessage} of {@code ecapture.parsed} to the eCaptureQ {@link Event} it shows.
 *
 * <ul>
 *   <li>timestamp: the message's first byte, Unix ns (eCaptureQ guesses the unit from the
 *       magnitude and only ns display right); the Kafka record time when the message has none.
 *   <li>uuid: eCapture v1's {@code Pid_Tid_Comm_Fd_DataType_Tuple}, DataType 0 read / 1 write,
 *       Tuple {@code srcip:port-dstip:port} (IPv6 in RFC 5952 form and in brackets so the
 *       separators stay unambiguous: {@code [::1]:443}).
 *   <li>endpoints: src is the capturing process's side; {@code 127.0.0.1:0} stands for an unknown
 *       endpoint, as eCapture's modules without a 4-tuple do.
 *   <li>pid: 0 when it does not fit an int32 (eCaptureQ casts it).
 *   <li>type: from protocol and kind, see {@link EventType}.
 *   <li>payload: {@code rendered}; when nothing was rendered, a hex dump of {@code raw} in Go's
 *       {@code hex.Dump} layout (as eCapture prints binary payloads, and as the processor renders
 *       them), as many whole lines as fit in {@code maxPayloadBytes}; cut at a UTF-8 boundary with
 *       a visible marker beyond {@code maxPayloadBytes}. length = its size.
 * </ul>
 */
public final class EventMapper {
  /** Stands for an unknown endpoint's address, as eCapture's modules without a 4-tuple send. */
  public static final String PLACEHOLDER_IP = "127.0.0.1";

  private final int maxPayloadBytes;
  private final GatewayCounters counters;

  /**
   * @param maxPayloadBytes longest payload sent; longer ones are cut and counted in {@code
   *     counters.truncatedPayloads}
   */
  public EventMapper(int maxPayloadBytes, GatewayCounters counters) {
    this.maxPayloadBytes = maxPayloadBytes;
    this.counters = counters;
  }

  /**
   * @param fallbackTimeNs Unix ns used when the message carries no first-byte time
   */
  public Event map(ParsedMessage m, long fallbackTimeNs) {
    boolean hasSrc = hasEndpoint(m.hasSrc(), m.getSrc());
    boolean hasDst = hasEndpoint(m.hasDst(), m.getDst());
    // RFC 5952 text (::1) also for records of processors that wrote 0:0:0:0:0:0:0:1
    String srcIp = hasSrc ? IpAddresses.normalize(m.getSrc().getIp()) : PLACEHOLDER_IP;
    int srcPort = hasSrc ? m.getSrc().getPort() : 0;
    String dstIp = hasDst ? IpAddresses.normalize(m.getDst().getIp()) : PLACEHOLDER_IP;
    int dstPort = hasDst ? m.getDst().getPort() : 0;
    long pid = Integer.toUnsignedLong(m.getPid());
    ByteString payload = payload(m);
    return Event.newBuilder()
        .setTimestamp(m.getFirstByteTimeNs() > 0 ? m.getFirstByteTimeNs() : fallbackTimeNs)
        .setUuid(uuid(m, tuple(srcIp, srcPort, dstIp, dstPort)))
        .setSrcIp(srcIp)
        .setSrcPort(srcPort)
        .setDstIp(dstIp)
        .setDstPort(dstPort)
        .setPid(pid <= Integer.MAX_VALUE ? pid : 0)
        .setPname(m.getComm())
        .setType(EventType.of(m).wire())
        .setLength(payload.size())
        .setPayload(payload)
        .build();
  }

  private static boolean hasEndpoint(boolean present, Endpoint e) {
    return present && !e.getIp().isEmpty();
  }

  static String tuple(String srcIp, int srcPort, String dstIp, int dstPort) {
    return IpAddresses.withPort(srcIp, srcPort) + '-' + IpAddresses.withPort(dstIp, dstPort);
  }

  private static String uuid(ParsedMessage m, String tuple) {
    int dataType = m.getDirection() == Direction.WRITE ? 1 : 0;
    return Integer.toUnsignedString(m.getPid()) + '_' + Integer.toUnsignedString(m.getTid()) + '_'
        + m.getComm() + '_' + Integer.toUnsignedString(m.getFd()) + '_' + dataType + '_' + tuple;
  }

  private ByteString payload(ParsedMessage m) {
    ByteString text = ParsedText.rendered(m);
    if (text.isEmpty() && !m.getRaw().isEmpty()) {
      // a dumped byte takes ~5 characters: beyond one line, more than maxPayloadBytes bytes never
      // fit, so no more are copied
      int bytes = Math.min(m.getRaw().size(), Math.max(HexDump.BYTES_PER_LINE, maxPayloadBytes));
      byte[] raw = m.getRaw().substring(0, bytes).toByteArray();
      text = ByteString.copyFrom(HexDump.dumpWithin(raw, maxPayloadBytes), StandardCharsets.US_ASCII);
    }
    if (text.size() <= maxPayloadBytes) {
      return text;
    }
    counters.truncatedPayloads.increment();
    return truncate(text, maxPayloadBytes);
  }

  /**
   * Cuts {@code text} to at most {@code max} bytes including a notice saying so: the payload's
   * size in total and how many of its first bytes are shown (the processor's own notes, e.g. a
   * body cut at its body limit, come before and may be among the bytes cut).
   */
  static ByteString truncate(ByteString text, int max) {
    // the notice names the bytes kept: size it with as many digits as max has (kept <= max)
    int noticeSize = notice(text.size(), max).size();
    int cut = Math.max(0, max - noticeSize);
    // back off UTF-8 continuation bytes (10xxxxxx) so the text part stays decodable
    while (cut > 0 && (text.byteAt(cut) & 0xC0) == 0x80) {
      cut--;
    }
    ByteString result = text.substring(0, cut).concat(notice(text.size(), cut));
    return result.size() <= max ? result : result.substring(0, max);
  }

  private static ByteString notice(int total, int kept) {
    return ByteString.copyFromUtf8("\n[ecaptureq-gateway: payload cut, " + total
        + " bytes, first " + kept + " shown]");
  }
}
