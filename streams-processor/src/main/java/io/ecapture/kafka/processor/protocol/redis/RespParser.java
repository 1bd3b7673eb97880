package io.ecapture.kafka.processor.protocol.redis;

import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * RESP2 and RESP3 values (the Redis protocol specification), one top-level value per frame, and
 * inline commands (a line of words). Detected by a command: an array whose first element is a
 * bulk string ({@code *<n>\r\n$}), what every client library and redis-cli send first.
 */
public final class RespParser implements ProtocolParser<RespValue> {
  /** Bytes kept of one bulk string (arguments, replies). */
  public static final int MAX_KEPT_BYTES = 256;
  /** Elements kept of one aggregate (the rest are counted). */
  public static final int MAX_KEPT_ELEMENTS = 64;
  /** Aggregates nested deeper are not RESP a server sends. */
  static final int MAX_DEPTH = 32;
  static final long MAX_BULK = 512L * 1024 * 1024;
  static final int MAX_LINE = 64 * 1024;
  private static final String TYPES = "+-:$*_,#(!=%~>|";

  public RespParser() {}

  @Override
  public Detection detect(byte[] data, int from, int to) {
    // "*<digits>\r\n$"
    int n = to - from;
    if (n == 0 || data[from] != '*') {
      return Detection.NO_MATCH;
    }
    int i = from + 1;
    while (i < to && i - from <= 11 && data[i] >= '0' && data[i] <= '9') {
      i++;
    }
    if (i == to) {
      return Detection.NEEDS_MORE_DATA;
    }
    if (i == from + 1 || data[i] != '\r') {
      return Detection.NO_MATCH;
    }
    if (i + 1 == to) {
      return Detection.NEEDS_MORE_DATA;
    }
    if (data[i + 1] != '\n') {
      return Detection.NO_MATCH;
    }
    if (i + 2 == to) {
      return Detection.NEEDS_MORE_DATA;
    }
    return data[i + 2] == '$' ? Detection.MATCH : Detection.NO_MATCH;
  }

