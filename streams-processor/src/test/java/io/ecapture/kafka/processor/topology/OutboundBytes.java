package io.ecapture.kafka.processor.topology;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;

/**
 * The bytes a Netty encoder wrote into an {@link EmbeddedChannel}: what would go on the wire.
 * Public for the benchmark workload (src/bench, compiled with the tests under -Pbench).
 */
public final class OutboundBytes {
  private OutboundBytes() {}

  /** Flushes the channel and takes every outbound buffer written since the last call. */
  public static byte[] drain(EmbeddedChannel channel) {
    channel.flush();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuf buf;
    while ((buf = channel.readOutbound()) != null) {
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      buf.release();
      out.writeBytes(bytes);
    }
    return out.toByteArray();
  }
}
