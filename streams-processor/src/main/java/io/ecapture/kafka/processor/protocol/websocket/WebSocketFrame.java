package io.ecapture.kafka.processor.protocol.websocket;

/**
 * One parsed WebSocket frame.
 *
 * @param fin last frame of a message
 * @param rsv1 RSV1 bit (permessage-deflate compression, RFC 7692)
 * @param opcode frame opcode (RFC 6455 §5.2)
 * @param masked whether the frame carried a masking key (client to server)
 * @param payloadLength length announced by the frame header
 * @param payload unmasked payload, at most the body limit
 * @param truncated bytes of the payload are missing (limit or end of input)
 */
public record WebSocketFrame(
    boolean fin,
    boolean rsv1,
    int opcode,
    boolean masked,
    long payloadLength,
    byte[] payload,
    boolean truncated) {

  public static final int CONTINUATION = 0x0;
  public static final int TEXT = 0x1;
  public static final int BINARY = 0x2;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;
  public static final int PONG = 0xA;

  public String opcodeName() {
    return switch (opcode) {
      case CONTINUATION -> "continuation";
      case TEXT -> "text";
      case BINARY -> "binary";
      case CLOSE -> "close";
      case PING -> "ping";
      case PONG -> "pong";
      default -> "reserved-" + opcode;
    };
  }

  /** Close status code (RFC 6455 §5.5.1), or 0 when the close frame has none. */
  public int closeCode() {
    return opcode == CLOSE && payload.length >= 2 ? (payload[0] & 0xff) << 8 | (payload[1] & 0xff) : 0;
  }
}
