package io.ecapture.kafka.processor.protocol.http2;

/**
 * Which representations of a header block change the HPACK dynamic table (RFC 7541 §6): the
 * dynamic table size updates at its start (§6.3) and, per emitted field in wire order, whether
 * it was a literal with incremental indexing (§6.2.1). Strings are skipped, never decoded: the
 * decoded fields come from Netty's decoder, this only says which of them entered the table.
 *
 * <p>Used on blocks Netty already decoded, so a malformed block here means the two disagree:
 * {@link #scan} then returns null and the caller treats the table as unknown.
 */
record HpackTableChanges(long[] sizeUpdates, boolean[] incremental, int fields) {
  private static final long[] NO_UPDATES = {};

  /** True when the block neither resized the table nor inserted into it. */
  boolean none() {
    if (sizeUpdates.length > 0) {
      return false;
    }
    for (int i = 0; i < fields; i++) {
      if (incremental[i]) {
        return false;
      }
    }
    return true;
  }

  /** Scans {@code block}; null when it is not a sequence of well-formed representations. */
  static HpackTableChanges scan(byte[] block) {
    Cursor in = new Cursor(block);
    long[] updates = NO_UPDATES;
    // Netty (and RFC 7541 §4.2) only accepts size updates at the start of a block
    while (in.more() && (block[in.pos] & 0xe0) == 0x20) {
      long size = in.integer(5);
      if (size < 0) {
        return null;
      }
      updates = java.util.Arrays.copyOf(updates, updates.length + 1);
      updates[updates.length - 1] = size;
    }
    boolean[] incremental = new boolean[Math.max(1, block.length - in.pos)];
    int fields = 0;
    while (in.more()) {
      int b = block[in.pos] & 0xff;
      boolean ok;
      if ((b & 0x80) != 0) {
        ok = in.integer(7) > 0;
      } else if ((b & 0xc0) == 0x40) {
        incremental[fields] = true;
        ok = literal(in, 6);
      } else if ((b & 0xe0) == 0x20) {
        return null; // a size update after a field
      } else {
        ok = literal(in, 4);
      }
      if (!ok) {
        return null;
      }
      fields++;
    }
    return new HpackTableChanges(updates, incremental, fields);
  }

  /** A literal field (§6.2): name index or literal name, then the value string. */
  private static boolean literal(Cursor in, int prefixBits) {
    long nameIndex = in.integer(prefixBits);
    if (nameIndex < 0) {
      return false;
    }
    return (nameIndex > 0 || in.skipString()) && in.skipString();
  }

  private static final class Cursor {
    private final byte[] data;
    private int pos;

    Cursor(byte[] data) {
      this.data = data;
    }

    boolean more() {
      return pos < data.length;
    }

    /** An integer with an N-bit prefix (§5.1), or -1 when cut or absurdly large. */
    long integer(int prefixBits) {
      if (pos >= data.length) {
        return -1;
      }
      int max = (1 << prefixBits) - 1;
      long value = data[pos++] & max;
      if (value < max) {
        return value;
      }
      for (int shift = 0; shift <= 28; shift += 7) {
        if (pos >= data.length) {
          return -1;
        }
        int b = data[pos++] & 0xff;
        value += (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return value;
        }
      }
      return -1;
    }

    /** A string literal (§5.2): H bit, 7-bit prefixed length, octets. */
    boolean skipString() {
      long length = integer(7);
      if (length < 0 || length > data.length - pos) {
        return false;
      }
      pos += (int) length;
      return true;
    }
  }
}
