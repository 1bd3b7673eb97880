package io.ecapture.kafka.processor.render;

import io.ecapture.kafka.processor.protocol.http1.HeaderField;
import io.ecapture.kafka.processor.protocol.http1.Http1Message;
import io.ecapture.kafka.processor.protocol.websocket.WebSocketFrame;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.HttpFields;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Builds the text eCaptureQ displays for a message: the HTTP head as on the wire, a blank line,
 * then the decoded body as text when it is text and as a hex dump otherwise.
 */
public final class TextRenderer {
  private TextRenderer() {}

  public static byte[] http1(Http1Message message, byte[] body, int limit) {
    StringBuilder out = new StringBuilder(256 + body.length);
    out.append(message.startLine()).append("\r\n");
    for (HeaderField field : message.headers()) {
      out.append(field.name()).append(": ").append(field.value()).append("\r\n");
    }
    out.append("\r\n");
    appendBody(out, body, asText(body), limit);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * An HTTP/2 message in HTTP/1-like text: a start line ("GET /path HTTP/2" or "HTTP/2 200"),
   * every decoded field, a blank line, the decoded body.
   */
  public static byte[] http2(HttpFields http, int streamId, boolean hpackFailed, byte[] body,
      int limit) {
    StringBuilder out = new StringBuilder(256 + body.length);
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
    appendBody(out, body, asText(body), limit);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A summary line of the frame, a blank line, then its payload as text or hex dump. */
  public static byte[] webSocket(WebSocketFrame frame, int limit) {
    StringBuilder out = new StringBuilder(96 + frame.payload().length);
    out.append("WebSocket ").append(frame.opcodeName())
        .append(" fin=").append(frame.fin() ? 1 : 0)
        .append(" masked=").append(frame.masked() ? 1 : 0)
        .append(" length=").append(frame.payloadLength());
    if (frame.rsv1()) {
      out.append(" compressed");
    }
    if (frame.closeCode() != 0) {
      out.append(" close_code=").append(frame.closeCode());
    }
    out.append("\r\n\r\n");
    byte[] payload = frame.opcode() == WebSocketFrame.CLOSE && frame.payload().length >= 2
        ? java.util.Arrays.copyOfRange(frame.payload(), 2, frame.payload().length) : frame.payload();
    appendBody(out, payload, frame.rsv1() ? null : asText(payload), limit);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Unknown data: as text when it is text (e.g. the rest of a delayed body), else a hex dump. */
  public static byte[] unknown(byte[] raw, int limit) {
    StringBuilder out = new StringBuilder();
    appendBody(out, raw, asText(raw), limit);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The body as text, or as a hex dump when it is not text, within about {@code limit} chars. */
  static void appendBody(StringBuilder out, byte[] body, String text, int limit) {
    if (text == null) {
      appendHexDump(out, body, limit);
    } else if (text.length() <= limit) {
      out.append(text);
    } else {
      int end = Character.isHighSurrogate(text.charAt(limit - 1)) ? limit - 1 : limit;
      out.append(text, 0, end).append("\n[... ").append(text.length() - end)
          .append(" more characters not shown]");
    }
  }

  /** A hex dump line shows 16 bytes in 79 chars: dump as many lines as fit. */
  private static void appendHexDump(StringBuilder out, byte[] data, int limit) {
    int shown = Math.min(data.length, Math.max(16, limit / 79 * 16));
    out.append(HexDump.dump(data, 0, shown));
    if (shown < data.length) {
      out.append("[... ").append(data.length - shown).append(" more bytes not shown]\n");
    }
  }

  /**
   * The bytes as a string when they are valid UTF-8 without control characters other than
   * whitespace, else null.
   */
  public static String asText(byte[] data) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(data))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') {
        return null;
      }
    }
    return text;
  }
}
