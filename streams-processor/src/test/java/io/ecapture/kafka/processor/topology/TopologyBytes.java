package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.protocol.http2.Http2TestFrames;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Sample messages and byte helpers shared by the topology tests. */
final class TopologyBytes {
  static final String REQUEST = "POST /submit HTTP/1.1\r\n"
      + "Host: example.test\r\n"
      + "User-Agent: curl/7.88.1\r\n"
      + "Content-Length: 13\r\n"
      + "\r\n"
      + "name=ecapture";
  static final String RESPONSE = "HTTP/1.1 201 Created\r\n"
      + "Content-Type: application/json\r\n"
      + "Content-Length: 11\r\n"
      + "\r\n"
      + "{\"ok\":true}";

  /** RFC 7541 Appendix C.3: three requests on one connection sharing the dynamic table. */
  static final String HPACK_C31 = "828684410f7777772e6578616d706c652e636f6d";
  static final String HPACK_C32 = "828684be58086e6f2d6361636865";
  static final String HPACK_C33 = "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565";
  /** RFC 7541 Appendix C.5.1: a 302 response. */
  static final String HPACK_C51 = "4803333032580770726976617465611d4d6f6e2c203231204f637420"
      + "323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d";

  private TopologyBytes() {}

  /** An HTTP/2 frame (RFC 9113 §4.1). */
  static byte[] h2(int type, int flags, int stream, byte[] payload) {
    return Http2TestFrames.frame(type, flags, stream, payload);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static byte[] slice(byte[] data, int from, int to) {
    return Arrays.copyOfRange(data, from, to);
  }

  /** {@code data} of one direction as chunks of 1-40 random bytes, in order. */
  static List<RawEvent> split(RawEvents conn, Direction direction, byte[] data, Random random) {
    List<RawEvent> chunks = new ArrayList<>();
    int pos = 0;
    while (pos < data.length) {
      int length = 1 + random.nextInt(Math.min(40, data.length - pos));
      chunks.add(conn.data(direction, pos, slice(data, pos, pos + length), pos));
      pos += length;
    }
    return chunks;
  }
}
