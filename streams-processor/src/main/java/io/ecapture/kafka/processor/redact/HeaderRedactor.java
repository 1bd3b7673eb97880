package io.ecapture.kafka.processor.redact;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.HttpFields;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Replaces credentials in a {@link ParsedMessage} on its way to {@code ecapture.parsed}, for the
 * header names of a {@link Redaction}. Applied once to every message the topology emits, whatever
 * protocol made it, so HTTP/1 (the upgrade request of a WebSocket included), HTTP/2 and gRPC are
 * covered alike:
 *
 * <ul>
 *   <li>the header list ({@code http.headers}): each matching field's value;
 *   <li>the rendered text ({@code rendered}, what eCaptureQ shows): the same fields in its head, the
 *       lines before the first blank line, which every protocol renders as {@code name: value}
 *       (a protocol rendering headers another way must follow that form or be added here);
 *   <li>messages of unknown protocol (bytes after a gap, a head cut mid-way): every line of their
 *       text ({@code rendered}, and {@code raw} when it is text) that starts with a matching name
 *       and a colon, since such bytes are often the rest of an HTTP head.
 * </ul>
 *
 * <p>The marker keeps what is not secret: {@code Authorization: Bearer <redacted>} (the scheme of
 * authorization headers), {@code Cookie: session=<redacted>; theme=<redacted>} (each cookie's
 * name), {@code Set-Cookie: session=<redacted>; Path=/; HttpOnly} (the cookie's name and its
 * attributes); any other listed header becomes {@code <redacted>}. An empty value stays empty.
 * Each replaced header value counts once in {@code redacted_headers} (a rendered line or a raw
 * line of unknown data that is not also in a header list counts too).
 *
 * <p>{@code rendered_original_length} of a rendered text cut for size moves by what the redaction
 * changed, so it stays the length of the whole text. Hex dumps (binary data) are not searched: a
 * credential inside binary data stays as captured. Request targets (a token in a query string)
 * and bodies are not touched.
 */
public final class HeaderRedactor {
  /** What replaces a secret. */
  public static final String MARKER = "<redacted>";

  private final Redaction redaction;
  private final ProcessorMetrics metrics;
  /** Lower-case names with a colon, as bytes, for the line scan. */
  private final byte[][] prefixes;

  public HeaderRedactor(Redaction redaction, ProcessorMetrics metrics) {
    this.redaction = redaction;
    this.metrics = metrics;
    this.prefixes = redaction.headerNames().stream()
        .map(n -> (n + ":").getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);
  }

  /** {@code message}, or a copy with its credentials replaced; the same instance when none. */
  public ParsedMessage apply(ParsedMessage message) {
    if (!redaction.enabled()) {
      return message;
    }
    if (message.hasHttp()) {
      return applyHttp(message);
    }
    if (message.getProtocol() == Protocol.PROTOCOL_UNKNOWN) {
      return applyUnknown(message);
    }
    return message;
  }

  private ParsedMessage applyHttp(ParsedMessage message) {
    HttpFields http = message.getHttp();
    HttpFields.Builder redacted = null;
    int count = 0;
    for (int i = 0; i < http.getHeadersCount(); i++) {
      Header header = http.getHeaders(i);
      if (!redaction.covers(header.getName()) || header.getValue().isEmpty()) {
        continue;
      }
      String value = redactValue(header.getName(), header.getValue());
      if (value.equals(header.getValue())) {
        continue;
      }
      if (redacted == null) {
        redacted = http.toBuilder();
      }
      redacted.setHeaders(i, header.toBuilder().setValue(value));
      count++;
    }
    if (redacted == null) {
      return message;
    }
    ParsedMessage.Builder out = message.toBuilder().setHttp(redacted);
    Lines rendered = redactLines(message.getRendered(), true);
    if (rendered.changed() > 0) {
      setRendered(out, message, rendered.bytes());
    }
    metrics.redactedHeaders(count);
    return out.build();
  }

  private ParsedMessage applyUnknown(ParsedMessage message) {
    Lines rendered = redactLines(message.getRendered(), false);
    Lines raw = redactLines(message.getRaw(), false);
    if (rendered.changed() == 0 && raw.changed() == 0) {
      return message;
    }
    ParsedMessage.Builder out = message.toBuilder();
    if (rendered.changed() > 0) {
      setRendered(out, message, rendered.bytes());
    }
    if (raw.changed() > 0) {
      out.setRaw(raw.bytes());
    }
    metrics.redactedHeaders(Math.max(rendered.changed(), raw.changed()));
    return out.build();
  }

  private static void setRendered(ParsedMessage.Builder out, ParsedMessage message, ByteString text) {
    out.setRendered(text);
    if (message.getRenderedTruncated()) {
      out.setRenderedOriginalLength(
          message.getRenderedOriginalLength() + text.size() - message.getRendered().size());
    }
  }

  /** Lines rewritten, and the text after. */
  private record Lines(int changed, ByteString bytes) {}

