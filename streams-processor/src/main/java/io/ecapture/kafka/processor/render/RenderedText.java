package io.ecapture.kafka.processor.render;

import com.google.protobuf.UnsafeByteOperations;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The display text of one message ({@code rendered}) while it is written: a protocol's head,
 * the body within the rendered limit ({@link TextRenderer#appendBody}), notes; then the bytes and
 * whether part of the body was left out ({@code rendered_truncated}, {@code
 * rendered_original_length}: the size the text would have had with the whole body shown).
 */
public final class RenderedText {
  private final StringBuilder out;
  private final int capacityHint;
  /**
   * The text before {@link #out}'s, UTF-8, once a plain ASCII body was appended as its bytes
   * ({@code doneLength} of them); null until then.
   */
  private byte[] done;
  private int doneLength;
  private long leftOutBytes;
  private long noteBytes;
  /**
   * The message's {@code http.body}, shown whole as its bytes and not copied into the text
   * ({@link #httpBody}); null when none. The text before it is in {@link #done}.
   */
  private byte[] sharedBody;

  public RenderedText(int capacityHint) {
    this.capacityHint = Math.max(64, capacityHint);
    out = new StringBuilder(Math.min(this.capacityHint, 4096));
  }

  /**
   * The builder to append heads and notes to (after a body, it holds only what follows the body:
   * append to it, never read or edit what it held).
   */
  public StringBuilder text() {
    return out;
  }

  /** Appends the body as text (when it is) or a hex dump, within {@code limit}. */
  public RenderedText body(byte[] body, int limit) {
    if (body.length <= limit && body.length >= 64 && TextRenderer.isPlainAscii(body)) {
      // shown whole, and its UTF-8 text is its bytes: copied once, never made a String (which
      // cost three more copies of the body: the String, the builder's and toString's)
      appendBytes(body);
      return this;
    }
    return body(body, TextRenderer.asText(body), limit);
  }

  /**
   * As {@link #body(byte[], int)} for a body that is also the message's {@code http.body}: when
   * it is shown whole as its own bytes it is not copied into the text at all; the message says
   * the text continues with its body ({@code rendered_body_shared}, see {@link Result#applyTo}),
   * unless something is appended after it (a note), which puts the copy back.
   */
  public RenderedText httpBody(byte[] body, int limit) {
    if (sharedBody == null && body.length <= limit && body.length >= 64
        && TextRenderer.isPlainAscii(body)) {
      appendBytes(body, false);
      sharedBody = body;
      return this;
    }
    return body(body, limit);
  }

  private void appendBytes(byte[] bytes) {
    appendBytes(bytes, true);
  }

  private void appendBytes(byte[] bytes, boolean copy) {
    byte[] head = out.toString().getBytes(StandardCharsets.UTF_8);
    out.setLength(0); // callers keep appending to the same builder: it holds what comes after
    ensure(head.length + (copy ? bytes.length : 0) + 128);
    System.arraycopy(head, 0, done, doneLength, head.length);
    doneLength += head.length;
    if (copy) {
      System.arraycopy(bytes, 0, done, doneLength, bytes.length);
      doneLength += bytes.length;
    }
  }

  private void ensure(int more) {
    if (done == null) {
      done = new byte[Math.max(capacityHint, more)];
    } else if (done.length - doneLength < more) {
      done = Arrays.copyOf(done, Math.max(done.length * 2, doneLength + more));
    }
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
    if (sharedBody != null && bytes.length == 0 && !truncated) {
      // the text ends with the shared body: it is sent once, as http.body
      return new Result(Arrays.copyOf(done, doneLength), false, 0, true);
    }
    if (sharedBody != null) {
      // a note follows the body: the body goes into the text after all
      byte[] whole = new byte[doneLength + sharedBody.length + bytes.length];
      System.arraycopy(done, 0, whole, 0, doneLength);
      System.arraycopy(sharedBody, 0, whole, doneLength, sharedBody.length);
      System.arraycopy(bytes, 0, whole, doneLength + sharedBody.length, bytes.length);
      bytes = whole;
    } else if (done != null) {
      byte[] whole = Arrays.copyOf(done, doneLength + bytes.length);
      System.arraycopy(bytes, 0, whole, doneLength, bytes.length);
      bytes = whole;
    }
    return new Result(bytes, truncated, truncated ? bytes.length - noteBytes + leftOutBytes : 0,
        false);
  }

  /**
   * A display text.
   *
   * @param bytes UTF-8
   * @param truncated part of the body was left out (a note at its place says so)
   * @param originalLength when truncated, the bytes the text would have had with the whole body
   * @param bodyShared the text continues with the message's {@code http.body}, which {@code
   *     bytes} does not repeat ({@code rendered_body_shared})
   */
  public record Result(byte[] bytes, boolean truncated, long originalLength, boolean bodyShared) {
    /**
     * Sets {@code rendered} (not copied: the array is never written again), the cut fields and
     * {@code rendered_body_shared}.
     */
    public ParsedMessage.Builder applyTo(ParsedMessage.Builder message) {
      message.setRendered(UnsafeByteOperations.unsafeWrap(bytes));
      if (truncated) {
        message.setRenderedTruncated(true).setRenderedOriginalLength(originalLength);
      }
      if (bodyShared) {
        message.setRenderedBodyShared(true);
      }
      return message;
    }
  }
}
