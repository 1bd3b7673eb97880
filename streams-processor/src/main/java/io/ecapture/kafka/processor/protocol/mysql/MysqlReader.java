package io.ecapture.kafka.processor.protocol.mysql;

import io.ecapture.kafka.processor.protocol.db.FieldReader;
import java.nio.charset.StandardCharsets;

/** Little-endian integers, length-encoded integers and strings of a packet payload. */
final class MysqlReader extends FieldReader {
  MysqlReader(byte[] data, int pos) {
    super(data, pos);
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

  String fixedString(int length) {
    int n = Math.max(0, Math.min(length, data.length - pos));
    String s = new String(data, pos, n, StandardCharsets.UTF_8);
    pos += n;
    return s;
  }

  String rest() {
    return fixedString(data.length - pos);
  }
}
