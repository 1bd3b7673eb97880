package io.ecapture.kafka.processor.protocol.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class BodyDecoderTest {
  private static final byte[] TEXT =
      "{\"hello\":\"world\",\"padding\":\"".concat("x".repeat(2000)).concat("\"}")
          .getBytes(StandardCharsets.UTF_8);
  private final BodyDecoder decoder = new BodyDecoder(1 << 20);

  @Test
  void decodesGzip() throws IOException {
    DecodedBody body = decoder.decode("gzip", gzip(TEXT));
    assertTrue(body.decoded());
    assertArrayEquals(TEXT, body.bytes());
  }

  @Test
  void decodesZlibAndRawDeflate() throws IOException {
    assertArrayEquals(TEXT, decoder.decode("deflate", deflate(TEXT, false)).bytes());
    assertArrayEquals(TEXT, decoder.decode("deflate", deflate(TEXT, true)).bytes());
  }

  @Test
  void decodesStackedCodingsInReverseOrder() throws IOException {
    byte[] twice = gzip(deflate(TEXT, false));
    assertArrayEquals(TEXT, decoder.decode("deflate, gzip", twice).bytes());
  }

  @Test
  void decodesBrotli() {
    // node -e "zlib.brotliCompressSync(Buffer.from('{\"hello\":\"brotli\",\"n\":[1,2,3]}'))"
    byte[] compressed = java.util.HexFormat.of().parseHex(
        "8b0e807b2268656c6c6f223a2262726f746c69222c226e223a5b312c322c335d7d03");
    DecodedBody body = decoder.decode("br", compressed);
    assertTrue(body.decoded());
    assertEquals("{\"hello\":\"brotli\",\"n\":[1,2,3]}", new String(body.bytes(), StandardCharsets.UTF_8));
  }

  @Test
  void decodesZstd() {
    // compressed with zstd-jni's reference encoder (the same C library as the zstd CLI)
    DecodedBody body = decoder.decode("zstd", com.github.luben.zstd.Zstd.compress(TEXT, 3));
    assertTrue(body.decoded());
    assertFalse(body.truncated());
    assertArrayEquals(TEXT, body.bytes());
  }

  @Test
  void truncatedZstdKeepsWhatDecodedAndCorruptZstdIsNotDecoded() {
    byte[] random = new byte[4096];
    new java.util.Random(3).nextBytes(random);
    byte[] big = new byte[200_000];
    for (int i = 0; i < big.length; i += random.length) {
      System.arraycopy(random, 0, big, i, Math.min(random.length, big.length - i));
    }
    byte[] compressed = com.github.luben.zstd.Zstd.compress(big, 1);
    DecodedBody cut = decoder.decode("zstd", Arrays.copyOf(compressed, compressed.length - 10));
    assertTrue(cut.truncated() || !cut.decoded(), "a cut frame is never reported whole");
    byte[] corrupt = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 9, 9, 9, 9, 9};
    assertFalse(decoder.decode("zstd", corrupt).decoded());
  }

  @Test
  void unknownCodingPassesBytesThroughFlagged() {
    byte[] data = {1, 2, 3};
    DecodedBody body = decoder.decode("compress", data);
    assertFalse(body.decoded());
    assertArrayEquals(data, body.bytes());
  }

  @Test
  void corruptBrotliIsNotDecoded() {
    byte[] data = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    DecodedBody body = decoder.decode("br", data);
    assertFalse(body.decoded());
    assertArrayEquals(data, body.bytes());
  }

  @Test
  void corruptGzipIsNotDecoded() {
    byte[] data = "definitely not gzip".getBytes(StandardCharsets.UTF_8);
    DecodedBody body = decoder.decode("gzip", data);
    assertFalse(body.decoded());
    assertArrayEquals(data, body.bytes());
  }

  @Test
  void truncatedGzipKeepsWhatDecoded() throws IOException {
    byte[] random = new byte[50_000];
    new java.util.Random(7).nextBytes(random); // incompressible: the cut lands mid-stream
    byte[] compressed = gzip(random);
    DecodedBody body = decoder.decode("gzip", Arrays.copyOf(compressed, compressed.length / 2));
    assertTrue(body.truncated());
    assertTrue(body.bytes().length > 0);
    assertArrayEquals(Arrays.copyOf(random, body.bytes().length), body.bytes());
  }

  @Test
  void decompressionBombStopsAtTheLimit() throws IOException {
    byte[] zeros = new byte[5 << 20];
    DecodedBody body = new BodyDecoder(1 << 16).decode("gzip", gzip(zeros));
    assertTrue(body.truncated());
    assertEquals(1 << 16, body.bytes().length);
  }

  /**
   * Bodies the one-step gzip path takes (single member, header fields, sizes) decode to their
   * bytes; those it hands to the stream path (several members, a wrong CRC or size in the
   * trailer, a size past the limit) decode as the stream path always did.
   */
  @Test
  void gzipBodiesOfEveryShapeDecodeAsTheStreamPathDoes() throws IOException {
    java.util.Random random = new java.util.Random(5);
    for (int i = 0; i < 300; i++) {
      byte[] data = new byte[random.nextInt(3) == 0 ? random.nextInt(10) : random.nextInt(20_000)];
      for (int j = 0; j < data.length; j++) {
        data[j] = (byte) (random.nextInt(4) == 0 ? random.nextInt(256) : 'a' + random.nextInt(3));
      }
      byte[] gz = withHeaderFields(gzip(data), random.nextInt(16));
      assertNotNull(decoder.gunzipWhole(gz), "case " + i + ": the one-step path takes it");
      DecodedBody body = decoder.decode("gzip", gz);
      assertTrue(body.decoded(), "case " + i);
      assertFalse(body.truncated(), "case " + i);
      assertArrayEquals(data, body.bytes(), "case " + i);
    }
    byte[] a = "first member ".repeat(20).getBytes(StandardCharsets.UTF_8);
    byte[] b = "second member".repeat(20).getBytes(StandardCharsets.UTF_8);
    assertNull(decoder.gunzipWhole(concat(gzip(a), gzip(b))), "two members: the stream path");
    DecodedBody two = decoder.decode("gzip", concat(gzip(a), gzip(b)));
    assertArrayEquals(concat(a, b), two.bytes(), "both members, as GZIPInputStream reads them");
    byte[] text = "a body with a wrong trailer ".repeat(50).getBytes(StandardCharsets.UTF_8);
    byte[] badCrc = gzip(text);
    badCrc[badCrc.length - 8] ^= 1;
    assertNull(decoder.gunzipWhole(badCrc));
    DecodedBody corrupt = decoder.decode("gzip", badCrc);
    assertArrayEquals(text, corrupt.bytes());
    assertTrue(corrupt.truncated(), "the stream path's verdict on a bad trailer");
    byte[] lyingSize = gzip(text);
    lyingSize[lyingSize.length - 4] = 5; // says 5 bytes: the stream path decodes it all
    assertNull(decoder.gunzipWhole(lyingSize));
    assertArrayEquals(text, decoder.decode("gzip", lyingSize).bytes());
    DecodedBody cut = new BodyDecoder(100).decode("gzip", gzip(text));
    assertTrue(cut.truncated());
    assertArrayEquals(Arrays.copyOf(text, 100), cut.bytes());
  }

  /** The same gzip body with FEXTRA, FNAME, FCOMMENT and FHCRC fields as {@code mask} asks. */
  private static byte[] withHeaderFields(byte[] gz, int mask) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(gz, 0, 3);
    int flags = ((mask & 1) != 0 ? 0x04 : 0) | ((mask & 2) != 0 ? 0x08 : 0)
        | ((mask & 4) != 0 ? 0x10 : 0) | ((mask & 8) != 0 ? 0x02 : 0);
    out.write(flags);
    out.write(gz, 4, 6);
    if ((mask & 1) != 0) {
      out.write(4);
      out.write(0);
      out.writeBytes(new byte[] {'x', 'y', 2, 0});
    }
    if ((mask & 2) != 0) {
      out.writeBytes("body.json\0".getBytes(StandardCharsets.ISO_8859_1));
    }
    if ((mask & 4) != 0) {
      out.writeBytes("a comment\0".getBytes(StandardCharsets.ISO_8859_1));
    }
    if ((mask & 8) != 0) {
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      crc.update(out.toByteArray());
      out.write((int) crc.getValue() & 0xff);
      out.write((int) (crc.getValue() >> 8) & 0xff);
    }
    out.write(gz, 10, gz.length - 10);
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  static byte[] deflate(byte[] data, boolean raw) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, raw);
    try (DeflaterOutputStream z = new DeflaterOutputStream(out, deflater)) {
      z.write(data);
    }
    deflater.end();
    return out.toByteArray();
  }
}
