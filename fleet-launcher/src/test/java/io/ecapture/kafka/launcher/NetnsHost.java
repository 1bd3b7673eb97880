package io.ecapture.kafka.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A simulated host on this machine: a network namespace with its own loopback (where a CPython
 * HTTPS server listens and curl talks to it) and a veth link to the root namespace, through which
 * the host's collector reaches the Kafka cluster. {@link #cut()} takes that link down (the host
 * loses the cluster, its local traffic goes on); {@link #heal()} brings it back.
 *
 * <p>Addresses: the namespace side is {@code PREFIX.2/24}, the root side {@code PREFIX.1/24} and
 * the namespace's default route; anything local to the root namespace (the cluster's address) is
 * reachable through it, no forwarding needed.
 */
final class NetnsHost implements AutoCloseable {
  /** The HTTPS server's port on the namespace's loopback. */
  static final int SERVER_PORT = 8443;
  private static final String SERVER_SCRIPT =
      """
      import http.server, ssl, sys
      class Handler(http.server.BaseHTTPRequestHandler):
          protocol_version = "HTTP/1.1"
          def do_GET(self):
              body = ("path=" + self.path).encode()
              self.send_response(200)
              self.send_header("Content-Length", str(len(body)))
              self.end_headers()
              self.wfile.write(body)
          def log_message(self, *args):
              pass
      server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
      ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
      ctx.load_cert_chain(sys.argv[2], sys.argv[3])
      server.socket = ctx.wrap_socket(server.socket, server_side=True)
      print("listening", flush=True)
      server.serve_forever()
      """;

  final String namespace;
  final String hostId;
  private final String rootLink;
  private final String prefix;
  private final List<Process> servers = new ArrayList<>();
  private boolean created;

  private NetnsHost(String namespace, String hostId, String rootLink, String prefix) {
    this.namespace = namespace;
    this.hostId = hostId;
    this.rootLink = rootLink;
    this.prefix = prefix;
  }

  /**
   * Creates the namespace and its link.
   *
   * @param rootLink name of the root side of the veth (at most 15 characters)
   * @param prefix the first three octets of the host's /24, e.g. {@code 10.180.1}
   */
  static NetnsHost create(String namespace, String hostId, String rootLink, String prefix) throws Exception {
    NetnsHost host = new NetnsHost(namespace, hostId, rootLink, prefix);
    try {
      run(List.of("ip", "netns", "add", namespace));
      host.created = true;
      run(List.of("ip", "-n", namespace, "link", "set", "lo", "up"));
      run(List.of("ip", "link", "add", rootLink, "type", "veth", "peer", "name", "eth0", "netns", namespace));
      run(List.of("ip", "addr", "add", prefix + ".1/24", "dev", rootLink));
      run(List.of("ip", "link", "set", rootLink, "up"));
      run(List.of("ip", "-n", namespace, "addr", "add", prefix + ".2/24", "dev", "eth0"));
      host.heal();
    } catch (Exception e) {
      host.close();
      throw e;
    }
    return host;
  }

  Path path() {
    return Path.of("/var/run/netns", namespace);
  }

  /** The command prefix that runs a program in this host's network namespace (only that). */
  List<String> inside() {
    return List.of("nsenter", "--net=" + path());
  }

  /** Takes the host's link down: its collector can reach no broker. */
  void cut() throws Exception {
    run(List.of("ip", "-n", namespace, "link", "set", "eth0", "down"));
  }

  /** Brings the link up with its default route. */
  void heal() throws Exception {
    run(List.of("ip", "-n", namespace, "link", "set", "eth0", "up"));
    run(List.of("ip", "-n", namespace, "route", "replace", "default", "via", prefix + ".1"));
  }

  /** Starts the HTTPS server on the host's loopback and returns once it listens. */
  void startServer(Path cert, Path key) throws IOException {
    List<String> command = new ArrayList<>(inside());
    command.addAll(List.of("python3", "-c", SERVER_SCRIPT, Integer.toString(SERVER_PORT), cert.toString(),
        key.toString()));
    Process server = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    servers.add(server);
    String line = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8)).readLine();
    if (!"listening".equals(line)) {
      throw new IOException("the HTTPS server in " + namespace + " did not start");
    }
  }

  /**
   * One curl in the host: GET of every path, in order, over one kept-alive TLS connection.
   *
   * @return what curl printed: each response body followed by its count of new connections
   * @throws IllegalStateException curl failed, missed a response or opened more than one connection
   */
  String curl(List<String> paths) throws Exception {
    List<String> command = new ArrayList<>(inside());
    command.addAll(List.of("curl", "-sSk", "--http1.1", "--retry", "10", "--retry-connrefused",
        "--retry-delay", "1", "-w", " connects=%{num_connects}\\n"));
    for (String p : paths) {
      command.add("https://127.0.0.1:" + SERVER_PORT + "/" + p);
    }
    String out = run(command);
    int connects = 0;
    for (String line : out.split("\n")) {
      int at = line.indexOf("connects=");
      if (at >= 0) {
        connects += Integer.parseInt(line.substring(at + 9).strip());
      }
    }
    for (String p : paths) {
      if (!out.contains("path=/" + p + " ")) {
        throw new IllegalStateException("curl in " + namespace + " got no answer for /" + p + ": " + out);
      }
    }
    if (connects != 1) {
      throw new IllegalStateException("curl in " + namespace + " used " + connects + " connections: " + out);
    }
    return out;
  }

  /** Runs {@code command} in this host's network namespace; its output. */
  String runInside(List<String> command) throws Exception {
    List<String> all = new ArrayList<>(inside());
    all.addAll(command);
    return run(all);
  }

  @Override
  public void close() throws Exception {
    for (Process server : servers) {
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
    }
    if (created) {
      // deleting the namespace deletes its end of the veth, and so the pair
      new ProcessBuilder("ip", "netns", "del", namespace).start().waitFor(10, TimeUnit.SECONDS);
    }
  }

  static String run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }
}
