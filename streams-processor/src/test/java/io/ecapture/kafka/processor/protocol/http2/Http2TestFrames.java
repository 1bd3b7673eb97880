package io.ecapture.kafka.processor.protocol.http2;

import java.io.ByteArrayOutputStream;

/** Builds HTTP/2 frame bytes as RFC 9113 §4.1 lays them out (tests only). */
public final class Http2TestFrames {
  private Http2TestFrames() {}

  public static byte[] frame(int type, int flags, int stream, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(payload.length >>> 16);
    out.write(payload.length >>> 8);
    out.write(payload.length);
    out.write(type);
    out.write(flags);
    out.write(stream >>> 24);
    out.write(stream >>> 16);
    out.write(stream >>> 8);
    out.write(stream);
    out.writeBytes(payload);
    return out.toByteArray();
  }
}
