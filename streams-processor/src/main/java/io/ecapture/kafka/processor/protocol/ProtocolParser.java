package io.ecapture.kafka.processor.protocol;

/**
 * The framing of one application protocol over one direction of a byte stream: detect a start,
 * find a frame boundary (resync), parse one frame; the parser half of a {@link ProtocolHandler}.
 * Implementations are stateless over the bytes they are given (the driver keeps the bytes), so
 * re-parsing a buffer after more data arrived is always correct.
 *
 * <p>Contract of {@link #parse}: look at one message starting at {@code from}; answer SUCCESS
 * with the bytes it spans, NEEDS_MORE_DATA while the bytes are a valid prefix, or INVALID. With
 * {@code atEnd} (idle, close, gap) no more bytes will come: never answer NEEDS_MORE_DATA then,
 * but return an incomplete message flagged truncated, or INVALID.
 *
 * @param <M> the parsed message type
 */
public interface ProtocolParser<M> {

  /** Whether a message of this protocol could start at {@code from}. */
  Detection detect(byte[] data, int from, int to);

  /** The first index in [from, to) where a message could start, or -1 (resync after INVALID). */
  int findBoundary(byte[] data, int from, int to);

  ParseResult<M> parse(byte[] data, int from, int to, boolean atEnd, ParseContext context);

  /** Answer of {@link #detect}. */
  enum Detection {
    MATCH,
    NEEDS_MORE_DATA,
    NO_MATCH
  }
}
