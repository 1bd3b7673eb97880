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
  public static RenderedText.Result unknown(byte[] raw, int limit) {
    return new RenderedText(Math.min(raw.length, limit) + 64).body(raw, limit).build();
  }

  /** {@link #appendBody(StringBuilder, byte[], String, int)} with the body's own text form. */
  public static Cut appendBody(StringBuilder out, byte[] body, int limit) {
    return appendBody(out, body, asText(body), limit);
  }

  /**
   * What a body rendering left out.
   *
   * @param leftOutBytes UTF-8 bytes of the whole body's rendering that are not in the text
   * @param noteBytes UTF-8 bytes of the note saying so (0 when nothing was left out)
   */
  public record Cut(long leftOutBytes, long noteBytes) {
    static final Cut NONE = new Cut(0, 0);
  }

  /**
   * The body as {@code text}, or as a hex dump when {@code text} is null, within about {@code
   * limit} chars; what is left out is said in a last line.
   */
  public static Cut appendBody(StringBuilder out, byte[] body, String text, int limit) {
    if (text == null) {
      return appendHexDump(out, body, limit);
    }
    if (text.length() <= limit) {
      out.append(text);
      return Cut.NONE;
    }
    int end = Character.isHighSurrogate(text.charAt(limit - 1)) ? limit - 1 : limit;
    out.append(text, 0, end);
    String note = "\n[... " + (text.length() - end) + " more characters not shown]";
    out.append(note);
    // text came from body as valid UTF-8: the whole of it is body.length bytes
    return new Cut(body.length - utf8Length(text, 0, end), utf8Length(note, 0, note.length()));
  }

  /** As many whole hex dump lines as fit in {@code limit} chars (at least one). */
  private static Cut appendHexDump(StringBuilder out, byte[] data, int limit) {
    int lines = Math.max(1, limit / HexDump.LINE_CHARS);
    int shown = (int) Math.min(data.length, (long) lines * HexDump.BYTES_PER_LINE);
    out.append(HexDump.dump(data, 0, shown));
    if (shown == data.length) {
      return Cut.NONE;
    }
    String note = "[... " + (data.length - shown) + " more bytes not shown]\n";
    out.append(note);
    return new Cut(dumpLength(data.length) - dumpLength(shown), note.length());
  }

  /** Characters (all ASCII) of {@link HexDump#dump} of {@code bytes} bytes. */
  static long dumpLength(long bytes) {
    long rest = bytes % HexDump.BYTES_PER_LINE;
    // a line: offset, two spaces, 16 x 3 hex columns, a space, " |", the ASCII column, "|\n"
    return bytes / HexDump.BYTES_PER_LINE * HexDump.LINE_CHARS
        + (rest == 0 ? 0 : HexDump.LINE_CHARS - HexDump.BYTES_PER_LINE + rest);
  }

  private static long utf8Length(CharSequence text, int from, int to) {
    long bytes = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < to
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /** Bytes 0x20..0x7e, tab, CR and LF only (DEL and everything else: the general path). */
  static boolean isPlainAscii(byte[] data) {
    for (byte b : data) {
      if ((b < 0x20 && b != '\n' && b != '\r' && b != '\t') || b == 0x7f) {
        return false;
      }
    }
    return true;
  }

  /**
   * The bytes as a string when they are valid UTF-8 without control characters other than
   * whitespace, else null.
   */
  public static String asText(byte[] data) {
    // the common case, plain ASCII text (JSON, HTML, form data): one pass over the bytes and one
    // copy, instead of a checked UTF-8 decode and a second pass over its chars
    if (isPlainAscii(data)) {
      return new String(data, StandardCharsets.ISO_8859_1);
    }
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
