package io.ecapture.kafka.processor.protocol.websocket;

import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ProtocolParser;

/**
 * WebSocket base framing (RFC 6455 §5.2), used on a direction once its connection upgraded.
 * Stateless like every {@link ProtocolParser}: one frame per parse, payload unmasked.
 *
 * <p>A frame is INVALID when it uses a reserved opcode, a control frame is fragmented or longer
 * than 125 bytes (§5.5), a 64-bit length has its top bit set, or a minimal-length rule is broken
 * (§5.2 "the minimal number of bytes MUST be used"). RSV2/RSV3 must be 0: no extension defining
 * them exists; RSV1 is allowed for permessage-deflate (RFC 7692): the frame parser reports it,
 * {@code WebSocketMessageAssembler} inflates whole messages.
 */
public final class WebSocketFrameParser implements ProtocolParser<WebSocketFrame> {
  private static final int MAX_CONTROL_PAYLOAD = 125;

  private final int maxPayloadBytes;

  public WebSocketFrameParser(int maxPayloadBytes) {
    this.maxPayloadBytes = maxPayloadBytes;
  }

  @Override
  public Detection detect(byte[] data, int from, int to) {
    if (to - from < 2) {
      return to > from && !plausibleFirstByte(data[from]) ? Detection.NO_MATCH : Detection.NEEDS_MORE_DATA;
    }
    return plausibleFirstByte(data[from]) ? Detection.MATCH : Detection.NO_MATCH;
  }

  /** No byte pattern marks a frame start: after an invalid frame there is nothing to resync on. */
  @Override
  public int findBoundary(byte[] data, int from, int to) {
    return -1;
  }

  @Override
  public ParseResult<WebSocketFrame> parse(
      byte[] data, int from, int to, boolean atEnd, ParseContext context) {
    if (to - from < 2) {
      return atEnd ? ParseResult.invalid("input ends inside a frame header") : ParseResult.needsMoreData(2);
    }
    int b0 = data[from] & 0xff;
    int b1 = data[from + 1] & 0xff;
    boolean fin = (b0 & 0x80) != 0;
    int opcode = b0 & 0x0f;
    if (!plausibleFirstByte(data[from])) {
      return ParseResult.invalid("reserved opcode or RSV2/RSV3 set: 0x" + Integer.toHexString(b0));
    }
    boolean masked = (b1 & 0x80) != 0;
    int shortLength = b1 & 0x7f;
    int headerLength = 2 + (shortLength == 126 ? 2 : shortLength == 127 ? 8 : 0) + (masked ? 4 : 0);
    if (to - from < headerLength) {
      return atEnd ? ParseResult.invalid("input ends inside a frame header")
          : ParseResult.needsMoreData(headerLength);
    }
    long length = shortLength;
    if (shortLength == 126) {
      length = (data[from + 2] & 0xffL) << 8 | (data[from + 3] & 0xffL);
      if (length < 126) {
        return ParseResult.invalid("16-bit length " + length + " not minimal");
      }
    } else if (shortLength == 127) {
      length = 0;
      for (int i = 0; i < 8; i++) {
        length = length << 8 | (data[from + 2 + i] & 0xffL);
      }
      if (length < 0) {
        return ParseResult.invalid("64-bit length with the most significant bit set");
      }
      if (length <= 0xffff) {
        return ParseResult.invalid("64-bit length " + length + " not minimal");
      }
    }
    if (opcode >= WebSocketFrame.CLOSE && (!fin || length > MAX_CONTROL_PAYLOAD)) {
      return ParseResult.invalid("fragmented or oversized control frame");
    }
    int payloadStart = from + headerLength;
    long available = to - payloadStart;
    if (available < length && !atEnd) {
      return ParseResult.needsMoreData(headerLength + length);
    }
    int present = (int) Math.min(available, length);
    int kept = Math.min(present, maxPayloadBytes);
    byte[] payload = new byte[kept];
    System.arraycopy(data, payloadStart, payload, 0, kept);
    if (masked) {
      // RFC 6455 §5.3: octet i is XORed with mask octet i mod 4
      int maskAt = payloadStart - 4;
      for (int i = 0; i < kept; i++) {
        payload[i] ^= data[maskAt + (i & 3)];
      }
    }
    WebSocketFrame frame =
        new WebSocketFrame(fin, (b0 & 0x40) != 0, opcode, masked, length, payload, kept < length);
    return ParseResult.success(frame, headerLength + present, length - present);
  }

  /** Defined opcode (§5.2: 3-7 and B-F are reserved) and RSV2/RSV3 clear. */
  private static boolean plausibleFirstByte(byte b) {
    int opcode = b & 0x0f;
    boolean definedOpcode = opcode <= 2 || (opcode >= 8 && opcode <= 10);
    return definedOpcode && (b & 0x30) == 0;
  }
}
