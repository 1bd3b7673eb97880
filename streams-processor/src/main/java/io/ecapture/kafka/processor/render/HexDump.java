package io.ecapture.kafka.processor.render;

/**
 * Hex dump in the layout eCapture shows for binary data (that of Go's {@code hex.Dump}): offset,
 * two groups of eight bytes, then the printable ASCII column between bars.
 *
 * <pre>00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|</pre>
 */
public final class HexDump {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private HexDump() {}

  public static String dump(byte[] data) {
    return dump(data, 0, data.length);
  }

  public static String dump(byte[] data, int from, int length) {
    StringBuilder out = new StringBuilder((length / 16 + 1) * 79);
    for (int line = 0; line < length; line += 16) {
      appendHex(out, line, 8);
      out.append("  ");
      int n = Math.min(16, length - line);
      for (int i = 0; i < 16; i++) {
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

  private static void appendHex(StringBuilder out, int value, int digits) {
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
      out.append(HEX[(value >>> shift) & 0xf]);
    }
  }
}
