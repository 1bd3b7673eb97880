package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The capture modules beyond OpenSSL against real programs: gnutls-cli and NSS tstclnt talking
 * TLS to openssl s_server (plaintext with its tuple), and interactive bash and zsh sessions on a
 * pseudo-terminal (the command lines with pid, uid and tty). The OpenSSL module is left out
 * ({@code --modules gnutls,nss,bash,zsh}), so s_server's own traffic is not captured.
 */
class ModulesCaptureTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir static Path dir;
  private static RecordingSink sink;
  private static Collector collector;
  private static TlsTestServer server;

  @BeforeAll
  static void start() throws Exception {
    EbpfEnvironment.requireEbpf();
    for (String tool : List.of("openssl", "gnutls-cli", "tstclnt", "certutil", "bash", "zsh", "python3")) {
      EbpfEnvironment.requireTool(tool);
    }
    sink = new RecordingSink();
    collector = Collector.start(CollectorConfig.builder().hostId("modules-host").statusPort(-1)
        .discoveryInterval(Duration.ZERO)
        .modules(ModulesConfig.only(List.of("gnutls", "nss", "bash", "zsh"))).build(), stats -> sink);
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

  @Test
  void statusNamesEveryModuleAndWhereItAttached() {
    List<ModuleStatus> modules = collector.modules();
    assertEquals(CaptureModules.NAMES, modules.stream().map(ModuleStatus::name).toList());
    ModuleStatus tls = status("tls");
    assertFalse(tls.enabled(), "tls not selected");
    for (String name : List.of("gnutls", "nss", "bash", "zsh")) {
      ModuleStatus m = status(name);
      assertTrue(m.enabled() && m.attached(), name + ": " + m);
    }
    assertTrue(status("gnutls").attachments().stream()
        .anyMatch(a -> a.contains("libgnutls.so.30") && a.endsWith(":gnutls_record_send")), status("gnutls").toString());
    assertTrue(status("bash").attachments().stream().anyMatch(a -> a.endsWith("bash:readline")));
    assertTrue(status("zsh").attachments().stream().anyMatch(a -> a.endsWith("zle.so:zleread")));
    assertFalse(status("mysql").enabled());
  }

  @Test
  void gnutlsClientRequestIsSeenWithItsTuple() throws Exception {
    String marker = "gnutls-" + UUID.randomUUID();
    Process client = new ProcessBuilder("gnutls-cli", "--insecure", "-p", Integer.toString(server.port()), "127.0.0.1")
        .redirectErrorStream(true).redirectOutput(dir.resolve("gnutls-cli.out").toFile()).start();
    String out = talk(client, "GET /" + marker + " HTTP/1.0\r\n\r\n", dir.resolve("gnutls-cli.out"));
    assertTrue(out.contains("s_server"), "gnutls-cli got the page: " + out);
    RawEvent request = await(e -> e.hasData() && e.getProcess().getPid() == client.pid()
        && e.getData().getDirection() == Direction.WRITE && e.getData().getPayload().toStringUtf8().contains(marker));
    assertTrue(request.getData().getTlsLibrary().startsWith("gnutls "), request.getData().getTlsLibrary());
    assertTuple(request);
    RawEvent response = await(e -> e.hasData() && e.getProcess().getPid() == client.pid()
        && e.getData().getDirection() == Direction.READ && e.getData().getPayload().toStringUtf8().contains("s_server"));
    assertEquals(request.getConnectionId(), response.getConnectionId());
  }

  /**
   * GnuTLS's key log from the kernel equals what gnutls-cli itself writes to SSLKEYLOGFILE: the
   * TLS 1.3 secrets, and with TLS 1.2 the CLIENT_RANDOM line, the same lines for the same client
   * random, no more and no fewer.
   */
  @ParameterizedTest
  @ValueSource(strings = {"tls13", "tls12"})
  void gnutlsKeyLogEqualsTheClientsOwnSslKeyLogFile(String version) throws Exception {
    assertTrue(status("gnutls").attachments().stream().anyMatch(a -> a.endsWith(":_gnutls_call_keylog_func")),
        status("gnutls").toString());
    Path keyLog = dir.resolve("gnutls-" + version + ".keys");
    List<String> command = new java.util.ArrayList<>(List.of("gnutls-cli", "--insecure", "-p",
        Integer.toString(server.port())));
    if (version.equals("tls12")) {
      command.add("--priority=NORMAL:-VERS-ALL:+VERS-TLS1.2");
    }
    command.add("127.0.0.1");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("gnutls-keylog.out").toFile());
    builder.environment().put("SSLKEYLOGFILE", keyLog.toString());
    Process client = builder.start();
    String out = talk(client, "GET /keylog HTTP/1.0\r\n\r\n", dir.resolve("gnutls-keylog.out"));
    assertTrue(out.contains("s_server"), out);
    java.util.Set<String> written = new java.util.TreeSet<>(Files.readAllLines(keyLog));
    written.removeIf(String::isBlank);
    if (version.equals("tls12")) {
      assertEquals(1, written.size(), written.toString());
      assertTrue(written.iterator().next().startsWith("CLIENT_RANDOM "), written.toString());
    } else {
      assertTrue(written.stream().anyMatch(l -> l.startsWith("CLIENT_TRAFFIC_SECRET_0 ")), written.toString());
      assertTrue(written.size() >= 4, written.toString());
    }
    String random = written.iterator().next().split(" ")[1];
    long deadline = System.nanoTime() + WAIT.toNanos();
    java.util.Set<String> captured = new java.util.TreeSet<>();
    while (System.nanoTime() < deadline && !captured.equals(written)) {
      captured.clear();
      sink.keyLogs.stream().filter(l -> l.split(" ")[1].equals(random)).forEach(captured::add);
      Thread.sleep(50);
    }
    assertEquals(written, captured, "the kernel's GnuTLS key log is the client's own");
  }

  @Test
  void nssClientRequestIsSeenWithItsTuple() throws Exception {
    Path db = Files.createDirectories(dir.resolve("nssdb"));
    io.ecapture.kafka.collector.ExternalCommand.run(dir, List.of("certutil", "-N", "-d", "sql:" + db, "--empty-password"));
    String marker = "nss-" + UUID.randomUUID();
    Process client = new ProcessBuilder("tstclnt", "-h", "127.0.0.1", "-p", Integer.toString(server.port()),
        "-d", "sql:" + db, "-o").redirectErrorStream(true).redirectOutput(dir.resolve("tstclnt.out").toFile()).start();
    String out = talk(client, "GET /" + marker + " HTTP/1.0\r\n\r\n", dir.resolve("tstclnt.out"));
    assertTrue(out.contains("s_server"), "tstclnt got the page: " + out);
    RawEvent request = await(e -> e.hasData() && e.getProcess().getPid() == client.pid()
        && e.getData().getDirection() == Direction.WRITE && e.getData().getPayload().toStringUtf8().contains(marker));
    assertTrue(request.getData().getTlsLibrary().startsWith("nss "), request.getData().getTlsLibrary());
    assertTuple(request);
    // only the SSL layer is captured: no event carries TLS records (0x16/0x17 content types)
    assertFalse(sink.events.stream().filter(e -> e.hasData() && e.getProcess().getPid() == client.pid())
        .anyMatch(e -> e.getData().getPayload().size() > 0 && (e.getData().getPayload().byteAt(0) == 0x16
            || e.getData().getPayload().byteAt(0) == 0x17)));
  }

  @Test
  void bashCommandsAreSeenWithPidUidTtyAndExitStatus() throws Exception {
    long pid = shellSession("bash", List.of("bash", "--norc", "--noprofile", "-i"));
    RawEvent ok = await(e -> e.hasShell() && e.getProcess().getPid() == pid && e.getShell().getLine().startsWith("echo "));
    assertTrue(ok.getShell().hasReturnCode());
    assertEquals(0, ok.getShell().getReturnCode());
    RawEvent failed = await(e -> e.hasShell() && e.getProcess().getPid() == pid && e.getShell().getLine().equals("false"));
    assertEquals(1, failed.getShell().getReturnCode());
    RawEvent exit = await(e -> e.hasShell() && e.getProcess().getPid() == pid && e.getShell().getLine().equals("exit"));
    assertEquals(1, exit.getShell().getReturnCode()); // exit with the last status, false's
  }

  @Test
  void zshCommandsAreSeenWithPidUidAndTty() throws Exception {
    long pid = shellSession("zsh", List.of("zsh", "-f", "-i"));
    RawEvent line = await(e -> e.hasShell() && e.getProcess().getPid() == pid && e.getShell().getLine().equals("false"));
    assertFalse(line.getShell().hasReturnCode()); // zsh: not captured
  }

  private long shellSession(String shell, List<String> command) throws Exception {
    String marker = shell + "-" + UUID.randomUUID();
    Path script = dir.resolve("pty_session.py");
    try (InputStream in = ModulesCaptureTest.class.getResourceAsStream("/pty_session.py")) {
      Files.write(script, in.readAllBytes());
    }
    Path lines = dir.resolve(shell + "-lines.txt");
    Files.writeString(lines, "echo " + marker + "\nfalse\n");
    List<String> argv = new java.util.ArrayList<>(List.of("python3", script.toString(), lines.toString()));
    argv.addAll(command);
    Process session = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(session.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(session.waitFor(60, TimeUnit.SECONDS), out);
    assertTrue(out.startsWith("PID "), out);
    long pid = Long.parseLong(out.lines().findFirst().orElseThrow().substring(4).trim());
    RawEvent event = await(e -> e.hasShell() && e.getProcess().getPid() == pid
        && e.getShell().getLine().equals("echo " + marker));
    assertEquals(shell, event.getShell().getShell());
    assertEquals(0, event.getProcess().getUid());
    assertTrue(event.getShell().getTty().startsWith("pts"), event.getShell().getTty());
    assertEquals("modules-host/" + pid + "/-1/0", event.getConnectionId());
    await(e -> e.hasShell() && e.getProcess().getPid() == pid && e.getShell().getLine().equals("exit"));
    return pid;
  }

  private static void assertTuple(RawEvent event) {
    assertEquals(AddressFamily.INET, event.getTuple().getFamily());
    assertEquals(server.port(), event.getTuple().getDstPort());
    assertTrue(event.getTuple().getSrcPort() > 0);
    assertEquals(List.of(127, 0, 0, 1), event.getTuple().getDstAddr().toByteArray().length == 4
        ? List.of(event.getTuple().getDstAddr().byteAt(0) & 0xff, event.getTuple().getDstAddr().byteAt(1) & 0xff,
            event.getTuple().getDstAddr().byteAt(2) & 0xff, event.getTuple().getDstAddr().byteAt(3) & 0xff)
        : List.of());
    assertTrue(event.getFd() > 2, "fd " + event.getFd());
    assertTrue(event.getConnectionId().startsWith("modules-host/" + event.getProcess().getPid() + "/" + event.getFd() + "/"));
  }

  /**
   * Sends {@code input} on the client's stdin and returns what it printed once it printed the
   * page's end (tstclnt does not always exit when the server closes) or exited, within 30 s.
   */
  private static String talk(Process client, String input, Path output) throws IOException, InterruptedException {
    client.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
    client.getOutputStream().close();
    long deadline = System.nanoTime() + WAIT.toNanos();
    String out = "";
    while (System.nanoTime() < deadline) {
      out = Files.exists(output) ? Files.readString(output) : "";
      if (out.contains("</HTML>") || out.contains("</html>") || !client.isAlive()) {
        break;
      }
      Thread.sleep(50);
    }
    client.destroy();
    client.waitFor(10, TimeUnit.SECONDS);
    return Files.exists(output) ? Files.readString(output) : out;
  }

  private static ModuleStatus status(String name) {
    return collector.modules().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
  }

  private static RawEvent await(Predicate<RawEvent> wanted) throws InterruptedException {
    return sink.awaitFirst(wanted, WAIT, e -> e.getBodyCase() + " " + e.getProcess().getComm());
  }
}
