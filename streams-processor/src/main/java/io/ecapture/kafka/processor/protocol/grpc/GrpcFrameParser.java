package io.ecapture.kafka.processor.protocol.grpc;

import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import java.util.ArrayList;
import java.util.List;

/**
 * gRPC's length-prefixed messages inside one HTTP/2 stream body (gRPC over HTTP/2,
 * "Length-Prefixed-Message"). The flag byte must be 0 or 1
 * (other values are reserved: INVALID). Stateless: one message per parse.
 */
public final class GrpcFrameParser implements ProtocolParser<GrpcFrame> {
  private static final int PREFIX = 5;

  private final int maxPayloadBytes;
  private final int maxMessages;

  /**
   * @param maxPayloadBytes payload bytes kept per message
   * @param maxMessages messages {@link #split} lists per stream; a stream of many tiny messages
   *     must not blow up one record
   */
  public GrpcFrameParser(int maxPayloadBytes, int maxMessages) {
    this.maxPayloadBytes = maxPayloadBytes;
    this.maxMessages = maxMessages;
  }

  @Override
  public Detection detect(byte[] data, int from, int to) {
    if (to <= from) {
      return Detection.NEEDS_MORE_DATA;
    }
    return (data[from] & 0xff) <= 1 ? Detection.MATCH : Detection.NO_MATCH;
  }

  /** No marker to resync on inside a body. */
  @Override
  public int findBoundary(byte[] data, int from, int to) {
    return -1;
  }

  @Override
  public ParseResult<GrpcFrame> parse(byte[] data, int from, int to, boolean atEnd,
      ParseContext context) {
    if (to - from < PREFIX) {
      return atEnd ? ParseResult.invalid("input ends inside a message prefix")
          : ParseResult.needsMoreData(PREFIX);
    }
    int flag = data[from] & 0xff;
    if (flag > 1) {
      return ParseResult.invalid("reserved compressed-flag value " + flag);
    }
    long length = (data[from + 1] & 0xffL) << 24 | (data[from + 2] & 0xffL) << 16
        | (data[from + 3] & 0xffL) << 8 | (data[from + 4] & 0xffL);
    long available = to - from - PREFIX;
    if (available < length && !atEnd) {
      return ParseResult.needsMoreData(PREFIX + length);
    }
    int present = (int) Math.min(available, length);
    int kept = Math.min(present, maxPayloadBytes);
    byte[] payload = new byte[kept];
    System.arraycopy(data, from + PREFIX, payload, 0, kept);
    return ParseResult.success(new GrpcFrame(flag == 1, length, payload, kept < length),
        PREFIX + present, length - present);
  }

  /**
   * Every message of a whole stream body, in order. {@code bodyComplete} is false when the body
   * was cut (capture, limit): the last message may then be incomplete and is returned truncated.
   *
   * @return the messages, plus whether the body held more than could be listed or was invalid
   */
  public Split split(byte[] body, boolean bodyComplete) {
    List<GrpcFrame> frames = new ArrayList<>();
    int pos = 0;
    while (pos < body.length) {
      if (frames.size() >= maxMessages) {
        return new Split(frames, true);
      }
      ParseResult<GrpcFrame> result = parse(body, pos, body.length, true, ParseContext.NONE);
      if (result.message() == null) {
        return new Split(frames, true);
      }
      frames.add(result.message());
      pos += result.consumed();
    }
    boolean cut = !bodyComplete || frames.stream().anyMatch(GrpcFrame::truncated);
    return new Split(frames, cut);
  }

  /** Result of {@link #split}. */
  public record Split(List<GrpcFrame> frames, boolean truncated) {}
}