  /** The next line start whose first byte is a RESP type byte. */
  @Override
  public int findBoundary(byte[] data, int from, int to) {
    for (int i = from; i < to; i++) {
      if ((i == 0 || data[i - 1] == '\n') && TYPES.indexOf(data[i]) >= 0) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public ParseResult<RespValue> parse(byte[] data, int from, int to, boolean atEnd,
      ParseContext context) {
    if (to - from == 0) {
      return atEnd ? ParseResult.invalid("empty") : ParseResult.needsMoreData(1);
    }
    if (data[from] == '\r' || data[from] == '\n') {
      // an empty inline command (redis-cli --pipe sends CRLF before its closing ECHO): skipped
      int end = data[from] == '\n' ? from + 1 : from + 2;
      if (end > to) {
        return atEnd ? ParseResult.invalid("CR at end") : ParseResult.needsMoreData(2);
      }
      return end == from + 1 || data[from + 1] == '\n'
          ? ParseResult.success(new RespValue('i', new byte[0], 0, List.of(), false), end - from, 0)
          : ParseResult.invalid("CR without LF");
    }
    Cursor c = new Cursor(data, from, to);
    RespValue value;
    try {
      value = data[from] >= 'A' && data[from] <= 'z' && TYPES.indexOf(data[from]) < 0
          ? c.inline() : c.value(0);
    } catch (Invalid e) {
      return ParseResult.invalid(e.getMessage());
    }
    if (value != null) {
      return ParseResult.success(value, c.pos - from, 0);
    }
    if (!atEnd) {
      return ParseResult.needsMoreData(Math.max(0, c.needed - from));
    }
    if (c.partial == null) {
      return ParseResult.invalid("RESP value cut");
    }
    // the end of the input cuts the value: what was read, and a top-level bulk's missing bytes
    long missing = c.partial.type() == '$' && c.partialTopBulk ? Math.max(0, c.needed - to) : 0;
    return ParseResult.success(c.partial, to - from, missing);
  }

  private static final class Invalid extends RuntimeException {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  /** Reads values; null = needs more bytes (then {@code needed} is the index wanted). */
  private final class Cursor {
    final byte[] data;
    final int to;
    int pos;
    long needed;
    RespValue partial;
    boolean partialTopBulk;

    Cursor(byte[] data, int from, int to) {
      this.data = data;
      this.pos = from;
      this.to = to;
    }

    /** End of the line at pos (index of '\r'), or -1 when not in the input yet. */
    int lineEnd() {
      int limit = (int) Math.min(to, (long) pos + MAX_LINE);
      for (int i = pos; i + 1 < limit; i++) {
        if (data[i] == '\r') {
          if (data[i + 1] != '\n') {
            throw new Invalid("CR without LF");
          }
          return i;
        }
        if (data[i] == '\n') {
          throw new Invalid("LF without CR");
        }
      }
      if (limit - pos >= MAX_LINE) {
        throw new Invalid("line too long");
      }
      needed = to + 1;
      return -1;
    }

    long number(int from, int end) {
      if (end == from || end - from > 19) {
        throw new Invalid("bad length");
      }
      long v = 0;
      boolean negative = data[from] == '-';
      for (int i = negative ? from + 1 : from; i < end; i++) {
        if (data[i] < '0' || data[i] > '9') {
          throw new Invalid("bad length");
        }
        v = v * 10 + (data[i] - '0');
      }
      return negative ? -v : v;
    }

    RespValue value(int depth) {
      if (depth > MAX_DEPTH) {
        throw new Invalid("nested too deep");
      }
      if (pos >= to) {
        needed = to + 1;
        return null;
      }
      char type = (char) data[pos];
      if (TYPES.indexOf(type) < 0) {
        throw new Invalid("not a RESP type: " + (data[pos] & 0xff));
      }
      int start = pos + 1;
      int savedPos = pos;
      pos = start;
      int end = lineEnd();
      if (end < 0) {
        pos = savedPos;
        return null;
      }
      pos = end + 2;
      switch (type) {
        case '+', '-', ':', ',', '#', '(', '_' -> {
          return new RespValue(type, Arrays.copyOfRange(data, start,
              Math.min(end, start + MAX_KEPT_BYTES)), end - start, List.of(), false);
        }
        case '$', '!', '=' -> {
          long length = number(start, end);
          if (length < 0) {
            if (length != -1 || type != '$') {
              throw new Invalid("bad bulk length");
            }
            return new RespValue(type, new byte[0], -1, List.of(), false);
          }
          if (length > MAX_BULK) {
            throw new Invalid("bulk too long");
          }
          long endOfBulk = pos + length + 2;
          int keep = (int) Math.min(Math.min(length, MAX_KEPT_BYTES), to - pos);
          if (endOfBulk > to) {
            needed = endOfBulk;
            partial = new RespValue(type, Arrays.copyOfRange(data, pos, pos + Math.max(0, keep)),
                length, List.of(), true);
            partialTopBulk = depth == 0;
            pos = savedPos;
            return null;
          }
          if (data[(int) endOfBulk - 2] != '\r' || data[(int) endOfBulk - 1] != '\n') {
            throw new Invalid("bulk not followed by CRLF");
          }
          RespValue v = new RespValue(type, Arrays.copyOfRange(data, pos, pos + keep), length,
              List.of(), false);
          pos = (int) endOfBulk;
          return v;
        }
        default -> { // * % ~ > |
          long count = number(start, end);
          if (count < 0) {
            if (count != -1 || type != '*') {
              throw new Invalid("bad aggregate length");
            }
            return new RespValue(type, new byte[0], -1, List.of(), false);
          }
          long items = type == '%' || type == '|' ? count * 2 : count;
          if (items > Integer.MAX_VALUE) {
            throw new Invalid("aggregate too long");
          }
          List<RespValue> kept = new ArrayList<>((int) Math.min(items, MAX_KEPT_ELEMENTS));
          for (long i = 0; i < items; i++) {
            RespValue element = value(depth + 1);
            if (element == null) {
              if (depth == 0) {
                if (partial != null) {
                  kept.add(partial);
                }
                partial = new RespValue(type, new byte[0], count, List.copyOf(kept), true);
                partialTopBulk = false;
              }
              pos = savedPos;
              return null;
            }
            if (kept.size() < MAX_KEPT_ELEMENTS) {
              kept.add(element);
            }
          }
          return new RespValue(type, new byte[0], count, kept, false);
        }
      }
    }

    RespValue inline() {
      int limit = (int) Math.min(to, (long) pos + MAX_LINE);
      for (int i = pos; i < limit; i++) {
        if (data[i] == '\n') { // an inline command ends in CRLF or a bare LF
          return inlineWords(i > pos && data[i - 1] == '\r' ? i - 1 : i, i + 1);
        }
      }
      if (limit - pos >= MAX_LINE) {
        throw new Invalid("line too long");
      }
      needed = to + 1;
      return null;
    }

    private RespValue inlineWords(int end, int next) {
      List<RespValue> words = new ArrayList<>();
      int i = pos;
      while (i < end && words.size() < MAX_KEPT_ELEMENTS) {
        while (i < end && data[i] == ' ') {
          i++;
        }
        int w = i;
        while (i < end && data[i] != ' ') {
          i++;
        }
        if (i > w) {
          byte[] word = Arrays.copyOfRange(data, w, Math.min(i, w + MAX_KEPT_BYTES));
          words.add(new RespValue('$', word, i - w, List.of(), false));
        }
      }
      pos = next;
      return new RespValue('i', new byte[0], words.size(), words, false);
    }
  }
}
