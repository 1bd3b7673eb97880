package io.ecapture.kafka.gateway;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;

/**
 * A client socket that counts the bytes the kernel accepted. Java-WebSocket's {@code send()}
 * queues without bound and reports no progress; the gap between bytes a {@link ClientSession}
 * queued and bytes written here is the client's backlog.
 *
 * <p>Only Java-WebSocket's selector thread writes, so a volatile single-writer counter suffices.
 */
final class CountingByteChannel implements ByteChannel {
  private final SocketChannel socket;
  private volatile long written;

  CountingByteChannel(SocketChannel socket) {
    this.socket = socket;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return socket.read(dst);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    int n = socket.write(src);
    if (n > 0) {
      written += n;
    }
    return n;
  }

  /** Bytes written to the socket since accept, handshake response included. */
  long written() {
    return written;
  }

  @Override
  public boolean isOpen() {
    return socket.isOpen();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
