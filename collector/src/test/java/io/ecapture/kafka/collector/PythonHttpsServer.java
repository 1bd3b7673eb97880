package io.ecapture.kafka.collector;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A CPython HTTPS server (system libssl, HTTP/1.1 keep-alive): {@code GET /big} answers 1 MiB of
 * bytes 0..255 repeated, any other GET echoes its path, {@code POST} answers the SHA-256 of the
 * body. Uses the cert.pem/key.pem a {@link TlsTestServer} wrote into {@code dir}. A lazy server
 * never calls SSL_do_handshake: its first SSL_read runs the handshake.
 */
public final class PythonHttpsServer implements AutoCloseable {
  public static final int BIG = 1 << 20;
  private static final String SCRIPT =
      """
      import hashlib, http.server, os, ssl, sys
      class Handler(http.server.BaseHTTPRequestHandler):
          protocol_version = "HTTP/1.1"
          def reply(self, body):
              self.send_response(200)
              self.send_header("Content-Length", str(len(body)))
              self.end_headers()
              self.wfile.write(body)
          def do_GET(self):
              self.reply(bytes(range(256)) * 4096 if self.path == "/big" else ("path=" + self.path).encode())
          def do_POST(self):
              data = self.rfile.read(int(self.headers["Content-Length"]))
              self.reply(hashlib.sha256(data).hexdigest().encode())
          def log_message(self, *args):
              pass
      server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
      ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
      ctx.load_cert_chain("cert.pem", "key.pem")
      lazy = os.environ.get("LAZY_HANDSHAKE") == "1"
      server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=not lazy)
      print(server.server_address[1], flush=True)
      server.serve_forever()
      """;

  private final Process process;
  private final int port;

  public PythonHttpsServer(Path dir) throws IOException {
    this(dir, false);
  }

  public PythonHttpsServer(Path dir, boolean lazyHandshake) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(List.of("python3", "-c", SCRIPT))
        .directory(dir.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put("LAZY_HANDSHAKE", lazyHandshake ? "1" : "0");
    process = builder.start();
    String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
    if (line == null) {
      throw new IOException("python https server did not start");
    }
    port = Integer.parseInt(line.strip());
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor();
  }
}
