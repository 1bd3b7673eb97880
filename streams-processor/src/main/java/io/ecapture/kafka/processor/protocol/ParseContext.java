package io.ecapture.kafka.processor.protocol;

/** What a parser may know about the conversation beyond the bytes it parses. */
public interface ParseContext {
  /**
   * Method of the request the next response in this direction answers, or null when unknown
   * (a HEAD response has no body whatever its headers say).
   */
  String methodAwaitingResponse();

  /** A context that knows nothing. */
  ParseContext NONE = () -> null;
}
