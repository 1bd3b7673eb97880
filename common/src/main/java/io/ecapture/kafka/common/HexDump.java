package io.ecapture.kafka.common;

/**
 * Hex dump in the layout of Go's {@code encoding/hex.Dump}, the one eCapture prints for binary
 * payloads: an 8-digit offset, two groups of eight bytes, then the printable ASCII column between
 * bars; the last line is padded so its ASCII column lines up.
 *
 * <pre>00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|</pre>
 */
public final class HexDump {
  /** Characters of one full line, newline included. */
  public static final int LINE_CHARS = 79;
  /** Bytes shown per line. */
  public static final int BYTES_PER_LINE = 16;

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private HexDump() {}

  public static String dump(byte[] data) {
    return dump(data, 0, data.length);
  }

  /** Dumps {@code data[from, from + length)}; offsets start at 0. */
  public static String dump(byte[] data, int from, int length) {
    java.util.Objects.checkFromIndexSize(from, length, data.length);
    StringBuilder out = new StringBuilder((length / BYTES_PER_LINE + 1) * LINE_CHARS);
    for (int line = 0; line < length; line += BYTES_PER_LINE) {
      appendHex(out, line, 8);
      out.append("  ");
      int n = Math.min(BYTES_PER_LINE, length - line);
      for (int i = 0; i < BYTES_PER_LINE; i++) {
        if (i < n) {
          int b = data[from + line + i] & 0xff;
          out.append(HEX[b >>> 4]).append(HEX[b & 0xf]).append(' ');
        } else {
          out.append("   ");
        }
        if (i == 7) {
          out.append(' ');
        }
      }
      out.append(" |");
      for (int i = 0; i < n; i++) {
        int b = data[from + line + i] & 0xff;
        out.append(b >= 0x20 && b <= 0x7e ? (char) b : '.');
      }
      out.append("|\n");
    }
    return out.toString();
  }

  /**
   * Dumps as many whole lines of {@code data} as fit in {@code maxChars} characters (at least one
   * line).
   */
  public static String dumpWithin(byte[] data, int maxChars) {
    long lines = Math.max(1, maxChars / LINE_CHARS);
    int bytes = (int) Math.min(data.length, lines * BYTES_PER_LINE);
    return dump(data, 0, bytes);
  }

  private static void appendHex(StringBuilder out, int value, int digits) {
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
      out.append(HEX[(value >>> shift) & 0xf]);
    }
  }
}
