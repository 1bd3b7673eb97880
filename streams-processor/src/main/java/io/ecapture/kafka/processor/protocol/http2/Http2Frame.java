package io.ecapture.kafka.processor.protocol.http2;

/**
 * One HTTP/2 frame (RFC 9113 §4.1), or the client connection preface (§3.4) as a pseudo-frame.
 *
 * @param type frame type, or {@link #PREFACE}
 * @param flags frame flags
 * @param streamId stream identifier (reserved bit cleared)
 * @param payload frame payload, at most the body limit
 * @param length payload length announced by the frame header
 * @param truncated bytes of the payload are missing
 */
public record Http2Frame(int type, int flags, int streamId, byte[] payload, int length,
    boolean truncated) {
  public static final int PREFACE = -1;
  public static final int DATA = 0x0;
  public static final int HEADERS = 0x1;
  public static final int PRIORITY = 0x2;
  public static final int RST_STREAM = 0x3;
  public static final int SETTINGS = 0x4;
  public static final int PUSH_PROMISE = 0x5;
  public static final int PING = 0x6;
  public static final int GOAWAY = 0x7;
  public static final int WINDOW_UPDATE = 0x8;
  public static final int CONTINUATION = 0x9;

  public static final int FLAG_END_STREAM = 0x1;
  public static final int FLAG_END_HEADERS = 0x4;
  public static final int FLAG_PADDED = 0x8;
  public static final int FLAG_PRIORITY = 0x20;

  public boolean has(int flag) {
    return (flags & flag) != 0;
  }
}
