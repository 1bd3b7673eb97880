package io.ecapture.kafka.forwarder.sink;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A TCP log receiver: accepts connections on a port and keeps every line it reads. */
final class LineServer implements AutoCloseable {
  final List<String> lines = new CopyOnWriteArrayList<>();
  final ServerSocket server;
  private final int closeAfter;
  private final Thread thread;
  private volatile Socket current;

  /** @param closeAfter close the connection and the listener after this many lines (0 = never) */
  LineServer(int port, int closeAfter) throws IOException {
    this.closeAfter = closeAfter;
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress("127.0.0.1", port));
    thread = Thread.ofPlatform().daemon().name("line-server").start(this::run);
  }

  int port() {
    return server.getLocalPort();
  }

  private void run() {
    try {
      while (!server.isClosed()) {
        Socket s = server.accept();
        current = s;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = in.readLine()) != null) {
            lines.add(line);
            if (closeAfter > 0 && lines.size() >= closeAfter) {
              // the listener disappears mid-stream: connection and port closed
              server.close();
              s.close();
              return;
            }
          }
        }
      }
    } catch (IOException e) {
      // closed
    }
  }

  boolean closed() {
    return server.isClosed() && !thread.isAlive();
  }

  @Override
  public void close() throws IOException {
    server.close();
    Socket s = current;
    if (s != null) {
      s.close();
    }
  }
}
