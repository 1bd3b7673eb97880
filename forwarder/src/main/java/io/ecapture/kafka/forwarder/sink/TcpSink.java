package io.ecapture.kafka.forwarder.sink;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * {@code tcp://HOST:PORT}: the records as a byte stream (text blocks, NDJSON lines), as log
 * pipelines (Vector's and Logstash's socket sources, Fluent Bit's tcp input) read them. The
 * socket is non-blocking: before every record a read looks for the peer's close, so a peer that
 * went away is noticed before more records are written into a dead connection. Reconnects with
 * backoff; see {@link QueuedSink} for the bounded buffer, overflow and the resend window.
 */
public final class TcpSink extends QueuedSink {
  private static final long WRITE_TIMEOUT_MS = 30_000;

  private final String host;
  private final int port;
  private final Duration connectTimeout;
  private SocketChannel channel;
  private Selector selector;
  private final ByteBuffer discard = ByteBuffer.allocate(4096);

  public TcpSink(String host, int port, long bufferBytes, Duration resendWindow, Duration minBackoff,
      Duration maxBackoff, Duration connectTimeout) {
    super("tcp://" + host + ":" + port, bufferBytes, resendWindow, 0, minBackoff, maxBackoff);
    this.host = host;
    this.port = port;
    this.connectTimeout = connectTimeout;
    startWorker();
  }

  @Override
  protected void connect() throws IOException {
    SocketChannel ch = SocketChannel.open();
    try {
      ch.socket().connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
      ch.socket().setTcpNoDelay(true);
      ch.configureBlocking(false);
      Selector sel = Selector.open();
      ch.register(sel, SelectionKey.OP_WRITE);
      channel = ch;
      selector = sel;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  @Override
  protected boolean alive() {
    SocketChannel ch = channel;
    if (ch == null) {
      return false;
    }
    try {
      // a log pipeline sends nothing: whatever arrives is discarded; -1 is the peer's close
      while (true) {
        discard.clear();
        int n = ch.read(discard);
        if (n < 0) {
          return false;
        }
        if (n == 0) {
          return true;
        }
      }
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  protected void send(Item item) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(item.bytes());
    long deadline = System.currentTimeMillis() + WRITE_TIMEOUT_MS;
    while (buffer.hasRemaining()) {
      if (channel.write(buffer) == 0) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          throw new IOException("peer not reading for " + WRITE_TIMEOUT_MS + " ms");
        }
        selector.select(Math.min(left, 1000));
        selector.selectedKeys().clear();
      }
    }
  }

  @Override
  protected void disconnect() {
    try {
      if (selector != null) {
        selector.close();
      }
      if (channel != null) {
        channel.close();
      }
    } catch (IOException ignored) {
      // closing a broken connection
    }
    channel = null;
    selector = null;
  }

  @Override
  public String describe() {
    return "tcp://" + host + ":" + port;
  }
}
