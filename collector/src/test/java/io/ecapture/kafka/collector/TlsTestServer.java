package io.ecapture.kafka.collector;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code openssl s_server -www} on a free port of 127.0.0.1 (or ::1) with a throwaway self-signed
 * certificate; answers every request with an HTTP/1.0 status page.
 */
final class TlsTestServer implements AutoCloseable {
  private final Process process;
  private final int port;

  private TlsTestServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static TlsTestServer start(Path dir, boolean ipv6) throws IOException, InterruptedException {
    ExternalCommand.run(
        dir,
        List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem",
            "-out", "cert.pem", "-days", "1", "-subj", "/CN=localhost"));
    int port = freePort();
    String host = ipv6 ? "[::1]" : "127.0.0.1";
    Process process =
        new ProcessBuilder(
                "openssl", "s_server", "-www", "-accept", host + ":" + port,
                "-cert", "cert.pem", "-key", "key.pem")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("s_server.log").toFile())
            .start();
    TlsTestServer server = new TlsTestServer(process, port);
    server.awaitListening(ipv6 ? "::1" : "127.0.0.1", dir);
    return server;
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  private void awaitListening(String host, Path dir) throws IOException, InterruptedException {
    for (int attempt = 0; attempt < 100; attempt++) {
      if (!process.isAlive()) {
        throw new IOException("openssl s_server exited; see " + dir.resolve("s_server.log"));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    throw new IOException("openssl s_server not listening on " + host + ":" + port);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor();
  }
}
