package io.ecapture.kafka.gateway;

import com.google.protobuf.ByteString;

/**
 * A classic 16-bytes-per-line hex dump ({@code offset  hex  |ascii|}), used only when the
 * processor sent raw bytes without a rendering.
 */
final class HexDump {
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final int PER_LINE = 16;
  /** Each line: 8 offset + 2 + 16*3 + 1 + 16 + 2 + newline. */
  private static final int LINE_CHARS = 8 + 2 + PER_LINE * 3 + 1 + PER_LINE + 2 + 1;

  private HexDump() {}

  /** Dumps as many whole lines of {@code data} as fit in {@code maxChars}. */
  static String render(ByteString data, int maxChars) {
    int lines = Math.min((data.size() + PER_LINE - 1) / PER_LINE, Math.max(1, maxChars / LINE_CHARS));
    StringBuilder out = new StringBuilder(lines * LINE_CHARS);
    for (int line = 0; line < lines; line++) {
      int start = line * PER_LINE;
      int end = Math.min(start + PER_LINE, data.size());
      appendHex(out, start, 8);
      out.append("  ");
      for (int i = start; i < start + PER_LINE; i++) {
        if (i < end) {
          appendHex(out, data.byteAt(i) & 0xFF, 2);
          out.append(' ');
        } else {
          out.append("   ");
        }
      }
      out.append(" |");
      for (int i = start; i < end; i++) {
        int b = data.byteAt(i) & 0xFF;
        out.append(b >= 0x20 && b < 0x7F ? (char) b : '.');
      }
      out.append("|\n");
    }
    return out.toString();
  }

  private static void appendHex(StringBuilder out, int value, int digits) {
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
      out.append(HEX[(value >>> shift) & 0xF]);
    }
  }
}
