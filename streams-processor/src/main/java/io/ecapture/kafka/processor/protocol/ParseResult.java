package io.ecapture.kafka.processor.protocol;

/**
 * Result of {@link ProtocolParser#parse}.
 *
 * @param status see {@link ParseStatus}
 * @param message the message on SUCCESS, else null
 * @param consumed bytes of the input the message spans on SUCCESS
 * @param bytesStillExpected on a SUCCESS forced at end of input: how many more bytes the message
 *     announced (e.g. Content-Length) that are not in the input; the protocol's handler may have
 *     the driver discard them when they arrive so they are not mistaken for a new message
 * @param bytesNeeded on NEEDS_MORE_DATA: the input length (from the message start) below which
 *     parsing again cannot progress, or 0 when unknown; lets the driver skip useless re-parses
 * @param error why the input is INVALID, else null
 * @param resume on NEEDS_MORE_DATA: a parser's mark for its next parse of the same message
 *     ({@link ParseContext#resume}), 0 when none
 */
public record ParseResult<M>(
    ParseStatus status,
    M message,
    int consumed,
    long bytesStillExpected,
    long bytesNeeded,
    String error,
    long resume) {

  public static <M> ParseResult<M> needsMoreData() {
    return new ParseResult<>(ParseStatus.NEEDS_MORE_DATA, null, 0, 0, 0, null, 0);
  }

  public static <M> ParseResult<M> needsMoreData(long bytesNeeded) {
    return new ParseResult<>(ParseStatus.NEEDS_MORE_DATA, null, 0, 0, bytesNeeded, null, 0);
  }

  /** NEEDS_MORE_DATA with a byte hint and the parser's {@code resume} mark. */
  public static <M> ParseResult<M> needsMoreData(long bytesNeeded, long resume) {
    return new ParseResult<>(ParseStatus.NEEDS_MORE_DATA, null, 0, 0, bytesNeeded, null, resume);
  }

  public static <M> ParseResult<M> invalid(String error) {
    return new ParseResult<>(ParseStatus.INVALID, null, 0, 0, 0, error, 0);
  }

  public static <M> ParseResult<M> success(M message, int consumed, long stillExpected) {
    return new ParseResult<>(ParseStatus.SUCCESS, message, consumed, stillExpected, 0, null, 0);
  }
}
