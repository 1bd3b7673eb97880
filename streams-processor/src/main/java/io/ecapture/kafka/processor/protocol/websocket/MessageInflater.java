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
 * fails ("distance too far back"). So when history is lost (capture gap, a cut message) the
 * caller drops the instance and starts a fresh one; later messages inflate or fail, never lie.
 * With context takeover the instance keeps its last 32 KiB of output ({@link #window()}), from
 * which a new instance continues the context (after a restart, from the state store).
 */
public final class MessageInflater implements AutoCloseable {
  private static final byte[] TAIL = {0x00, 0x00, (byte) 0xff, (byte) 0xff};

  /** DEFLATE's largest LZ77 window (RFC 1951 §2): all the history a message can refer to. */
  public static final int WINDOW_BYTES = 32 * 1024;

  private final Inflater inflater = new Inflater(true);
  private final int maxOutputBytes;
  private final long maxWorkBytes;
  /**
   * The last {@link #WINDOW_BYTES} inflated (a ring), kept while the context carries over;
   * allocated on first use, so no-context-takeover directions never pay for it.
   */
  private byte[] window;
  private int windowEnd;
  private boolean windowFull;
  private boolean tracking;

  /**
   * @param maxOutputBytes inflated bytes kept per message (the body limit)
   * @param maxWorkBytes inflated bytes produced at most per message, kept or not: the window
   *     needs every byte, but a decompression bomb must stop somewhere (the context is then lost)
   */
  public MessageInflater(int maxOutputBytes, long maxWorkBytes) {
    this(maxOutputBytes, maxWorkBytes, null);
  }

  /**
   * An inflater that continues a context whose last inflated bytes were {@code history} (at most
   * {@link #WINDOW_BYTES} are used): a raw inflater accepts them as its preset dictionary, which
   * is exactly the LZ77 window the next message may refer to.
   */
  public MessageInflater(int maxOutputBytes, long maxWorkBytes, byte[] history) {
    this.maxOutputBytes = maxOutputBytes;
    this.maxWorkBytes = maxWorkBytes;
    if (history != null && history.length > 0) {
      int from = Math.max(0, history.length - WINDOW_BYTES);
      remember(history, from, history.length - from);
      inflater.setDictionary(history, from, history.length - from);
    }
  }

  /** The last up to {@link #WINDOW_BYTES} bytes inflated since the context (re)started. */
  public byte[] window() {
    if (window == null) {
      return new byte[0];
    }
    if (!windowFull) {
      return java.util.Arrays.copyOf(window, windowEnd);
    }
    byte[] out = new byte[WINDOW_BYTES];
    System.arraycopy(window, windowEnd, out, 0, WINDOW_BYTES - windowEnd);
    System.arraycopy(window, 0, out, WINDOW_BYTES - windowEnd, windowEnd);
    return out;
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
      windowEnd = 0;
      windowFull = false;
    }
    tracking = !resetBefore;
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
    // a final block (BFINAL, RFC 7692 §7.2.3.4) ends the DEFLATE stream; the next message still
    // refers to the same window (§7.2.2), so a new stream starts with it as preset dictionary
    boolean ended = inflater.finished();
    boolean lost = !complete || (ended && !tracking);
    if (ended && !lost) {
      inflater.reset();
      byte[] history = window();
      if (history.length > 0) {
        inflater.setDictionary(history);
      }
    }
    return new Result(kept.toByteArray(), complete, truncated || !complete, lost);
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
      if (tracking) {
        remember(buffer, 0, n);
      }
      int room = maxOutputBytes - kept.size();
      if (room > 0) {
        kept.write(buffer, 0, Math.min(room, n));
      }
    }
  }

  private void remember(byte[] bytes, int offset, int length) {
    if (window == null) {
      window = new byte[WINDOW_BYTES];
    }
    if (length >= WINDOW_BYTES) {
      System.arraycopy(bytes, offset + length - WINDOW_BYTES, window, 0, WINDOW_BYTES);
      windowEnd = 0;
      windowFull = true;
      return;
    }
    int first = Math.min(length, WINDOW_BYTES - windowEnd);
    System.arraycopy(bytes, offset, window, windowEnd, first);
    System.arraycopy(bytes, offset + first, window, 0, length - first);
    windowFull |= windowEnd + length >= WINDOW_BYTES;
    windowEnd = (windowEnd + length) % WINDOW_BYTES;
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
