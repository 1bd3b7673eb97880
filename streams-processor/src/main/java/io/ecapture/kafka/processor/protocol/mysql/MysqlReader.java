package io.ecapture.kafka.processor.protocol.mysql;

import java.nio.charset.StandardCharsets;

/** Little-endian integers, length-encoded integers and strings of a packet payload. */
final class MysqlReader {
  private final byte[] data;
  private int pos;

  MysqlReader(byte[] data, int pos) {
    this.data = data;
    this.pos = pos;
  }

  boolean has(int bytes) {
    return pos + bytes <= data.length;
  }

  int position() {
    return pos;
  }

  void seek(int position) {
    pos = Math.max(0, Math.min(data.length, position));
  }

  int int1() {
    return has(1) ? data[pos++] & 0xff : 0;
  }

  int int2() {
    return (int) fixed(2);
  }

  long int4() {
    return fixed(4);
  }

  long fixed(int bytes) {
    if (!has(bytes)) {
      pos = data.length;
      return 0;
    }
    long v = 0;
    for (int i = 0; i < bytes; i++) {
      v |= (long) (data[pos + i] & 0xff) << (8 * i);
    }
    pos += bytes;
    return v;
  }

  /** Length-encoded integer (0xfb = NULL reads as 0). */
  long lenenc() {
    int first = int1();
    return switch (first) {
      case 0xfc -> fixed(2);
      case 0xfd -> fixed(3);
      case 0xfe -> fixed(8);
      case 0xfb, 0xff -> 0;
      default -> first;
    };
  }

  String cstring() {
    int end = pos;
    while (end < data.length && data[end] != 0) {
      end++;
    }
    String s = new String(data, pos, end - pos, StandardCharsets.UTF_8);
    pos = Math.min(data.length, end + 1);
    return s;
  }

  String fixedString(int length) {
    int n = Math.max(0, Math.min(length, data.length - pos));
    String s = new String(data, pos, n, StandardCharsets.UTF_8);
    pos += n;
    return s;
  }

  String rest() {
    return fixedString(data.length - pos);
  }

  void skip(long bytes) {
    pos = (int) Math.min(data.length, pos + Math.max(0, bytes));
  }
}
