package io.ecapture.kafka.processor.protocol.postgres;

import java.nio.charset.StandardCharsets;

/** Reads the fields of a message body: big-endian integers and NUL-terminated strings. */
final class PgReader {
  private final byte[] data;
  private int pos;

  PgReader(byte[] data, int pos) {
    this.data = data;
    this.pos = pos;
  }

  static int int32(byte[] b, int at) {
    return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8
        | (b[at + 3] & 0xff);
  }

  boolean has(int bytes) {
    return pos + bytes <= data.length;
  }

  int position() {
    return pos;
  }

  byte byte1() {
    return has(1) ? data[pos++] : 0;
  }

  int int16() {
    if (!has(2)) {
      pos = data.length;
      return 0;
    }
    int v = (data[pos] & 0xff) << 8 | (data[pos + 1] & 0xff);
    pos += 2;
    return v;
  }

  int int32() {
    if (!has(4)) {
      pos = data.length;
      return 0;
    }
    int v = int32(data, pos);
    pos += 4;
    return v;
  }

  /** A NUL-terminated string (the rest of the body when the NUL is missing: a cut message). */
  String cstring() {
    int end = pos;
    while (end < data.length && data[end] != 0) {
      end++;
    }
    String s = new String(data, pos, end - pos, StandardCharsets.UTF_8);
    pos = Math.min(data.length, end + 1);
    return s;
  }

  void skip(int bytes) {
    pos = (int) Math.min(data.length, (long) pos + Math.max(0, bytes));
  }
}
