package io.ecapture.kafka.processor.protocol.http2;

import io.ecapture.kafka.processor.render.RenderedText;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.HttpFields;

/**
 * Display text of an HTTP/2 message in HTTP/1-like form: a start line ("GET /path HTTP/2" or
 * "HTTP/2 200"), every decoded field but the pseudo-headers, a blank line, the decoded body.
 */
public final class Http2Text {
  private Http2Text() {}

  public static RenderedText.Result render(HttpFields http, int streamId, boolean hpackFailed,
      byte[] body, int limit) {
    return head(http, hpackFailed, body).body(body, limit).build();
  }

  /** The head and a blank line; the caller appends the body and any note. */
  static RenderedText head(HttpFields http, boolean hpackFailed, byte[] body) {
    RenderedText text = new RenderedText(256 + body.length);
    StringBuilder out = text.text();
    if (hpackFailed) {
      out.append("[header block not decodable: HPACK table state unknown]\r\n");
    }
    if (!http.getMethod().isEmpty()) {
      out.append(http.getMethod()).append(' ').append(http.getPath()).append(" HTTP/2");
    } else if (http.getStatus() != 0) {
      out.append("HTTP/2 ").append(http.getStatus());
    } else {
      out.append("HTTP/2");
    }
    out.append("\r\n");
    for (Header field : http.getHeadersList()) {
      if (!field.getName().startsWith(":")) {
        out.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
      }
    }
    out.append("\r\n");
    return text;
  }
}
