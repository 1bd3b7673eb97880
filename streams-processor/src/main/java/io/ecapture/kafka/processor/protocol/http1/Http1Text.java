package io.ecapture.kafka.processor.protocol.http1;

import io.ecapture.kafka.processor.render.RenderedText;

/** Display text of an HTTP/1 message: the head as on the wire, a blank line, the decoded body. */
public final class Http1Text {
  private Http1Text() {}

  public static RenderedText.Result render(Http1Message message, byte[] body, int limit) {
    return head(message, body).body(body, limit).build();
  }

  /** The head and a blank line; the caller appends the body and any note. */
  static RenderedText head(Http1Message message, byte[] body) {
    RenderedText text = new RenderedText(256 + body.length);
    StringBuilder out = text.text();
    out.append(message.startLine()).append("\r\n");
    for (HeaderField field : message.headers()) {
      out.append(field.name()).append(": ").append(field.value()).append("\r\n");
    }
    out.append("\r\n");
    return text;
  }
}
