package io.ecapture.kafka.processor.protocol.http1;

import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ParseStatus;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Stateless HTTP/1.x message parser over a byte range (RFC 9112).
 *
 * <p>{@link #parse} looks at one message at the start of the range and reports SUCCESS with the
 * number of bytes it spans, NEEDS_MORE_DATA while the bytes are a valid prefix, or INVALID. Being
 * stateless, the caller may re-run it on the same buffer after more bytes arrive, and a parse
 * never depends on anything but the bytes and the method of the request being answered (which
 * decides whether a response has a body, RFC 9112 §6.3).
 *
 * <p>With {@code atEnd} the caller says no more bytes will follow (idle flush, close, gap): a
 * message whose head is complete is then returned with what its body has, flagged truncated.
 */
public final class Http1Parser implements ProtocolParser<Http1Message> {

  /** What the start of a range looks like, decided in a fixed order: response, then methods. */
  public enum Kind {
    REQUEST,
    RESPONSE,
    NEEDS_MORE_DATA,
    NOT_HTTP
  }

  private static final byte[] RESPONSE_PREFIX = ascii("HTTP/1.");
  private static final byte[][] METHOD_PREFIXES = {
    ascii("GET "), ascii("POST "), ascii("PUT "), ascii("DELETE "), ascii("HEAD "),
    ascii("OPTIONS "), ascii("PATCH "), ascii("CONNECT "), ascii("TRACE ")
  };

  private final ProcessorLimits limits;

  public Http1Parser(ProcessorLimits limits) {
    this.limits = limits;
  }

  /** Classifies the bytes at {@code from}: a request, a response, too few bytes, or not HTTP/1. */
  public static Kind classify(byte[] data, int from, int to) {
    boolean prefixOfSomething = false;
    switch (matchPrefix(data, from, to, RESPONSE_PREFIX)) {
      case FULL -> {
        return Kind.RESPONSE;
      }
      case PARTIAL -> prefixOfSomething = true;
      case MISMATCH -> {}
    }
    for (byte[] method : METHOD_PREFIXES) {
      switch (matchPrefix(data, from, to, method)) {
        case FULL -> {
          return Kind.REQUEST;
        }
        case PARTIAL -> prefixOfSomething = true;
        case MISMATCH -> {}
      }
    }
    return prefixOfSomething ? Kind.NEEDS_MORE_DATA : Kind.NOT_HTTP;
  }

  /**
   * The first index in [from, to) where an HTTP/1 message could begin, or -1. At the start of a
   * line a message (or a prefix of one, at the very end) is enough; elsewhere, e.g. right after
   * the rest of a late body, only a complete status line prefix ({@code HTTP/1.1 200 }) or a
   * complete request line ending in {@code HTTP/1.x} counts, as a method name inside data is far
   * more likely than a real message there.
   */
  @Override
  public int findBoundary(byte[] data, int from, int to) {
    for (int i = from; i < to; i++) {
      boolean lineStart = i == 0 || data[i - 1] == '\n';
      Kind kind = classify(data, i, to);
      if (kind == Kind.NOT_HTTP) {
        continue;
      }
      if (lineStart || completeStartLine(data, i, to, kind)) {
        return i;
      }
    }
    return -1;
  }

  /** A full status-line prefix or request line at {@code at}, not merely a method name. */
  private boolean completeStartLine(byte[] data, int at, int to, Kind kind) {
    if (kind == Kind.RESPONSE) {
      // "HTTP/1.x DDD"
      if (to - at < 12 || !Character.isDigit(data[at + 7]) || data[at + 8] != ' ') {
        return false;
      }
      for (int i = at + 9; i < at + 12; i++) {
        if (!Character.isDigit(data[i])) {
          return false;
        }
      }
      return true;
    }
    if (kind != Kind.REQUEST) {
      return false;
    }
    int eol = indexOf(data, at, Math.min(to, at + limits.maxStartLineBytes()), (byte) '\n');
    if (eol < 0) {
      return false;
    }
    StartLine line = requestLine(text(data, at, stripCr(data, at, eol)));
    return line != null;
  }

  @Override
  public Detection detect(byte[] data, int from, int to) {
    return switch (classify(data, from, to)) {
      case REQUEST, RESPONSE -> Detection.MATCH;
      case NEEDS_MORE_DATA -> Detection.NEEDS_MORE_DATA;
      case NOT_HTTP -> Detection.NO_MATCH;
    };
  }

  /** Parses one message at {@code from}; see {@link ProtocolParser#parse}. */
  @Override
  public ParseResult<Http1Message> parse(
      byte[] data, int from, int to, boolean atEnd, ParseContext context) {
    String requestMethod = context.methodAwaitingResponse();
    Kind detection = classify(data, from, to);
    if (detection == Kind.NEEDS_MORE_DATA) {
      return atEnd ? ParseResult.invalid("input ends inside a start line")
          : ParseResult.needsMoreData();
    }
    if (detection == Kind.NOT_HTTP) {
      return ParseResult.invalid("not an HTTP/1 start line");
    }
    int lineLimit = Math.min(to, from + limits.maxStartLineBytes() + 2);
    int eol = indexOf(data, from, lineLimit, (byte) '\n');
    if (eol < 0) {
      if (lineLimit < to || to - from > limits.maxStartLineBytes() + 1) {
        return ParseResult.invalid("start line longer than " + limits.maxStartLineBytes());
      }
      return incompleteHead(atEnd);
    }
    String startLine = text(data, from, stripCr(data, from, eol));
    StartLine start = detection == Kind.REQUEST ? requestLine(startLine) : statusLine(startLine);
    if (start == null) {
      return ParseResult.invalid("malformed start line: " + abbreviate(startLine));
    }
    List<HeaderField> headers = new ArrayList<>();
    int pos = readFields(data, eol + 1, to, from, headers);
    if (pos == FIELDS_INVALID) {
      return ParseResult.invalid("malformed or oversized header block");
    }
    if (pos == FIELDS_INCOMPLETE) {
      return incompleteHead(atEnd);
    }
    return parseBody(data, from, pos, to, atEnd, start, headers, requestMethod, context.resume());
  }

  private ParseResult<Http1Message> parseBody(
      byte[] data, int from, int bodyStart, int to, boolean atEnd, StartLine start,
      List<HeaderField> headers, String requestMethod, long resume) {
    Http1Message head = start.message(headers, new byte[0], false, 0);
    String transferEncoding = head.header("Transfer-Encoding");
    String contentLength = head.header("Content-Length");
    boolean chunked = transferEncoding != null && lastCodingIsChunked(transferEncoding);
    if (!head.request() && responseHasNoBody(head.status(), requestMethod)) {
      return ParseResult.success(head, bodyStart - from, 0);
    }
    if (chunked) {
      return parseChunked(data, from, bodyStart, to, atEnd, start, headers, resume);
    }
    if (transferEncoding != null) {
      // RFC 9112 §6.3 items 4: a request with a non-chunked final coding is unframeable; a response
      // is read until the connection closes
      return head.request()
          ? ParseResult.invalid("request with non-chunked Transfer-Encoding")
          : untilClose(data, from, bodyStart, to, atEnd, start, headers);
    }
    if (contentLength != null) {
      long length = parseContentLength(contentLength);
      if (length < 0) {
        return ParseResult.invalid("bad Content-Length: " + abbreviate(contentLength));
      }
      return fixedLength(data, from, bodyStart, to, atEnd, start, headers, length);
    }
    if (head.request()) {
      return ParseResult.success(head, bodyStart - from, 0);
    }
    return untilClose(data, from, bodyStart, to, atEnd, start, headers);
  }

  private ParseResult<Http1Message> fixedLength(
      byte[] data, int from, int bodyStart, int to, boolean atEnd, StartLine start,
      List<HeaderField> headers, long length) {
    long available = to - bodyStart;
    if (available >= length) {
      int kept = (int) Math.min(length, limits.maxBodyBytes());
      byte[] body = copy(data, bodyStart, kept);
      Http1Message message = start.message(headers, body, kept < length, length);
      return ParseResult.success(message, (int) (bodyStart + length - from), 0);
    }
    if (!atEnd) {
      return ParseResult.needsMoreData(bodyStart - from + length);
    }
    int kept = (int) Math.min(available, limits.maxBodyBytes());
    Http1Message message = start.message(headers, copy(data, bodyStart, kept), true, length);
    return ParseResult.success(message, to - from, length - available);
  }

  private ParseResult<Http1Message> untilClose(
      byte[] data, int from, int bodyStart, int to, boolean atEnd, StartLine start,
      List<HeaderField> headers) {
    if (!atEnd) {
      return ParseResult.needsMoreData();
    }
    int length = to - bodyStart;
    int kept = Math.min(length, limits.maxBodyBytes());
    Http1Message message = start.message(headers, copy(data, bodyStart, kept), kept < length, length);
    return ParseResult.success(message, to - from, 0);
  }

  /**
   * RFC 9112 §7.1: chunk-size [ext] CRLF data CRLF ... 0 CRLF trailers CRLF. Incremental: a
   * NEEDS_MORE_DATA carries the offset (from the message start) of the chunk-size line it stopped
   * at as its {@link ParseResult#resume} mark; given that mark back ({@link
   * io.ecapture.kafka.processor.protocol.ParseContext#resume}) the next parse reads the framing
   * from there, so a body arriving in many records is read once, not from its start on every
   * record. The body bytes are gathered in one more pass when the message is complete.
   */
  private ParseResult<Http1Message> parseChunked(
      byte[] data, int from, int bodyStart, int to, boolean atEnd, StartLine start,
      List<HeaderField> headers, long resume) {
    int scanFrom = resume > bodyStart - from && resume < to - from ? from + (int) resume : bodyStart;
    if (scanFrom > bodyStart) {
      // the framing before the mark was read already: only what follows decides the status
      int trailersFrom = headers.size();
      ParseResult<Http1Message> scan =
          chunks(data, from, scanFrom, to, atEnd, start, headers, null);
      if (scan.status() != ParseStatus.SUCCESS) {
        return scan;
      }
      headers.subList(trailersFrom, headers.size()).clear(); // read again below
    }
    return chunks(data, from, bodyStart, to, atEnd, start, headers,
        new BodyCollector(limits.maxBodyBytes()));
  }

  /**
   * Reads chunks from the chunk-size line at {@code pos}; gathers their data into {@code body}
   * unless null (then a SUCCESS is only a status, its message has no body).
   */
  private ParseResult<Http1Message> chunks(
      byte[] data, int from, int pos, int to, boolean atEnd, StartLine start,
      List<HeaderField> headers, BodyCollector body) {
    BodyCollector gathered = body == null ? new BodyCollector(0) : body;
    while (true) {
      int lineStart = pos;
      long mark = lineStart - from;
      int eol = indexOf(data, pos, Math.min(to, pos + limits.maxChunkSizeLineBytes()), (byte) '\n');
      if (eol < 0) {
        if (to - pos >= limits.maxChunkSizeLineBytes()) {
          return ParseResult.invalid("chunk-size line too long");
        }
        return incompleteChunked(atEnd, start, headers, gathered, from, to, mark);
      }
      long size = parseChunkSize(data, pos, stripCr(data, pos, eol));
      if (size < 0) {
        return ParseResult.invalid("bad chunk size");
      }
      pos = eol + 1;
      if (size == 0) {
        int end = readFields(data, pos, to, pos, headers);
        if (end == FIELDS_INVALID) {
          return ParseResult.invalid("malformed or oversized trailer section");
        }
        if (end == FIELDS_INCOMPLETE) {
          return incompleteChunked(atEnd, start, headers, gathered, from, to, mark);
        }
        return ParseResult.success(
            start.message(headers, gathered.bytes(), gathered.truncated(), gathered.total()),
            end - from, 0);
      }
      if (to - pos < size) {
        if (!atEnd) {
          // nothing can progress before this chunk's data and its CRLF are in
          return ParseResult.needsMoreData(pos - from + size + 1, mark);
        }
        gathered.add(data, pos, to - pos);
        return incompleteChunked(true, start, headers, gathered, from, to, mark);
      }
      gathered.add(data, pos, (int) size);
      pos += (int) size;
      if (pos >= to) {
        return incompleteChunked(atEnd, start, headers, gathered, from, to, mark);
      }
      if (data[pos] == '\n') {
        pos++;
      } else if (data[pos] == '\r') {
        if (pos + 1 >= to) {
          return incompleteChunked(atEnd, start, headers, gathered, from, to, mark);
        }
        if (data[pos + 1] != '\n') {
          return ParseResult.invalid("chunk data not followed by CRLF");
        }
        pos += 2;
      } else {
        return ParseResult.invalid("chunk data not followed by CRLF");
      }
    }
  }

  private static ParseResult<Http1Message> incompleteChunked(
      boolean atEnd, StartLine start, List<HeaderField> headers, BodyCollector body, int from,
      int to, long mark) {
    if (!atEnd) {
      return ParseResult.needsMoreData(0, mark);
    }
    return ParseResult.success(start.message(headers, body.bytes(), true, body.total()),
        to - from, 0);
  }

  private static ParseResult<Http1Message> incompleteHead(boolean atEnd) {
    return atEnd ? ParseResult.invalid("input ends inside the header block")
        : ParseResult.needsMoreData();
  }

  private static final int FIELDS_INVALID = -1;
  private static final int FIELDS_INCOMPLETE = -2;

  /**
   * Reads field lines up to and including the empty line; returns the index after it,
   * FIELDS_INCOMPLETE or FIELDS_INVALID. The whole message head (from {@code messageStart}) must
   * stay within the header limit.
   */
  private int readFields(byte[] data, int pos, int to, int messageStart, List<HeaderField> out) {
    int headLimit = messageStart + limits.maxHeaderBytes();
    while (true) {
      int eol = indexOf(data, pos, Math.min(to, headLimit), (byte) '\n');
      if (eol < 0) {
        return to > headLimit ? FIELDS_INVALID : FIELDS_INCOMPLETE;
      }
      int end = stripCr(data, pos, eol);
      if (end == pos) {
        return eol + 1;
      }
      if (data[pos] == ' ' || data[pos] == '\t') {
        // obsolete line folding (RFC 9112 §5.2): the line continues the previous value
        if (out.isEmpty()) {
          return FIELDS_INVALID;
        }
        HeaderField last = out.removeLast();
        out.add(new HeaderField(last.name(), last.value() + " " + text(data, pos, end).strip()));
      } else {
        int colon = indexOf(data, pos, end, (byte) ':');
        if (colon <= pos || containsWhitespace(data, pos, colon)) {
          return FIELDS_INVALID;
        }
        out.add(new HeaderField(text(data, pos, colon), text(data, colon + 1, end).strip()));
      }
      pos = eol + 1;
    }
  }

  private static StartLine requestLine(String line) {
    int firstSpace = line.indexOf(' ');
    int lastSpace = line.lastIndexOf(' ');
    if (firstSpace <= 0 || lastSpace <= firstSpace + 1) {
      return null;
    }
    String version = line.substring(lastSpace + 1);
    String target = line.substring(firstSpace + 1, lastSpace);
    if (!isHttp1Version(version) || target.indexOf(' ') >= 0) {
      return null;
    }
    return new StartLine(true, line.substring(0, firstSpace), target, version, 0, "");
  }

  private static StartLine statusLine(String line) {
    int space = line.indexOf(' ');
    if (space < 0 || !isHttp1Version(line.substring(0, space)) || line.length() < space + 4) {
      return null;
    }
    int status = 0;
    for (int i = space + 1; i < space + 4; i++) {
      char c = line.charAt(i);
      if (c < '0' || c > '9') {
        return null;
      }
      status = status * 10 + (c - '0');
    }
    if (line.length() > space + 4 && line.charAt(space + 4) != ' ') {
      return null;
    }
    String reason = line.length() > space + 5 ? line.substring(space + 5) : "";
    return new StartLine(false, "", "", line.substring(0, space), status, reason);
  }

  private static boolean isHttp1Version(String version) {
    return version.length() == 8 && version.startsWith("HTTP/1.") && Character.isDigit(version.charAt(7));
  }

  /** RFC 9112 §6.3 item 1: HEAD responses, 1xx, 204 and 304 never carry content. */
  private static boolean responseHasNoBody(int status, String requestMethod) {
    return "HEAD".equalsIgnoreCase(requestMethod)
        || (status >= 100 && status < 200)
        || status == 204
        || status == 304
        || ("CONNECT".equalsIgnoreCase(requestMethod) && status >= 200 && status < 300);
  }

  private static boolean lastCodingIsChunked(String transferEncoding) {
    int comma = transferEncoding.lastIndexOf(',');
    return transferEncoding.substring(comma + 1).strip().equalsIgnoreCase("chunked");
  }

  /** Digits only; a repeated list of equal values ("5, 5") is accepted (RFC 9110 §8.6). */
  static long parseContentLength(String value) {
    long result = -1;
    for (String part : value.split(",")) {
      String digits = part.strip();
      if (digits.isEmpty() || digits.length() > 18) {
        return -1;
      }
      long parsed = 0;
      for (int i = 0; i < digits.length(); i++) {
        char c = digits.charAt(i);
        if (c < '0' || c > '9') {
          return -1;
        }
        parsed = parsed * 10 + (c - '0');
      }
      if (result >= 0 && parsed != result) {
        return -1;
      }
      result = parsed;
    }
    return result;
  }

  private static long parseChunkSize(byte[] data, int from, int to) {
    long size = 0;
    int digits = 0;
    for (int i = from; i < to; i++) {
      byte b = data[i];
      int value = Character.digit(b, 16);
      if (value < 0) {
        if (b == ';' || b == ' ' || b == '\t') {
          break; // chunk extensions are ignored (RFC 9112 §7.1.1)
        }
        return -1;
      }
      if (++digits > 15) {
        return -1;
      }
      size = size * 16 + value;
    }
    return digits == 0 ? -1 : size;
  }

  private static int stripCr(byte[] data, int from, int eol) {
    return eol > from && data[eol - 1] == '\r' ? eol - 1 : eol;
  }

  private static int indexOf(byte[] data, int from, int to, byte value) {
    for (int i = from; i < to; i++) {
      if (data[i] == value) {
        return i;
      }
    }
    return -1;
  }

  private static boolean containsWhitespace(byte[] data, int from, int to) {
    for (int i = from; i < to; i++) {
      if (data[i] == ' ' || data[i] == '\t') {
        return true;
      }
    }
    return false;
  }

  private static String text(byte[] data, int from, int to) {
    return new String(data, from, to - from, StandardCharsets.UTF_8);
  }

  private static byte[] copy(byte[] data, int from, int length) {
    byte[] out = new byte[length];
    System.arraycopy(data, from, out, 0, length);
    return out;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private enum Match {
    FULL,
    PARTIAL,
    MISMATCH
  }

  private static Match matchPrefix(byte[] data, int from, int to, byte[] prefix) {
    int n = Math.min(prefix.length, to - from);
    for (int i = 0; i < n; i++) {
      if (data[from + i] != prefix[i]) {
        return Match.MISMATCH;
      }
    }
    return n == prefix.length ? Match.FULL : Match.PARTIAL;
  }

  private record StartLine(
      boolean request, String method, String target, String version, int status, String reason) {
    Http1Message message(List<HeaderField> headers, byte[] body, boolean truncated, long length) {
      return new Http1Message(request, method, target, version, status, reason, List.copyOf(headers),
          body, truncated, length);
    }
  }

  /** Accumulates de-chunked body bytes up to the limit while counting all of them. */
  private static final class BodyCollector {
    private final int limit;
    private byte[] bytes = new byte[256];
    private int kept;
    private long total;

    BodyCollector(int limit) {
      this.limit = limit;
    }

    void add(byte[] data, int from, int length) {
      total += length;
      int take = Math.min(length, limit - kept);
      if (take <= 0) {
        return;
      }
      if (kept + take > bytes.length) {
        bytes = java.util.Arrays.copyOf(bytes, Math.max(kept + take, Math.min(limit, bytes.length * 2)));
      }
      System.arraycopy(data, from, bytes, kept, take);
      kept += take;
    }

    byte[] bytes() {
      return java.util.Arrays.copyOf(bytes, kept);
    }

    boolean truncated() {
      return kept < total;
    }

    long total() {
      return total;
    }
  }
}
