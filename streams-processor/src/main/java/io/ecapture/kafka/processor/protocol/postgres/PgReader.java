package io.ecapture.kafka.processor.protocol.postgres;

import io.ecapture.kafka.processor.protocol.db.FieldReader;

/** Reads the fields of a message body: big-endian integers and NUL-terminated strings. */
final class PgReader extends FieldReader {
  PgReader(byte[] data, int pos) {
    super(data, pos);
  }

  static int int32(byte[] b, int at) {
    return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8
        | (b[at + 3] & 0xff);
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
}
