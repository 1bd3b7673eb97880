package io.ecapture.kafka.processor.protocol.http;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import com.github.luben.zstd.ZstdInputStream;
import org.brotli.dec.BrotliInputStream;

/**
 * Removes Content-Encoding codings (RFC 9110 §8.4): gzip, x-gzip, deflate (zlib or raw, as
 * servers disagree), br (RFC 7932), zstd (RFC 8878), identity. Other codings leave the body as it was with
 * {@code decoded = false}. A body cut by the capture decodes as far as its bytes allow.
 */
public final class BodyDecoder {
  private final int maxDecodedBytes;

  public BodyDecoder(int maxDecodedBytes) {
    this.maxDecodedBytes = maxDecodedBytes;
  }

  public DecodedBody decode(String contentEncoding, byte[] body) {
    if (contentEncoding == null || contentEncoding.isBlank() || body.length == 0) {
      return new DecodedBody(body, true, false);
    }
    String[] codings = contentEncoding.split(",");
    byte[] current = body;
    boolean truncated = false;
    // codings are listed in the order they were applied: undo them from the last
    for (int i = codings.length - 1; i >= 0; i--) {
      String coding = codings[i].strip().toLowerCase(Locale.ROOT);
      DecodedBody step =
          switch (coding) {
            case "identity", "" -> new DecodedBody(current, true, false);
            case "gzip", "x-gzip" -> gunzip(current);
            case "deflate" -> deflate(current);
            case "br" -> inflate(brotliStream(current));
            case "zstd" -> inflate(zstdStream(current));
            default -> null;
          };
      if (step == null || !step.decoded()) {
        return new DecodedBody(body, false, false);
      }
      current = step.bytes();
      truncated |= step.truncated();
    }
    return new DecodedBody(current, true, truncated);
  }

  private DecodedBody deflate(byte[] data) {
    // RFC 9110 says zlib-wrapped; some servers send raw deflate: zlib data starts with 0x78
    boolean zlib = data.length > 1 && (data[0] & 0x0f) == 8 && ((data[0] & 0xff) << 8 | (data[1] & 0xff)) % 31 == 0;
    Inflater inflater = new Inflater(!zlib);
    try {
      return inflate(new InflaterInputStream(new ByteArrayInputStream(data), inflater));
    } finally {
      inflater.end();
    }
  }

  private DecodedBody gunzip(byte[] data) {
    DecodedBody whole = gunzipWhole(data);
    return whole != null ? whole : inflate(gunzipStream(data));
  }

  /** gzip header flags FNAME and FCOMMENT: fields ending with a zero byte. */
  private static final int[] ZERO_TERMINATED_FIELDS = {0x08, 0x10};

  /** Per thread, reset before each use: a fresh Inflater per body cost its native setup and end. */
  private static final ThreadLocal<Inflater> RAW_INFLATER = ThreadLocal.withInitial(() -> new Inflater(true));

  /**
   * The common case in one step: a whole single-member gzip body (RFC 1952) whose trailer says it
   * decodes to at most the limit, inflated straight into an array of that size with a reused
   * inflater, its CRC-32 and length checked. Null for anything else (several members, a cut or
   * corrupt body, a larger or lying size), which the stream path decodes as before; so the result
   * never differs from it.
   */
  DecodedBody gunzipWhole(byte[] data) {
    int n = data.length;
    if (n < 18 || data[0] != (byte) 0x1f || data[1] != (byte) 0x8b || data[2] != 8) {
      return null;
    }
    int flags = data[3] & 0xff;
    if ((flags & 0xe0) != 0) {
      return null;
    }
    int pos = 10;
    if ((flags & 0x04) != 0) { // FEXTRA
      pos += 2 + ((data[10] & 0xff) | (data[11] & 0xff) << 8);
    }
    for (int flag : ZERO_TERMINATED_FIELDS) {
      if ((flags & flag) != 0) {
        while (pos < n && data[pos] != 0) {
          pos++;
        }
        pos++;
      }
    }
    if ((flags & 0x02) != 0) { // FHCRC
      pos += 2;
    }
    int end = n - 8;
    if (pos > end) {
      return null;
    }
    long size = le32(data, n - 4);
    if (size > maxDecodedBytes) {
      return null;
    }
    byte[] out = new byte[(int) size];
    Inflater inflater = RAW_INFLATER.get();
    inflater.reset();
    inflater.setInput(data, pos, end - pos);
    try {
      int done = 0;
      while (done < out.length) {
        int got = inflater.inflate(out, done, out.length - done);
        if (got == 0) {
          break;
        }
        done += got;
      }
      if (done != out.length || (!inflater.finished() && inflater.inflate(new byte[1]) != 0)
          || !inflater.finished() || inflater.getRemaining() != 0) {
        return null;
      }
    } catch (DataFormatException e) {
      return null;
    }
    CRC32 crc = new CRC32();
    crc.update(out);
    return crc.getValue() == le32(data, n - 8) ? new DecodedBody(out, true, false) : null;
  }

  private static long le32(byte[] data, int at) {
    return (data[at] & 0xffL) | (data[at + 1] & 0xffL) << 8 | (data[at + 2] & 0xffL) << 16
        | (data[at + 3] & 0xffL) << 24;
  }

  private static InputStream gunzipStream(byte[] data) {
    try {
      return new GZIPInputStream(new ByteArrayInputStream(data));
    } catch (IOException e) {
      return null;
    }
  }

  /** RFC 8878 frames via zstd-jni (the library Kafka itself uses); null when it cannot load. */
  private static InputStream zstdStream(byte[] data) {
    try {
      return new ZstdInputStream(new ByteArrayInputStream(data));
    } catch (IOException | LinkageError e) {
      return null;
    }
  }

  private static InputStream brotliStream(byte[] data) {
    try {
      return new BrotliInputStream(new ByteArrayInputStream(data));
    } catch (IOException e) {
      return null;
    }
  }

  /** Reads until end, the limit, or an error; a body cut short keeps what decoded before the cut. */
  private DecodedBody inflate(InputStream in) {
    if (in == null) {
      return new DecodedBody(new byte[0], false, false);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        int room = maxDecodedBytes - out.size();
        if (n > room) {
          out.write(buffer, 0, room);
          return new DecodedBody(out.toByteArray(), true, true);
        }
        out.write(buffer, 0, n);
      }
      return new DecodedBody(out.toByteArray(), true, false);
    } catch (EOFException e) {
      // the capture cut the body: what decoded so far is real data
      return new DecodedBody(out.toByteArray(), out.size() > 0, true);
    } catch (IOException e) {
      if (e.getCause() instanceof DataFormatException || out.size() == 0) {
        return new DecodedBody(out.toByteArray(), false, false);
      }
      return new DecodedBody(out.toByteArray(), true, true);
    } catch (RuntimeException e) {
      // a decoder library bug on hostile input must cost this body, not the stream thread
      return new DecodedBody(out.toByteArray(), false, false);
    }
  }
}
