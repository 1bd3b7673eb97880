package io.ecapture.kafka.processor.protocol.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.protocol.http.BodyDecoder;
import io.ecapture.kafka.proto.parsed.GrpcFields;
import io.ecapture.kafka.proto.parsed.Header;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class GrpcFieldsFactoryTest {
  private final GrpcFrameParser frames = new GrpcFrameParser(1 << 16, 1024);
  private final BodyDecoder decoder = new BodyDecoder(1 << 16);

  @Test
  void zstdMessagesAreDecodedAndStatusMessagesPercentDecoded() {
    byte[] data = "reply".getBytes(StandardCharsets.UTF_8);
    byte[] body = prefixed(true, com.github.luben.zstd.Zstd.compress(data));
    GrpcFields grpc = GrpcFieldsFactory.of(List.of(header(":path", "/a.b.C/D"),
        header("grpc-encoding", "zstd"), header("grpc-status", "5"),
        header("grpc-message", "not%20found%20%E2%9C%93")), body, true, frames, decoder);
    assertEquals("a.b.C", grpc.getService());
    assertEquals("D", grpc.getMethod());
    assertTrue(grpc.getHasStatus());
    assertEquals(5, grpc.getStatus());
    assertEquals("not found \u2713", grpc.getStatusMessage());
    assertTrue(grpc.getMessages(0).getDecoded());
    assertEquals("reply", grpc.getMessages(0).getData().toStringUtf8());
  }

  @Test
  void anUnknownEncodingLeavesTheMessageAsSentAndFlagged() {
    byte[] body = prefixed(true, new byte[] {1, 2, 3});
    GrpcFields grpc = GrpcFieldsFactory.of(List.of(header("grpc-encoding", "snappy")), body,
        true, frames, decoder);
    assertFalse(grpc.getMessages(0).getDecoded());
    assertEquals(3, grpc.getMessages(0).getData().size());
    assertFalse(grpc.getHasStatus());
  }

  @Test
  void manyCompressedMessagesCannotMultiplyTheBodyLimit() {
    // 20 messages of 50 000 zero bytes each, compressed to a few dozen bytes apiece
    byte[] one = prefixed(true, com.github.luben.zstd.Zstd.compress(new byte[50_000]));
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < 20; i++) {
      body.writeBytes(one);
    }
    GrpcFields grpc = GrpcFieldsFactory.of(List.of(header("grpc-encoding", "zstd")),
        body.toByteArray(), true, frames, decoder, 120_000);
    assertEquals(20, grpc.getMessagesCount(), "every message is listed");
    long data = grpc.getMessagesList().stream().mapToLong(m -> m.getData().size()).sum();
    assertEquals(120_000, data, "their data together stays within the budget");
    assertTrue(grpc.getMessagesTruncated());
    assertEquals(50_000, grpc.getMessages(1).getData().size());
    assertEquals(20_000, grpc.getMessages(2).getData().size());
    assertTrue(grpc.getMessages(2).getTruncated());
    assertTrue(grpc.getMessages(3).getData().isEmpty());
    assertFalse(grpc.getMessages(3).getDecoded(), "no decompression work once the budget is spent");
  }

  private static Header header(String name, String value) {
    return Header.newBuilder().setName(name).setValue(value).build();
  }

  private static byte[] prefixed(boolean compressed, byte[] data) {
    byte[] out = new byte[5 + data.length];
    out[0] = (byte) (compressed ? 1 : 0);
    out[3] = (byte) (data.length >>> 8);
    out[4] = (byte) data.length;
    System.arraycopy(data, 0, out, 5, data.length);
    return out;
  }
}
