package io.ecapture.kafka.processor.protocol.http1;

import io.ecapture.kafka.processor.render.TextRenderer;
import java.nio.charset.StandardCharsets;

/** Display text of an HTTP/1 message: the head as on the wire, a blank line, the decoded body. */
public final class Http1Text {
  private Http1Text() {}

  public static byte[] render(Http1Message message, byte[] body, int limit) {
    StringBuilder out = new StringBuilder(256 + body.length);
    out.append(message.startLine()).append("\r\n");
    for (HeaderField field : message.headers()) {
      out.append(field.name()).append(": ").append(field.value()).append("\r\n");
    }
    out.append("\r\n");
    TextRenderer.appendBody(out, body, limit);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }
}
