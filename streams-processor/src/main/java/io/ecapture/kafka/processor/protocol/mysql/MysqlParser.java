package io.ecapture.kafka.processor.protocol.mysql;

import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import java.util.Arrays;

/**
 * Packets of the MySQL/MariaDB client/server protocol. Detected by the first packet a direction
 * carries: a HandshakeResponse41 (capability flags with CLIENT_PROTOCOL_41, 23 zero bytes of
 * filler at payload offset 9, sequence id 1 or 2: the first packet inside TLS, since the server
 * greeting and the client's SSLRequest go before TLS), or, on a stream's first bytes, the server
 * greeting (protocol version 10 and a NUL-terminated version string; plaintext connections).
 */
public final class MysqlParser implements ProtocolParser<MysqlPacket> {
  static final long CLIENT_PROTOCOL_41 = 0x200;
  private final int maxBodyBytes;

  public MysqlParser(int maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  static int length(byte[] data, int at) {
    return (data[at] & 0xff) | (data[at + 1] & 0xff) << 8 | (data[at + 2] & 0xff) << 16;
  }

  @Override
  public Detection detect(byte[] data, int from, int to) {
    return detect(data, from, to, false);
  }

  /** A HandshakeResponse41, or at a stream's start also a server greeting. */
  public Detection detect(byte[] data, int from, int to, boolean streamStart) {
    int n = to - from;
    if (n < 4) {
      return n == 0 || plausibleHeaderPrefix(data, from, to) ? Detection.NEEDS_MORE_DATA
          : Detection.NO_MATCH;
    }
    int length = length(data, from);
    int seq = data[from + 3] & 0xff;
    if (streamStart && seq == 0 && length >= 8 && length < 512) {
      if (n < 5) {
        return Detection.NEEDS_MORE_DATA;
      }
      if (data[from + 4] == 10) {
        return greetingVersion(data, from + 5, Math.min(to, from + 4 + length), n >= 4 + length)
            ? Detection.MATCH : n >= 4 + length || n >= 70 ? Detection.NO_MATCH
            : Detection.NEEDS_MORE_DATA;
      }
    }
    if ((seq != 1 && seq != 2) || length < 32 || length > 65536) {
      return Detection.NO_MATCH;
    }
    if (n < 4 + 32) {
      return prefixIsHandshake(data, from + 4, to) ? Detection.NEEDS_MORE_DATA
          : Detection.NO_MATCH;
    }
    return prefixIsHandshake(data, from + 4, from + 36) ? Detection.MATCH : Detection.NO_MATCH;
  }

  private static boolean plausibleHeaderPrefix(byte[] data, int from, int to) {
    // a 3-byte length below 64 KiB: its third byte is 0
    return to - from < 3 || data[from + 2] == 0;
  }

  /**
   * Capability flags with CLIENT_PROTOCOL_41 and the zero filler, as far as present: 23 bytes,
   * of which MariaDB uses the last 4 for its extended capabilities when the client clears
   * CLIENT_MYSQL (bit 0), so only the first 19 must be zero.
   */
  private static boolean prefixIsHandshake(byte[] data, int payload, int to) {
    if (to - payload >= 2 && (data[payload + 1] & 0x02) == 0) {
      return false; // CLIENT_PROTOCOL_41 is bit 9
    }
    for (int i = payload + 9; i < Math.min(to, payload + 28); i++) {
      if (data[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** A printable version string ending in NUL within 64 bytes. */
  private static boolean greetingVersion(byte[] data, int from, int to, boolean whole) {
    for (int i = from; i < Math.min(to, from + 64); i++) {
      int b = data[i] & 0xff;
      if (b == 0) {
        return i > from;
      }
      if (b < 0x20 || b > 0x7e) {
        return false;
      }
    }
    return false;
  }

  /** The next header of a plausible command packet (sequence id 0, a known command byte). */
  @Override
  public int findBoundary(byte[] data, int from, int to) {
    for (int i = from; i + 5 <= to; i++) {
      int length = length(data, i);
      int command = data[i + 4] & 0xff;
      if (data[i + 3] == 0 && length >= 1 && length <= maxBodyBytes
          && (command >= 0x01 && command <= 0x1f || command == 0xfa)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public ParseResult<MysqlPacket> parse(byte[] data, int from, int to, boolean atEnd,
      ParseContext context) {
    int n = to - from;
    if (n < 4) {
      return atEnd ? ParseResult.invalid("MySQL packet header cut") : ParseResult.needsMoreData(4);
    }
    int length = length(data, from);
    int seq = data[from + 3] & 0xff;
    long total = 4L + length;
    int keep = (int) Math.min(Math.min(length, maxBodyBytes), n - 4);
    byte[] payload = Arrays.copyOfRange(data, from + 4, from + 4 + keep);
    if (n < total) {
      if (!atEnd) {
        return ParseResult.needsMoreData(total);
      }
      return ParseResult.success(new MysqlPacket(seq, payload, length, true), n, total - n);
    }
    return ParseResult.success(new MysqlPacket(seq, payload, length, keep < length),
        (int) total, 0);
  }
}
