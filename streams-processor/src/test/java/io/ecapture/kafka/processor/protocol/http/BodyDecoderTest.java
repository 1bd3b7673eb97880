package io.ecapture.kafka.processor.protocol.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
