package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.ExternalCommand;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.control.ControlToken;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process filters (pid, uid, comm, cgroup, netns) on the capture modules, decided in the
 * kernel by the modules object on tlscapture's filter maps: real gnutls-cli, NSS tstclnt, bash and
 * zsh processes, some kept and some dropped. The OpenSSL module is left out, so a pid filter has
 * no OpenSSL probe to re-attach. Events of one ring buffer arrive in the order they were made, so
 * a dropped process run before a kept one whose event has arrived would have shown by then.
 */
class ModuleFilterTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir static Path dir;
  private static RecordingSink sink;
  private static Collector collector;
  private static TlsTestServer server;
  private static ControlToken token;
  private final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    EbpfEnvironment.requireEbpf();
    for (String tool : List.of("openssl", "gnutls-cli", "tstclnt", "certutil", "bash", "zsh", "python3", "setpriv",
        "ip")) {
      EbpfEnvironment.requireTool(tool);
    }
    sink = new RecordingSink();
    collector = Collector.start(CollectorConfig.builder().hostId("filter-modules").statusPort(0)
        .dataDir(dir.resolve("data")).discoveryInterval(Duration.ZERO)
        .modules(ModulesConfig.only(List.of("gnutls", "nss", "bash", "zsh"))).build(), stats -> sink);
    token = ControlToken.read(collector.controlTokenFile().orElseThrow());
    server = TlsTestServer.start(dir, false);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (collector != null) {
      collector.close();
    }
  }

  @AfterEach
  void reset() throws Exception {
    for (Process p : started) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    if (collector != null) {
      post("{}");
    }
  }

  @Test
  void commFilterKeepsTheNamedProgramsOfEveryModule() throws Exception {
    post("{\"comms\":[\"tstclnt\",\"zsh\"]}");
    long filteredBefore = collector.stats().filteredInKernel();
    // dropped first: gnutls-cli and a bash session
    String gnutlsMarker = "gnutls-" + UUID.randomUUID();
    long gnutls = gnutlsRequest(gnutlsMarker);
    long bash = shellSession("bash", List.of("bash", "--norc", "--noprofile", "-i"), "echo bash-dropped");
    // then kept: tstclnt and a zsh session
    String nssMarker = "nss-" + UUID.randomUUID();
    long nss = nssRequest(nssMarker);
    long zsh = shellSession("zsh", List.of("zsh", "-f", "-i"), "echo zsh-kept");
    await(e -> e.hasData() && e.getProcess().getPid() == nss && e.getData().getDirection() == Direction.WRITE
        && e.getData().getPayload().toStringUtf8().contains(nssMarker));
    await(e -> e.hasShell() && e.getProcess().getPid() == zsh && e.getShell().getLine().equals("exit"));
    assertNone(gnutls, "gnutls-cli (not in the comm filter)");
    assertNone(bash, "bash (not in the comm filter)");
    assertTrue(collector.stats().filteredInKernel() > filteredBefore,
        "skipped module calls are counted: " + collector.stats().filteredInKernel());
  }

  @Test
  void pidFilterThroughConfigKeepsOneOfTwoRunningClients() throws Exception {
    // openssl s_server serves one connection at a time: one server per client
    try (TlsTestServer second = TlsTestServer.start(Files.createDirectories(dir.resolve("second")), false)) {
      pidFilter(second);
    }
  }

  private void pidFilter(TlsTestServer second) throws Exception {
    Process kept = gnutlsClient("kept", server.port());
    Process dropped = gnutlsClient("dropped", second.port());
    // both are connected and wait for their input; only then is the filter set
    awaitOutput(dir.resolve("gnutls-kept.out"), "Handshake was completed");
    awaitOutput(dir.resolve("gnutls-dropped.out"), "Handshake was completed");
    String reply = post("{\"pids\":[" + kept.pid() + "]}");
    assertEquals("{\"pids\":[" + kept.pid() + "],\"uids\":[],\"comms\":[]}", reply.strip());
    String marker = UUID.randomUUID().toString();
    send(dropped, "GET /dropped-" + marker + " HTTP/1.0\r\n\r\n", dir.resolve("gnutls-dropped.out"));
    send(kept, "GET /kept-" + marker + " HTTP/1.0\r\n\r\n", dir.resolve("gnutls-kept.out"));
    await(e -> e.hasData() && e.getProcess().getPid() == kept.pid()
        && e.getData().getPayload().toStringUtf8().contains("kept-" + marker));
    await(e -> e.hasData() && e.getProcess().getPid() == kept.pid()
        && e.getData().getDirection() == Direction.READ && e.getData().getPayload().toStringUtf8().contains("s_server"));
    assertNone(dropped.pid(), "the gnutls-cli not in the pid filter");
  }

  @Test
  void uidFilterKeepsTheShellOfThatUser() throws Exception {
    post("{\"uids\":[65534]}");
    long root = shellSession("zsh", List.of("zsh", "-f", "-i"), "echo root-dropped");
    long nobody = shellSession("bash", List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
        "bash", "--norc", "--noprofile", "-i"), "echo nobody-kept");
    RawEvent kept = await(e -> e.hasShell() && e.getProcess().getPid() == nobody
        && e.getShell().getLine().equals("echo nobody-kept"));
    assertEquals(65534, kept.getProcess().getUid());
    await(e -> e.hasShell() && e.getProcess().getPid() == nobody && e.getShell().getLine().equals("exit"));
    assertNone(root, "root's zsh");
  }

  @Test
  void cgroupFilterKeepsTheShellInsideTheGroup() throws Exception {
    Path mount = Path.of("/sys/fs/cgroup/unified");
    if (!Files.isDirectory(mount)) {
      mount = Path.of("/sys/fs/cgroup");
    }
    String name = "ecap-modfilter-" + UUID.randomUUID().toString().substring(0, 8);
    Path group = Files.createDirectory(mount.resolve(name));
    try {
      post("{\"cgroups\":[\"/" + name + "\"]}");
      long outside = shellSession("zsh", List.of("zsh", "-f", "-i"), "echo outside-dropped");
      long inside = shellSession("zsh", List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
          group.resolve("cgroup.procs").toString(), "zsh", "-f", "-i"), "echo inside-kept");
      await(e -> e.hasShell() && e.getProcess().getPid() == inside && e.getShell().getLine().equals("echo inside-kept"));
      await(e -> e.hasShell() && e.getProcess().getPid() == inside && e.getShell().getLine().equals("exit"));
      assertNone(outside, "the zsh outside the cgroup");
    } finally {
      post("{}");
      Files.deleteIfExists(group);
    }
  }

  @Test
  void netnsFilterKeepsOnlyTheNamespacesProcesses() throws Exception {
    String namespace = "ecapm-" + UUID.randomUUID().toString().substring(0, 8);
    ExternalCommand.run(dir, List.of("ip", "netns", "add", namespace));
    RecordingSink own = new RecordingSink();
    try (Collector nsCollector = Collector.start(CollectorConfig.builder().hostId("ns-modules").statusPort(-1)
        .dataDir(dir.resolve("ns-data")).discoveryInterval(Duration.ZERO)
        .netns(Path.of("/var/run/netns", namespace))
        .modules(ModulesConfig.only(List.of("bash", "zsh"))).build(), stats -> own)) {
      long outside = shellSession("bash", List.of("bash", "--norc", "--noprofile", "-i"), "echo outside-ns");
      long inside = shellSession("zsh", List.of("ip", "netns", "exec", namespace, "zsh", "-f", "-i"), "echo inside-ns");
      await(own, e -> e.hasShell() && e.getProcess().getPid() == inside && e.getShell().getLine().equals("exit"));
      // the main collector (every namespace) saw both
      await(e -> e.hasShell() && e.getProcess().getPid() == outside && e.getShell().getLine().equals("echo outside-ns"));
      assertTrue(own.events.stream().noneMatch(e -> e.getProcess().getPid() == outside),
          "the bash outside the namespace is not captured");
      assertTrue(own.events.stream().allMatch(e -> e.getProcess().getPid() == inside), "nothing but the inner zsh");
    } finally {
      new ProcessBuilder("ip", "netns", "del", namespace).start().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private long gnutlsRequest(String marker) throws Exception {
    Process client = new ProcessBuilder("gnutls-cli", "--insecure", "-p", Integer.toString(server.port()), "127.0.0.1")
        .redirectErrorStream(true).redirectOutput(dir.resolve("gnutls-req.out").toFile()).start();
    started.add(client);
    send(client, "GET /" + marker + " HTTP/1.0\r\n\r\n", dir.resolve("gnutls-req.out"));
    assertTrue(Files.readString(dir.resolve("gnutls-req.out")).contains("s_server"));
    return client.pid();
  }

  private long nssRequest(String marker) throws Exception {
    Path db = dir.resolve("nssdb");
    if (!Files.isDirectory(db)) {
      Files.createDirectories(db);
      ExternalCommand.run(dir, List.of("certutil", "-N", "-d", "sql:" + db, "--empty-password"));
    }
    Process client = new ProcessBuilder("tstclnt", "-h", "127.0.0.1", "-p", Integer.toString(server.port()),
        "-d", "sql:" + db, "-o").redirectErrorStream(true).redirectOutput(dir.resolve("tstclnt.out").toFile()).start();
    started.add(client);
    send(client, "GET /" + marker + " HTTP/1.0\r\n\r\n", dir.resolve("tstclnt.out"));
    assertTrue(Files.readString(dir.resolve("tstclnt.out")).contains("s_server"));
    return client.pid();
  }

  private Process gnutlsClient(String name, int port) throws IOException {
    Process client = new ProcessBuilder("gnutls-cli", "--insecure", "-p", Integer.toString(port), "127.0.0.1")
        .redirectErrorStream(true).redirectOutput(dir.resolve("gnutls-" + name + ".out").toFile()).start();
    started.add(client);
    return client;
  }

  private static void awaitOutput(Path output, String text) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(output) && Files.readString(output).contains(text)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError(output + " never showed " + text + ": "
        + (Files.exists(output) ? Files.readString(output) : "(none)"));
  }

  /** Writes {@code input}, closes stdin and waits for the page's end (or the client's exit). */
  private static void send(Process client, String input, Path output) throws Exception {
    client.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
    client.getOutputStream().close();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      String out = Files.exists(output) ? Files.readString(output) : "";
      if (out.contains("</HTML>") || out.contains("</html>") || !client.isAlive()) {
        break;
      }
      Thread.sleep(50);
    }
    client.destroy();
    client.waitFor(10, TimeUnit.SECONDS);
  }

  /** Runs {@code command} on a pseudo-terminal typing {@code line}, then exit; returns its pid. */
  private static long shellSession(String shell, List<String> command, String line) throws Exception {
    Path script = dir.resolve("pty_session.py");
    if (!Files.exists(script)) {
      try (InputStream in = ModuleFilterTest.class.getResourceAsStream("/pty_session.py")) {
        Files.write(script, in.readAllBytes());
      }
    }
    Path lines = Files.writeString(dir.resolve(shell + "-" + UUID.randomUUID() + ".txt"), line + "\n");
    List<String> argv = new ArrayList<>(List.of("python3", script.toString(), lines.toString()));
    argv.addAll(command);
    Process session = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(session.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(session.waitFor(60, TimeUnit.SECONDS), out);
    assertTrue(out.startsWith("PID "), out);
    assertTrue(out.contains("EXIT 0"), "the session ended normally: " + out);
    return Long.parseLong(out.lines().findFirst().orElseThrow().substring(4).trim());
  }

  private static void assertNone(long pid, String what) {
    List<RawEvent> seen = sink.events.stream().filter(e -> e.getProcess().getPid() == pid).toList();
    assertTrue(seen.isEmpty(), what + " is not captured, yet " + seen.size() + " events: "
        + seen.stream().limit(3).map(e -> e.getBodyCase() + " " + e.getProcess().getComm()).toList());
  }

  private static RawEvent await(Predicate<RawEvent> wanted) throws InterruptedException {
    return await(sink, wanted);
  }

  private static RawEvent await(RecordingSink from, Predicate<RawEvent> wanted) throws InterruptedException {
    return from.awaitFirst(wanted, WAIT,
        e -> e.getBodyCase() + " " + e.getProcess().getComm() + " " + e.getProcess().getPid());
  }

  /** POST /config with the collector's token, as an operator's script sends it; returns the body. */
  private static String post(String body) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      HttpResponse<String> response = client.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + collector.statusPort() + "/config"))
              .header("Authorization", "Bearer " + token.value())
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), response.body());
      return response.body();
    }
  }
}
