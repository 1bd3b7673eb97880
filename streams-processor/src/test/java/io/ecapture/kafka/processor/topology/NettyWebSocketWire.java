package io.ecapture.kafka.processor.topology;

import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateClientExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One endpoint's WebSocket byte stream as Netty writes it: {@link WebSocket08FrameEncoder}
 * (masking on the client side) behind Netty's permessage-deflate encoder, negotiated with
 * Netty's own extension handshakers. Test bytes come from this real, independent implementation.
 */
final class NettyWebSocketWire implements AutoCloseable {
  private final EmbeddedChannel channel;

  private NettyWebSocketWire(ChannelHandler... handlers) {
    channel = new EmbeddedChannel(handlers);
  }

  /** Server and client ends of one connection that negotiated permessage-deflate (defaults). */
  record Pair(NettyWebSocketWire server, NettyWebSocketWire client, String extensionsHeader)
      implements AutoCloseable {
    @Override
    public void close() {
      server.close();
      client.close();
    }
  }

  static Pair deflatePair() {
    WebSocketServerExtension server = new PerMessageDeflateServerExtensionHandshaker()
        .handshakeExtension(new WebSocketExtensionData("permessage-deflate", Map.of()));
    WebSocketExtensionData accepted = server.newReponseData();
    var client = new PerMessageDeflateClientExtensionHandshaker().handshakeExtension(accepted);
    String header = accepted.name() + accepted.parameters().entrySet().stream()
        .map(e -> "; " + e.getKey() + (e.getValue() == null ? "" : "=" + e.getValue()))
        .collect(Collectors.joining());
    return new Pair(
        new NettyWebSocketWire(new WebSocket08FrameEncoder(false), server.newExtensionEncoder()),
        new NettyWebSocketWire(new WebSocket08FrameEncoder(true), client.newExtensionEncoder()),
        header);
  }

  NettyWebSocketWire write(WebSocketFrame frame) {
    channel.writeOutbound(frame);
    return this;
  }

  /** Every byte written since the last call. */
  byte[] take() {
    return OutboundBytes.drain(channel);
  }

  @Override
  public void close() {
    channel.finishAndReleaseAll();
  }
}
