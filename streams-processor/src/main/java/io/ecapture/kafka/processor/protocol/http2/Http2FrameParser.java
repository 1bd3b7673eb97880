package io.ecapture.kafka.processor.protocol.http2;

import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/2 frame layer (RFC 9113 §4.1): the 24-byte client preface, then 9-byte frame headers
 * each followed by its payload. Stateless: one frame per parse. Frame semantics (streams, HPACK)
 * belong to the caller.
 *
 * <p>A frame is INVALID when its length exceeds {@code maxFrameBytes} (peers may raise
 * SETTINGS_MAX_FRAME_SIZE up to 2^24-1, §6.5.2; we accept up to the configured bound) or its
 * type is a known one on the wrong kind of stream (§6: DATA/HEADERS on stream 0, SETTINGS/PING/
 * GOAWAY on a stream).
 */
public final class Http2FrameParser implements ProtocolParser<Http2Frame> {
  /** RFC 9113 §3.4: what a client sends first. */
  public static final byte[] CLIENT_PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final int FRAME_HEADER = 9;

  private final int maxFrameBytes;
  private final int maxPayloadKept;

  public Http2FrameParser(int maxFrameBytes, int maxPayloadKept) {
    this.maxFrameBytes = maxFrameBytes;
    this.maxPayloadKept = maxPayloadKept;
  }

  /** MATCH on the client preface or a server SETTINGS frame on stream 0 (a server's first frame). */
  @Override
  public Detection detect(byte[] data, int from, int to) {
    Detection preface = matchPreface(data, from, to);
    if (preface != Detection.NO_MATCH) {
      return preface;
    }
    if (to - from < FRAME_HEADER) {
      return couldBeSettings(data, from, to) ? Detection.NEEDS_MORE_DATA : Detection.NO_MATCH;
    }
    return couldBeSettings(data, from, to) ? Detection.MATCH : Detection.NO_MATCH;
  }

  /** Whether the bytes are (a prefix of) the client connection preface. */
  public static Detection matchPreface(byte[] data, int from, int to) {
    int n = Math.min(CLIENT_PREFACE.length, to - from);
    for (int i = 0; i < n; i++) {
      if (data[from + i] != CLIENT_PREFACE[i]) {
        return Detection.NO_MATCH;
      }
    }
    return n == CLIENT_PREFACE.length ? Detection.MATCH : Detection.NEEDS_MORE_DATA;
  }

  /** SETTINGS (type 4), flags 0 or ACK, stream 0, length a multiple of 6 (§6.5). */
  private static boolean couldBeSettings(byte[] data, int from, int to) {
    int[] expected = {-1, -1, -1, 0x04, -2, 0, 0, 0, 0};
    for (int i = 0; i < Math.min(FRAME_HEADER, to - from); i++) {
      int b = data[from + i] & 0xff;
      if (expected[i] == -2 ? b > 1 : expected[i] >= 0 && b != expected[i]) {
        return false;
      }
    }
    if (to - from >= 3) {
      int length = (data[from] & 0xff) << 16 | (data[from + 1] & 0xff) << 8 | (data[from + 2] & 0xff);
      return length % 6 == 0;
    }
    return true;
  }

  /** Frames have no marker to resync on. */
  @Override
  public int findBoundary(byte[] data, int from, int to) {
    return -1;
  }

  @Override
  public ParseResult<Http2Frame> parse(
      byte[] data, int from, int to, boolean atEnd, ParseContext context) {
    Detection preface = matchPreface(data, from, to);
    if (preface == Detection.MATCH) {
      return ParseResult.success(
          new Http2Frame(Http2Frame.PREFACE, 0, 0, new byte[0], 0, false), CLIENT_PREFACE.length, 0);
    }
    if (preface == Detection.NEEDS_MORE_DATA && to - from < FRAME_HEADER) {
      return atEnd ? ParseResult.invalid("input ends inside the preface")
          : ParseResult.needsMoreData(CLIENT_PREFACE.length);
    }
    if (to - from < FRAME_HEADER) {
      return atEnd ? ParseResult.invalid("input ends inside a frame header")
          : ParseResult.needsMoreData(FRAME_HEADER);
    }
    int length = (data[from] & 0xff) << 16 | (data[from + 1] & 0xff) << 8 | (data[from + 2] & 0xff);
    int type = data[from + 3] & 0xff;
    int flags = data[from + 4] & 0xff;
    int streamId = ((data[from + 5] & 0x7f) << 24) | (data[from + 6] & 0xff) << 16
        | (data[from + 7] & 0xff) << 8 | (data[from + 8] & 0xff);
    if (length > maxFrameBytes) {
      return ParseResult.invalid("frame of " + length + " bytes exceeds " + maxFrameBytes);
    }
    String streamError = checkStream(type, streamId);
    if (streamError != null) {
      return ParseResult.invalid(streamError);
    }
    int available = to - from - FRAME_HEADER;
    if (available < length && !atEnd) {
      return ParseResult.needsMoreData((long) FRAME_HEADER + length);
    }
    int present = Math.min(available, length);
    int kept = Math.min(present, maxPayloadKept);
    byte[] payload = new byte[kept];
    System.arraycopy(data, from + FRAME_HEADER, payload, 0, kept);
    Http2Frame frame = new Http2Frame(type, flags, streamId, payload, length, kept < length);
    return ParseResult.success(frame, FRAME_HEADER + present, length - present);
  }

  private static String checkStream(int type, int streamId) {
    return switch (type) {
      case Http2Frame.DATA, Http2Frame.HEADERS, Http2Frame.PRIORITY, Http2Frame.RST_STREAM,
          Http2Frame.PUSH_PROMISE, Http2Frame.CONTINUATION ->
          streamId == 0 ? "frame type " + type + " on stream 0" : null;
      case Http2Frame.SETTINGS, Http2Frame.PING, Http2Frame.GOAWAY ->
          streamId != 0 ? "frame type " + type + " on stream " + streamId : null;
      default -> null; // WINDOW_UPDATE on any stream; unknown types are ignored (§4.1)
    };
  }
}
