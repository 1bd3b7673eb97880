package io.ecapture.kafka.gateway;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.List;
import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.WebSocketServerFactory;

/** Wraps every accepted socket in a {@link CountingByteChannel} and applies the send buffer size. */
final class GatewaySocketFactory implements WebSocketServerFactory {
  private final int sendBufferBytes;

  GatewaySocketFactory(int sendBufferBytes) {
    this.sendBufferBytes = sendBufferBytes;
  }

  @Override
  public WebSocketImpl createWebSocket(WebSocketAdapter adapter, Draft draft) {
    return new WebSocketImpl(adapter, draft);
  }

  @Override
  public WebSocketImpl createWebSocket(WebSocketAdapter adapter, List<Draft> drafts) {
    return new WebSocketImpl(adapter, drafts);
  }

  @Override
  public ByteChannel wrapChannel(SocketChannel channel, SelectionKey key) throws IOException {
    if (sendBufferBytes > 0) {
      channel.socket().setSendBufferSize(sendBufferBytes);
    }
    return new CountingByteChannel(channel);
  }

  @Override
  public void close() {}
}
