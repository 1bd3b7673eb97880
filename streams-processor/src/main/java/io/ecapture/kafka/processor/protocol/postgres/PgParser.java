package io.ecapture.kafka.processor.protocol.postgres;

import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import java.util.Arrays;

/**
 * Frames of the PostgreSQL protocol v3 (frontend and backend alike): a type byte, an int32
 * length counting itself, the body; untyped startup-phase messages start with the length. Only
 * a StartupMessage is detected (a type byte alone is no signature): the TLS plaintext of a
 * connection starts with it, since SSLRequest is answered before TLS begins.
 */
public final class PgParser implements ProtocolParser<PgMessage> {
  /** Largest startup packet the server accepts (its MAX_STARTUP_PACKET_LENGTH). */
  static final int MAX_STARTUP_LENGTH = 10_000;
  /** A length beyond this is no PostgreSQL message (the server's limit is 1 GiB). */
  static final long MAX_LENGTH = 1L << 30;
  /** Type bytes of frontend and backend messages. */
  private static final boolean[] TYPES = new boolean[128];

  static {
    for (char c : "123ABCDEFGHIKNPQRSTVWXZcdfHnpstv".toCharArray()) {
      TYPES[c] = true;
    }
  }

  private final int maxBodyBytes;

  public PgParser(int maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  /** A StartupMessage: length 8..10000, protocol 3.x, then parameters. */
  @Override
  public Detection detect(byte[] data, int from, int to) {
    int n = to - from;
    if (n < 1 || data[from] != 0) {
      return Detection.NO_MATCH;
    }
    if (n < 8) {
      return prefixMatches(data, from, to) ? Detection.NEEDS_MORE_DATA : Detection.NO_MATCH;
    }
    long length = PgReader.int32(data, from) & 0xffffffffL;
    int code = PgReader.int32(data, from + 4);
    return length >= 8 && length <= MAX_STARTUP_LENGTH && (code >>> 16) == 3
        ? Detection.MATCH : Detection.NO_MATCH;
  }

  /** The bytes so far could begin a StartupMessage (length within bounds, code 3.x). */
  private static boolean prefixMatches(byte[] data, int from, int to) {
    byte[] head = Arrays.copyOf(Arrays.copyOfRange(data, from, to), 8);
    long length = PgReader.int32(head, 0) & 0xffffffffL;
    boolean lengthOk = to - from < 4 || (length >= 8 && length <= MAX_STARTUP_LENGTH);
    boolean codeOk = to - from < 5 || head[4] == 0;
    boolean minorOk = to - from < 6 || head[5] == 3;
    return lengthOk && codeOk && minorOk;
  }

  /** The next type byte followed by a plausible length. */
  @Override
  public int findBoundary(byte[] data, int from, int to) {
    for (int i = from; i < to; i++) {
      int b = data[i] & 0xff;
      if (b < 128 && TYPES[b] && (to - i < 5 || plausibleLength(data, i + 1))) {
        return i;
      }
    }
    return -1;
  }

  private static boolean plausibleLength(byte[] data, int at) {
    long length = PgReader.int32(data, at) & 0xffffffffL;
    return length >= 4 && length <= MAX_LENGTH;
  }

  @Override
  public ParseResult<PgMessage> parse(byte[] data, int from, int to, boolean atEnd,
      ParseContext context) {
    int n = to - from;
    boolean untyped = n > 0 && data[from] == 0;
    int head = untyped ? 4 : 5;
    if (n > 0 && !untyped && ((data[from] & 0xff) >= 128 || !TYPES[data[from] & 0xff])) {
      return ParseResult.invalid("not a PostgreSQL message type: " + (data[from] & 0xff));
    }
    if (n < head) {
      return atEnd ? ParseResult.invalid("PostgreSQL message header cut")
          : ParseResult.needsMoreData(head);
    }
    long length = PgReader.int32(data, from + (untyped ? 0 : 1)) & 0xffffffffL;
    if (untyped ? length < 8 || length > MAX_STARTUP_LENGTH : length < 4 || length > MAX_LENGTH) {
      return ParseResult.invalid("implausible PostgreSQL message length " + length);
    }
    long bodyLength = untyped ? length - 4 : length - 4;
    long total = (untyped ? 0 : 1) + length;
    int bodyFrom = from + head;
    if (n < total) {
      if (!atEnd) {
        return ParseResult.needsMoreData(total);
      }
      int have = n - head;
      byte[] body = Arrays.copyOfRange(data, bodyFrom, bodyFrom + Math.min(have, maxBodyBytes));
      return ParseResult.success(new PgMessage(untyped ? 0 : data[from], body, bodyLength, true),
          n, total - n);
    }
    int keep = (int) Math.min(bodyLength, maxBodyBytes);
    byte[] body = Arrays.copyOfRange(data, bodyFrom, bodyFrom + keep);
    return ParseResult.success(
        new PgMessage(untyped ? 0 : data[from], body, bodyLength, keep < bodyLength),
        (int) total, 0);
  }
}
