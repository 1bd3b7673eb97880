package io.ecapture.kafka.processor.protocol.websocket;

import java.io.ByteArrayOutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Inflates permessage-deflate messages of one direction (RFC 7692 §7.2.2): raw DEFLATE, the
 * sender's trailing {@code 00 00 ff ff} restored before inflating. With context takeover the
 * LZ77 window carries over from message to message, so one instance must see every compressed
 * message of its direction, in order.
 *
 * <p>A fresh inflater never produces wrong bytes: a back-reference into history it did not see
 * fails ("distance too far back"). So when history is lost (capture gap, restart, a cut message)
 * the caller drops the instance and starts a fresh one; later messages inflate or fail, never lie.
 */
public final class MessageInflater implements AutoCloseable {
  private static final byte[] TAIL = {0x00, 0x00, (byte) 0xff, (byte) 0xff};

  private final Inflater inflater = new Inflater(true);
  private final int maxOutputBytes;
  private final long maxWorkBytes;

  /**
   * @param maxOutputBytes inflated bytes kept per message (the body limit)
   * @param maxWorkBytes inflated bytes produced at most per message, kept or not: the window
   *     needs every byte, but a decompression bomb must stop somewhere (the context is then lost)
   */
  public MessageInflater(int maxOutputBytes, long maxWorkBytes) {
    this.maxOutputBytes = maxOutputBytes;
    this.maxWorkBytes = maxWorkBytes;
  }

  /**
   * Outcome of {@link #inflate}.
   *
   * @param bytes inflated bytes, at most the output limit
   * @param ok the message inflated completely
   * @param truncated more bytes came out than are kept
   * @param contextLost this instance must not be used again (error, bomb, incomplete input)
   */
  public record Result(byte[] bytes, boolean ok, boolean truncated, boolean contextLost) {}

  /**
   * Inflates one whole message. {@code complete} is false when some compressed bytes are
   * missing: what inflates is returned, and the context is lost.
   */
  public Result inflate(byte[] compressed, boolean complete, boolean resetBefore) {
    if (resetBefore) {
      inflater.reset();
    }
    ByteArrayOutputStream kept = new ByteArrayOutputStream(Math.min(maxOutputBytes, compressed.length * 4 + 64));
    byte[] buffer = new byte[16384];
    long produced = 0;
    try {
      inflater.setInput(compressed);
      produced += drain(buffer, kept, produced);
      if (complete) {
        inflater.setInput(TAIL);
        produced += drain(buffer, kept, produced);
      }
    } catch (DataFormatException e) {
      return new Result(kept.toByteArray(), false, false, true);
    } catch (BombException e) {
      return new Result(kept.toByteArray(), false, true, true);
    }
    boolean truncated = produced > kept.size();
    // a final block (BFINAL) ends the zlib stream: java.util.zip cannot continue it with the
    // window kept, so the next message starts afresh (correct, or failing on a back-reference)
    boolean ended = inflater.finished();
    return new Result(kept.toByteArray(), complete, truncated || !complete, !complete || ended);
  }

  private long drain(byte[] buffer, ByteArrayOutputStream kept, long producedBefore)
      throws DataFormatException {
    long produced = 0;
    while (true) {
      int n = inflater.inflate(buffer);
      if (n == 0) {
        if (inflater.needsInput() || inflater.finished() || inflater.needsDictionary()) {
          return produced;
        }
        continue;
      }
      produced += n;
      if (producedBefore + produced > maxWorkBytes) {
        throw new BombException();
      }
      int room = maxOutputBytes - kept.size();
      if (room > 0) {
        kept.write(buffer, 0, Math.min(room, n));
      }
    }
  }

  @Override
  public void close() {
    inflater.end();
  }

  private static final class BombException extends RuntimeException {
    BombException() {
      super(null, null, false, false);
    }
  }
}
