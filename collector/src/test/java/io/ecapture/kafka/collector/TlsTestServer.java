package io.ecapture.kafka.collector;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code openssl s_server -www} on a free port of 127.0.0.1 (or ::1) with a throwaway self-signed
 * certificate ({@code cert.pem}, {@code key.pem} in the directory); answers every request with an
 * HTTP/1.0 status page. Published in the collector's test-jar for fleet-launcher's tests.
 */
public final class TlsTestServer implements AutoCloseable {
  private static final long READY_TIMEOUT_MS = 20_000;

  private final Process process;
  private final String address; // 127.0.0.1 or [::1], as s_server, curl and InetAddress take it
  private final int port;

  private TlsTestServer(Process process, String address, int port) {
    this.process = process;
    this.address = address;
    this.port = port;
  }

  /** A throwaway self-signed certificate and its key, PEM files in {@code dir}. */
  public record Certificate(Path cert, Path key) {
    public static Certificate create(Path dir) throws IOException, InterruptedException {
      Certificate c = new Certificate(dir.resolve("cert.pem"), dir.resolve("key.pem"));
      ExternalCommand.run(
          dir,
          List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
              c.key().toString(), "-out", c.cert().toString(), "-days", "1", "-subj", "/CN=localhost"));
      return c;
    }
  }

  public static TlsTestServer start(Path dir, boolean ipv6) throws IOException, InterruptedException {
    Certificate certificate = Certificate.create(dir);
    int port = freePort();
    String address = ipv6 ? "[::1]" : "127.0.0.1";
    Process process =
        new ProcessBuilder(
                "openssl", "s_server", "-www", "-accept", address + ":" + port,
                "-cert", certificate.cert().toString(), "-key", certificate.key().toString())
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("s_server.log").toFile())
            .start();
    TlsTestServer server = new TlsTestServer(process, address, port);
    try {
      server.awaitListening(dir);
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly(); // a server that never listened must not outlive the test
      throw e;
    }
    return server;
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  /** curl's pid (to find its events) and what it printed. */
  public record CurlResult(long pid, String output) {}

  /** One HTTP/1.1 GET / by curl carrying an {@code X-Marker} header; fails unless curl exits 0. */
  public CurlResult curl(String marker) throws IOException, InterruptedException {
    return curl(marker, new String[0]);
  }

  /**
   * Like {@link #curl(String)}, with more request header lines ({@code "Authorization: Bearer x"})
   * after the marker, each passed to curl as {@code -H}.
   */
  public CurlResult curl(String marker, String... headers) throws IOException, InterruptedException {
    java.util.List<String> command = new java.util.ArrayList<>(
        java.util.List.of("curl", "-sk", "--http1.1", "-H", "X-Marker: " + marker));
    for (String header : headers) {
      command.add("-H");
      command.add(header);
    }
    command.add("https://" + address + ":" + port + "/");
    Process curl =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .start();
    String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!curl.waitFor(30, TimeUnit.SECONDS) || curl.exitValue() != 0) {
      throw new IOException("curl failed: " + out);
    }
    return new CurlResult(curl.pid(), out);
  }

  // a wall-clock deadline, not an attempt count: a loaded machine (a whole fleet starting) may be slow
  private void awaitListening(Path dir) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
    while (System.currentTimeMillis() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("openssl s_server exited; see " + dir.resolve("s_server.log"));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(address, port), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    throw new IOException("openssl s_server not listening on " + address + ":" + port);
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
