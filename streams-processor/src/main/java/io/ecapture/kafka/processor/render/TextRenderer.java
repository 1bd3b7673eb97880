package io.ecapture.kafka.processor.render;

import io.ecapture.kafka.common.HexDump;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * What every protocol's display text ({@code rendered}, what eCaptureQ shows) has in common: a
 * body as text when it is text and as a hex dump in eCapture's layout (Go's {@code hex.Dump})
 * otherwise, within a size limit. Each protocol package renders its own head (start line,
 * headers, frame summary) in front of it.
 */
public final class TextRenderer {
  private TextRenderer() {}

  /** Unknown data: as text when it is text (e.g. the rest of a delayed body), else a hex dump. */
  public static byte[] unknown(byte[] raw, int limit) {
    StringBuilder out = new StringBuilder();
    appendBody(out, raw, limit);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** {@link #appendBody(StringBuilder, byte[], String, int)} with the body's own text form. */
  public static void appendBody(StringBuilder out, byte[] body, int limit) {
    appendBody(out, body, asText(body), limit);
  }

  /**
   * The body as {@code text}, or as a hex dump when {@code text} is null, within about {@code
   * limit} chars; what is left out is said in a last line.
   */
  public static void appendBody(StringBuilder out, byte[] body, String text, int limit) {
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

  /** As many whole hex dump lines as fit in {@code limit} chars (at least one). */
  private static void appendHexDump(StringBuilder out, byte[] data, int limit) {
    int lines = Math.max(1, limit / HexDump.LINE_CHARS);
    int shown = (int) Math.min(data.length, (long) lines * HexDump.BYTES_PER_LINE);
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