  /**
   * Rewrites the value of every line starting with a redacted name and a colon (any case). With
   * {@code headOnly}, stops at the first empty line (the end of a head). Works on bytes as
   * ISO-8859-1, so whatever surrounds a rewritten value (UTF-8 text, any byte) stays as it was.
   */
  private Lines redactLines(ByteString text, boolean headOnly) {
    if (text.isEmpty() || !hasCandidate(text, headOnly)) {
      return new Lines(0, text);
    }
    String in = text.toString(StandardCharsets.ISO_8859_1);
    StringBuilder out = new StringBuilder(in.length());
    int changed = 0;
    int pos = 0;
    boolean head = true;
    while (pos < in.length()) {
      int nl = in.indexOf('\n', pos);
      int end = nl < 0 ? in.length() : nl + 1;
      String line = in.substring(pos, end);
      String content = stripEol(line);
      if (head) {
        if (headOnly && content.isEmpty()) {
          head = false;
        } else {
          int colon = content.indexOf(':');
          if (colon > 0 && redaction.covers(content.substring(0, colon))) {
            String name = content.substring(0, colon);
            String afterColon = content.substring(colon + 1);
            String value = afterColon.strip();
            String spacing = afterColon.substring(0, afterColon.indexOf(value.isEmpty() ? "" : value));
            String redacted = value.isEmpty() ? value : redactValue(name, value);
            if (!redacted.equals(value)) {
              out.append(name).append(':').append(spacing).append(redacted).append(line, content.length(), line.length());
              changed++;
              pos = end;
              continue;
            }
          }
        }
      }
      out.append(line);
      pos = end;
    }
    if (changed == 0) {
      return new Lines(0, text);
    }
    return new Lines(changed, UnsafeByteOperations.unsafeWrap(out.toString().getBytes(StandardCharsets.ISO_8859_1)));
  }

  private static String stripEol(String line) {
    int end = line.length();
    if (end > 0 && line.charAt(end - 1) == '\n') {
      end--;
    }
    if (end > 0 && line.charAt(end - 1) == '\r') {
      end--;
    }
    return line.substring(0, end);
  }

  /** A quick look for a line starting with a redacted name and a colon, before any copy. */
  private boolean hasCandidate(ByteString text, boolean headOnly) {
    int size = text.size();
    int lineStart = 0;
    while (lineStart < size) {
      for (byte[] prefix : prefixes) {
        if (startsWithIgnoringCase(text, lineStart, prefix)) {
          return true;
        }
      }
      int next = lineStart;
      while (next < size && text.byteAt(next) != '\n') {
        next++;
      }
      if (headOnly && (next == lineStart || (next == lineStart + 1 && text.byteAt(lineStart) == '\r'))) {
        return false; // the blank line ending the head
      }
      lineStart = next + 1;
    }
    return false;
  }

  private static boolean startsWithIgnoringCase(ByteString text, int at, byte[] prefix) {
    if (at + prefix.length > text.size()) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      int c = text.byteAt(at + i);
      if (c >= 'A' && c <= 'Z') {
        c += 'a' - 'A';
      }
      if (c != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * The redacted form of {@code value} of header {@code name}: authorization headers keep their
   * scheme, cookies their names, set-cookie its name and attributes, others become the marker.
   */
  public static String redactValue(String name, String value) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.equals("cookie")) {
      return cookies(value);
    }
    if (lower.equals("set-cookie")) {
      return setCookie(value);
    }
    if (lower.endsWith("authorization")) {
      return withScheme(value);
    }
    return MARKER;
  }

  /** {@code Bearer abc} -> {@code Bearer <redacted>}; a value without a scheme -> the marker. */
  private static String withScheme(String value) {
    String v = value.strip();
    int space = v.indexOf(' ');
    if (space > 0 && isToken(v.substring(0, space))) {
      return v.substring(0, space) + " " + MARKER;
    }
    return MARKER;
  }

  /** {@code a=1; b=2} -> {@code a=<redacted>; b=<redacted>}. */
  private static String cookies(String value) {
    StringBuilder out = new StringBuilder(value.length());
    String[] pairs = value.split(";", -1);
    for (int i = 0; i < pairs.length; i++) {
      if (i > 0) {
        out.append(';');
      }
      out.append(pair(pairs[i]));
    }
    return out.toString();
  }

  /** {@code id=abc; Path=/; HttpOnly} -> {@code id=<redacted>; Path=/; HttpOnly}. */
  private static String setCookie(String value) {
    int semicolon = value.indexOf(';');
    return semicolon < 0 ? pair(value) : pair(value.substring(0, semicolon)) + value.substring(semicolon);
  }

  /** One {@code name=value} with its surrounding blanks kept; no {@code =}: all of it secret. */
  private static String pair(String pair) {
    if (pair.isBlank()) {
      return pair;
    }
    int eq = pair.indexOf('=');
    int lead = 0;
    while (lead < pair.length() && pair.charAt(lead) == ' ') {
      lead++;
    }
    return eq < 0 ? pair.substring(0, lead) + MARKER : pair.substring(0, eq + 1) + MARKER;
  }

  private static boolean isToken(String s) {
    return !s.isEmpty() && s.chars().allMatch(c -> c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0);
  }
}
