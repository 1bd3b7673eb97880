package io.ecapture.kafka.forwarder.format;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.common.HexDump;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.charset.StandardCharsets;

/**
 * The payload of an event as the text format shows it: the processor's rendering of the message
 * (headers and decoded body), or a hex dump (Go's {@code hex.Dump} layout, as eCapture prints
 * binary data) of the raw bytes when nothing was rendered or {@code --hex} asks; cut at {@code
 * --truncate} bytes with a line saying so.
 */
public final class Payloads {
  private Payloads() {}

  /** The bytes the payload shows: raw for undecoded data, else the rendering. */
  public static ByteString bytes(ParsedMessage m) {
    return !m.getRaw().isEmpty() ? m.getRaw() : ParsedText.rendered(m);
  }

  /**
   * @param hex dump the bytes in hex even when they are text
   * @param truncate at most this many payload bytes are shown; 0 = all
   */
  public static String render(ParsedMessage m, boolean hex, int truncate) {
    ByteString rendered = ParsedText.rendered(m);
    boolean binary = rendered.isEmpty() && !m.getRaw().isEmpty();
    ByteString data = hex || binary ? bytes(m) : rendered;
    int total = data.size();
    int shown = truncate > 0 && total > truncate ? truncate : total;
    String text;
    if (hex || binary) {
      text = HexDump.dump(data.substring(0, shown).toByteArray());
    } else {
      int cut = shown;
      // back off to a UTF-8 character boundary so the text stays decodable
      while (cut < total && cut > 0 && (data.byteAt(cut) & 0xC0) == 0x80) {
        cut--;
      }
      shown = cut;
      text = data.substring(0, cut).toString(StandardCharsets.UTF_8);
    }
    if (shown < total) {
      String sep = text.endsWith("\n") || text.isEmpty() ? "" : "\n";
      text = text + sep + "[truncated: first " + shown + " of " + total + " bytes shown (--truncate " + truncate + ")]\n";
    }
    return text;
  }
}
