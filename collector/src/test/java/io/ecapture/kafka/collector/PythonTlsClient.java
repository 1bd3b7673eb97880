package io.ecapture.kafka.collector;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A CPython TLS client (SSL_write_ex/SSL_read_ex of the system libssl) that stays alive and makes
 * one HTTPS request per {@link #request} call, with the marker in the request path. Its pid is
 * known before it does any TLS, which pid filters need.
 */
public final class PythonTlsClient implements AutoCloseable {
  private static final String SCRIPT =
      """
      import socket, ssl, sys
      print("ready", flush=True)
      ctx = ssl._create_unverified_context()
      port = int(sys.argv[1])
      for line in sys.stdin:
          marker = line.strip()
          with socket.create_connection(("127.0.0.1", port)) as raw:
              with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                  s.sendall(("GET /" + marker + " HTTP/1.0\\r\\n\\r\\n").encode())
                  while s.recv(65536):
                      pass
          print("done", flush=True)
      """;

  private final Process process;
  private final Writer stdin;
  private final BufferedReader stdout;

  public PythonTlsClient(int port) throws IOException {
    this(port, java.util.Map.of());
  }

  /** With extra environment variables (e.g. LD_LIBRARY_PATH to load a private libssl copy). */
  public PythonTlsClient(int port, java.util.Map<String, String> environment) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(List.of("python3", "-c", SCRIPT, Integer.toString(port)))
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().putAll(environment);
    process = builder.start();
    stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    if (!"ready".equals(stdout.readLine())) { // ssl (and so libssl) is loaded once this line comes
      throw new IOException("python client did not start");
    }
  }

  public long pid() {
    return process.pid();
  }

  /** Makes one request for {@code /marker} and waits for the response to be read. */
  public void request(String marker) throws IOException {
    stdin.write(marker + "\n");
    stdin.flush();
    String line = stdout.readLine();
    if (!"done".equals(line)) {
      throw new IOException("python client failed (exit " + (process.isAlive() ? "-" : process.exitValue()) + ")");
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor();
  }
}
