package io.ecapture.kafka.proto;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.proto.parsed.ParsedMessage;

/**
 * The display text of a parsed message (what eCaptureQ shows), as every reader of {@code
 * ecapture.parsed} should take it: {@code rendered}, followed by {@code http.body} when {@code
 * rendered_body_shared} says the text continues with the body (see parsed.proto).
 */
public final class ParsedText {
  private ParsedText() {}

  /** The whole display text (UTF-8); joining costs no copy of the body. */
  public static ByteString rendered(ParsedMessage message) {
    return message.getRenderedBodyShared()
        ? message.getRendered().concat(message.getHttp().getBody())
        : message.getRendered();
  }

  /** Bytes of {@link #rendered}, without joining. */
  public static long renderedSize(ParsedMessage message) {
    return message.getRendered().size()
        + (message.getRenderedBodyShared() ? (long) message.getHttp().getBody().size() : 0L);
  }
}
