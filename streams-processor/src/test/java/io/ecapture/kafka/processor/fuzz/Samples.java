package io.ecapture.kafka.processor.fuzz;

import io.ecapture.kafka.processor.protocol.http2.Http2TestFrames;
import java.io.ByteArrayOutputStream;
import java.util.List;

/** Well-formed messages of every protocol, the seeds of the mutation fuzzing. */
final class Samples {
  private Samples() {}

  static final byte[] HTTP1_REQUEST = ParserFuzzTest.ascii("POST /api/v1/items?x=1 HTTP/1.1\r\n"
      + "Host: example.test\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":true}\n");
  static final byte[] HTTP1_CHUNKED = ParserFuzzTest.ascii("HTTP/1.1 200 OK\r\n"
      + "Transfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
      + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: yes\r\n\r\n");
  static final byte[] HTTP1_UPGRADE = ParserFuzzTest.ascii("GET /chat HTTP/1.1\r\nHost: h\r\n"
      + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n");
  /** HEADERS (HPACK, RFC 7541 C.3.1 request) on stream 1 with END_HEADERS. */
  static final byte[] HTTP2_HEADERS = frame(1, 0x5, 1, hex("828684410f7777772e6578616d706c652e636f6d"));
  static final byte[] HTTP2_DATA_PADDED = frame(0, 0x9, 1, hex("03") /* pad 3 */,
      ParserFuzzTest.ascii("hello"), new byte[3]);
  static final byte[] HTTP2_SETTINGS = frame(4, 0, 0, hex("000300000064000400010000"));
  static final byte[] WS_MASKED_TEXT = hex("818537fa213d7f9f4d5158"); // RFC 6455 §5.7 "Hello"
  static final byte[] WS_BINARY_16 = concat(hex("827e0100"), new byte[256]);
  static final byte[] WS_CLOSE = hex("880203e8");
  static final byte[] GRPC = concat(hex("0000000005"), ParserFuzzTest.ascii("hello"),
      hex("0100000003"), hex("010203"));

  static final List<byte[]> ALL = List.of(HTTP1_REQUEST, HTTP1_CHUNKED, HTTP1_UPGRADE,
      HTTP2_HEADERS, HTTP2_DATA_PADDED, HTTP2_SETTINGS, WS_MASKED_TEXT, WS_BINARY_16, WS_CLOSE,
      concat(HTTP1_REQUEST, HTTP1_REQUEST));

  static byte[] hex(String hex) {
    return java.util.HexFormat.of().parseHex(hex);
  }

  static byte[] frame(int type, int flags, int stream, byte[]... payload) {
    return Http2TestFrames.frame(type, flags, stream, concat(payload));
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
