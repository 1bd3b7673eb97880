package io.ecapture.kafka.processor.protocol;

/** What a parser may know about the conversation beyond the bytes it parses. */
public interface ParseContext {
  /**
   * Method of the request the next response in this direction answers, or null when unknown
   * (a HEAD response has no body whatever its headers say).
   */
  String methodAwaitingResponse();

  /**
   * A parser's own mark from its last NEEDS_MORE_DATA on the message at the same start ({@link
   * ParseResult#resume}), or 0: where it may go on instead of reading the message from its start
   * again (HTTP/1 chunked bodies: the first chunk-size line not yet read). The bytes before it are
   * the same as then.
   */
  default long resume() {
    return 0;
  }

  /** A context that knows nothing. */
  ParseContext NONE = () -> null;
}
