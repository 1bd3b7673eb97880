package io.ecapture.kafka.processor.render;

import com.google.protobuf.UnsafeByteOperations;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.charset.StandardCharsets;

/**
 * The display text of one message ({@code rendered}) while it is written: a protocol's head,
 * the body within the rendered limit ({@link TextRenderer#appendBody}), notes; then the bytes and
 * whether part of the body was left out ({@code rendered_truncated}, {@code
 * rendered_original_length}: the size the text would have had with the whole body shown).
 */
public final class RenderedText {
  private final StringBuilder out;
  private long leftOutBytes;
  private long noteBytes;

  public RenderedText(int capacityHint) {
    out = new StringBuilder(Math.max(64, capacityHint));
  }

  /** The text so far, to append heads and notes to. */
  public StringBuilder text() {
    return out;
  }

  /** Appends the body as text (when it is) or a hex dump, within {@code limit}. */
  public RenderedText body(byte[] body, int limit) {
    return body(body, TextRenderer.asText(body), limit);
  }

  /** Appends the body as {@code text}, or as a hex dump when null, within {@code limit}. */
  public RenderedText body(byte[] body, String text, int limit) {
    TextRenderer.Cut cut = TextRenderer.appendBody(out, body, text, limit);
    leftOutBytes += cut.leftOutBytes();
    noteBytes += cut.noteBytes();
    return this;
  }

  /**
   * Says that the body itself is not whole: cut by the processor's body limit ({@code byLimit};
   * {@code kept} of {@code original} bytes, or the first {@code kept} bytes of the decoded form
   * of {@code original} bytes on the wire when {@code keptDecoded}), or missing from the capture
   * (idle flush, gap, close: {@code kept} bytes captured, of {@code original} when known). Shown
   * to eCaptureQ users, who only see this text.
   */
  public RenderedText bodyCut(boolean byLimit, long kept, long original, boolean keptDecoded) {
    out.append("\n[ecapture-kafka: ");
    if (byLimit && keptDecoded) {
      out.append("body cut at the processor's body limit, the first ").append(kept)
          .append(" bytes of the decoded body kept (").append(original).append(" on the wire)]");
    } else if (byLimit) {
      out.append("body cut at the processor's body limit, ").append(kept).append(" of ")
          .append(original).append(" bytes kept]");
    } else if (original > kept) {
      out.append("body incomplete, ").append(kept).append(" of ").append(original)
          .append(" bytes captured]");
    } else {
      out.append("body incomplete, ").append(kept).append(" bytes captured]");
    }
    return this;
  }

  /** The finished text. */
  public Result build() {
    byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
    boolean truncated = leftOutBytes > 0;
    return new Result(bytes, truncated, truncated ? bytes.length - noteBytes + leftOutBytes : 0);
  }

  /**
   * A display text.
   *
   * @param bytes UTF-8
   * @param truncated part of the body was left out (a note at its place says so)
   * @param originalLength when truncated, the bytes the text would have had with the whole body
   */
  public record Result(byte[] bytes, boolean truncated, long originalLength) {
    /** Sets {@code rendered} (not copied: the array is never written again) and the cut fields. */
    public ParsedMessage.Builder applyTo(ParsedMessage.Builder message) {
      message.setRendered(UnsafeByteOperations.unsafeWrap(bytes));
      if (truncated) {
        message.setRenderedTruncated(true).setRenderedOriginalLength(originalLength);
      }
      return message;
    }
  }
}
