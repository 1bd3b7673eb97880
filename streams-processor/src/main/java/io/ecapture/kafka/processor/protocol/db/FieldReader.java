package io.ecapture.kafka.processor.protocol.db;

import java.nio.charset.StandardCharsets;

/**
 * A cursor over the fields of one SQL protocol message (MySQL's {@code MysqlReader}, PostgreSQL's
 * {@code PgReader} add their integers): reads past the end give empty values and stop at the end,
 * never throw (a message cut to the body limit reads as far as it goes).
 */
public abstract class FieldReader {
  protected final byte[] data;
  protected int pos;

  protected FieldReader(byte[] data, int pos) {
    this.data = data;
    this.pos = pos;
  }

  /** Whether {@code bytes} more bytes are there. */
  public final boolean has(int bytes) {
    return pos + bytes <= data.length;
  }

  public final int position() {
    return pos;
  }

  /** A NUL-terminated string (the rest of the data when the NUL is missing: a cut message). */
  public final String cstring() {
    int end = pos;
    while (end < data.length && data[end] != 0) {
      end++;
    }
    String s = new String(data, pos, end - pos, StandardCharsets.UTF_8);
    pos = Math.min(data.length, end + 1);
    return s;
  }

  /** Skips {@code bytes} bytes (at most to the end). */
  public final void skip(long bytes) {
    pos = (int) Math.min(data.length, pos + Math.max(0, bytes));
  }
}
