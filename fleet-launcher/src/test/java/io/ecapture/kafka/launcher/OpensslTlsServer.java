package io.ecapture.kafka.launcher;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code openssl s_server -www} on a free loopback port with a throwaway self-signed certificate:
 * a real TLS peer that links the system libssl, answering {@code GET /} with an HTTP/1.0 page.
 */
final class OpensslTlsServer implements AutoCloseable {
  private final Process process;
  final int port;

  private OpensslTlsServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** A throwaway self-signed certificate and its key, PEM files in {@code dir}. */
  record Certificate(Path cert, Path key) {
    static Certificate create(Path dir) throws Exception {
      Certificate c = new Certificate(dir.resolve("cert.pem"), dir.resolve("key.pem"));
      run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
          "-subj", "/CN=localhost", "-keyout", c.key().toString(), "-out", c.cert().toString()), dir);
      return c;
    }
  }

  static OpensslTlsServer start(Path dir, int port) throws Exception {
    Certificate certificate = Certificate.create(dir);
    Process server =
        new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:" + port,
                "-cert", certificate.cert().toString(), "-key", certificate.key().toString(),
                "-www", "-quiet")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("s_server.log").toFile())
            .start();
    long deadline = System.currentTimeMillis() + 20_000;
    while (System.currentTimeMillis() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return new OpensslTlsServer(server, port);
      } catch (IOException notYet) {
        if (!server.isAlive()) {
          break;
        }
        Thread.sleep(100);
      }
    }
    server.destroyForcibly();
    throw new IllegalStateException("openssl s_server did not listen on " + port);
  }

  /** Runs curl against the server; returns curl's pid and its output. */
  CurlResult curl(String marker) throws Exception {
    Process curl =
        new ProcessBuilder("curl", "-sk", "--http1.1", "-H", "X-Marker: " + marker,
                "https://127.0.0.1:" + port + "/")
            .redirectErrorStream(true)
            .start();
    String out = new String(curl.getInputStream().readAllBytes());
    if (!curl.waitFor(30, TimeUnit.SECONDS) || curl.exitValue() != 0) {
      throw new IllegalStateException("curl failed: " + out);
    }
    return new CurlResult(curl.pid(), out);
  }

  record CurlResult(long pid, String output) {}

  private static void run(List<String> command, Path dir) throws Exception {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
    }
  }

  @Override
  public void close() {
    process.destroy();
  }
}
