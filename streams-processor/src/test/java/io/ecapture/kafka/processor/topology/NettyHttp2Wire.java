package io.ecapture.kafka.processor.topology;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * One endpoint's HTTP/2 byte stream as Netty writes it: {@link DefaultHttp2FrameWriter} with its
 * own HPACK encoder (Netty's {@code HpackEncoder}, dynamic table on) writing into an
 * {@link EmbeddedChannel}; {@link #take()} returns the bytes a TLS library would have been given.
 * Test bytes are produced this way so the processor is checked against a real, independent
 * HTTP/2 implementation rather than frames it built itself.
 */
final class NettyHttp2Wire implements AutoCloseable {
  private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelOutboundHandlerAdapter());
  private final ChannelHandlerContext ctx = channel.pipeline().firstContext();
  private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();

  NettyHttp2Wire preface() {
    channel.write(Http2CodecUtil.connectionPrefaceBuf());
    return this;
  }

  NettyHttp2Wire settings(Http2Settings settings) {
    writer.writeSettings(ctx, settings, ctx.newPromise());
    return this;
  }

  NettyHttp2Wire settingsAck() {
    writer.writeSettingsAck(ctx, ctx.newPromise());
    return this;
  }

  NettyHttp2Wire headers(int stream, Http2Headers headers, int padding, boolean endStream) {
    writer.writeHeaders(ctx, stream, headers, padding, endStream, ctx.newPromise());
    return this;
  }

  NettyHttp2Wire headersWithPriority(int stream, Http2Headers headers, int dependency,
      short weight, boolean endStream) {
    writer.writeHeaders(ctx, stream, headers, dependency, weight, false, 0, endStream,
        ctx.newPromise());
    return this;
  }

  NettyHttp2Wire data(int stream, byte[] data, int padding, boolean endStream) {
    writer.writeData(ctx, stream, Unpooled.wrappedBuffer(data), padding, endStream, ctx.newPromise());
    return this;
  }

  NettyHttp2Wire ping(boolean ack, long payload) {
    writer.writePing(ctx, ack, payload, ctx.newPromise());
    return this;
  }

  NettyHttp2Wire windowUpdate(int stream, int increment) {
    writer.writeWindowUpdate(ctx, stream, increment, ctx.newPromise());
    return this;
  }

  NettyHttp2Wire priority(int stream, int dependency, short weight) {
    writer.writePriority(ctx, stream, dependency, weight, false, ctx.newPromise());
    return this;
  }

  NettyHttp2Wire rstStream(int stream, long errorCode) {
    writer.writeRstStream(ctx, stream, errorCode, ctx.newPromise());
    return this;
  }

  NettyHttp2Wire goAway(int lastStream, long errorCode) {
    writer.writeGoAway(ctx, lastStream, errorCode, Unpooled.EMPTY_BUFFER, ctx.newPromise());
    return this;
  }

  /** Every byte written since the last call. */
  byte[] take() {
    return OutboundBytes.drain(channel);
  }

  @Override
  public void close() {
    writer.close();
    channel.finishAndReleaseAll();
  }
}
