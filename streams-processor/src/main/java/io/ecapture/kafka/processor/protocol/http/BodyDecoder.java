package io.ecapture.kafka.processor.protocol.http;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
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
            case "gzip", "x-gzip" -> inflate(gunzipStream(current));
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
