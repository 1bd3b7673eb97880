package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.launcher.LocalDatabases.Result;
import io.ecapture.kafka.launcher.LocalDatabases.Server;
import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
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

/**
 * The collector's capture modules end to end: the fleet {@code up} with its default modules
 * (every one whose target is on this host) and an eCaptureQ client. An interactive bash on a
 * pseudo-terminal, a MariaDB server receiving a query over its socket, and gnutls-cli talking TLS
 * to openssl s_server: the eCaptureQ client receives the command line and the server-side query
 * as type 0 events with readable text, and the GnuTLS request as an HTTP/1 request with its ports.
 */
class CaptureModulesEndToEndTest {
  private static final Duration ARRIVAL = Duration.ofSeconds(60);

  private static Path base;
  private static Fleet fleet;
  private static EcaptureqTestClient client;
  private static Server mariadb;
  private static Server postgres;
  private static Process tlsServer;
  private static int tlsPort;

  @BeforeAll
  static void start() throws Exception {
    EbpfEnvironment.requireEbpf();
    for (String tool : List.of("bash", "zsh", "python3", "gnutls-cli", "tstclnt", "certutil", "openssl", "mariadbd",
        "mariadb", "psql", "runuser")) {
      EbpfEnvironment.requireTool(tool);
    }
    base = LocalDatabases.baseDirectory();
    LocalDatabases.certificate(base);
    fleet = Fleet.start(FleetConfig.builder(base.resolve("fleet"))
        .embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, 0)
        .partitions(2)
        .gatewayListen("127.0.0.1:0")
        .capture(true).hostId("modules-host").collectorStatusPort(-1)
        .idleFlush(Duration.ofMillis(500)).build());
    if (!fleet.capturing()) {
      EbpfEnvironment.unavailable(fleet.captureError());
    }
    assertTrue(fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60)), "gateway never got its partitions");
    client = new EcaptureqTestClient(fleet.gatewayPort());
    mariadb = LocalDatabases.mariadb(base, base.resolve("cert.pem"), base.resolve("key.pem"), "app",
        "pw-" + UUID.randomUUID());
    postgres = LocalDatabases.postgres(base, base.resolve("cert.pem"), base.resolve("key.pem"),
        "pw-" + UUID.randomUUID());
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      tlsPort = s.getLocalPort();
    }
    tlsServer = new ProcessBuilder("openssl", "s_server", "-www", "-accept", "127.0.0.1:" + tlsPort,
        "-cert", base.resolve("cert.pem").toString(), "-key", base.resolve("key.pem").toString())
        .redirectErrorStream(true).redirectOutput(base.resolve("s_server.log").toFile()).start();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try (Socket socket = new Socket("127.0.0.1", tlsPort)) {
        break;
      } catch (java.io.IOException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (tlsServer != null) {
      tlsServer.destroy();
      tlsServer.waitFor(10, TimeUnit.SECONDS);
    }
    if (mariadb != null) {
      mariadb.close();
    }
    if (postgres != null) {
      postgres.close();
    }
    if (client != null) {
      client.close();
    }
    if (fleet != null) {
      fleet.close();
    }
    if (base != null) {
      LocalDatabases.delete(base);
    }
  }

  @Test
  void bashCommandReachesEcaptureq() throws Exception {
    String marker = marker();
    long pid = shellSession("bash", marker, "bash", "--norc", "--noprofile", "-i");
    Event event = awaitEvent(e -> e.getPid() == pid && payload(e).contains("$ echo " + marker), "bash command");
    assertEquals(0, event.getType());
    assertTrue(payload(event).startsWith("bash (pid " + pid + ", uid 0, tty pts"), payload(event));
    assertTrue(payload(event).contains(", exit 0)\n$ echo " + marker), payload(event));
  }

  @Test
  void zshCommandReachesEcaptureq() throws Exception {
    String marker = marker();
    long pid = shellSession("zsh", marker, "zsh", "-f", "-i");
    Event event = awaitEvent(e -> e.getPid() == pid && payload(e).contains("$ echo " + marker), "zsh command");
    assertEquals(0, event.getType());
    assertTrue(payload(event).startsWith("zsh (pid " + pid + ", uid 0, tty pts"), payload(event));
    assertEquals("zsh", event.getPname());
  }

  @Test
  void postgresServerSideQueryReachesEcaptureq() throws Exception {
    String marker = marker();
    Result out = LocalDatabases.client(base, List.of(), "psql", "-X", "-h", postgres.dir.toString(), "-p",
        Integer.toString(postgres.port), "-U", "postgres", "-At", "-c", "SELECT '" + marker + "' AS marker");
    assertTrue(out.output().contains(marker), out.output());
    Event event = awaitEvent(e -> payload(e).startsWith("postgres server query")
        && payload(e).contains("SELECT '" + marker + "' AS marker"), "PostgreSQL server-side query");
    assertEquals(0, event.getType());
    assertEquals("postgres", event.getPname());
    assertTrue(payload(event).contains("pg_parse_query"), payload(event));
  }

  @Test
  void nssRequestReachesEcaptureq() throws Exception {
    String marker = marker();
    Path db = base.resolve("nssdb");
    if (!Files.isDirectory(db)) {
      Files.createDirectories(db);
      LocalDatabases.client(base, List.of(), "certutil", "-N", "-d", "sql:" + db, "--empty-password");
    }
    Process tstclnt = new ProcessBuilder("tstclnt", "-h", "127.0.0.1", "-p", Integer.toString(tlsPort), "-d",
        "sql:" + db, "-o").redirectErrorStream(true).redirectOutput(base.resolve("tstclnt.out").toFile()).start();
    tstclnt.getOutputStream().write(("GET /" + marker + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    tstclnt.getOutputStream().close();
    try {
      Event request = awaitEvent(e -> e.getPid() == tstclnt.pid() && payload(e).startsWith("GET /" + marker),
          "NSS request");
      assertEquals(1, request.getType()); // HTTP/1 request, parsed like OpenSSL's
      assertEquals(tlsPort, request.getDstPort());
      assertEquals("tstclnt", request.getPname());
    } finally {
      tstclnt.destroy(); // tstclnt does not always exit when the server closes
      tstclnt.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void serverSideQueryReachesEcaptureq() throws Exception {
    String marker = marker();
    Result out = LocalDatabases.client(base, List.of(), "mariadb", "--no-defaults",
        "--socket=" + mariadb.dir.resolve("sock"), "-u", "root", "-e", "SELECT '" + marker + "' AS marker");
    assertTrue(out.output().contains(marker), out.output());
    Event event = awaitEvent(e -> payload(e).startsWith("mysql server query")
        && payload(e).contains("SELECT '" + marker + "' AS marker"), "server-side query");
    assertEquals(0, event.getType());
    assertEquals("mariadbd", event.getPname());
    assertTrue(payload(event).contains(", returned 0"), payload(event));
  }

  @Test
  void gnutlsRequestReachesEcaptureq() throws Exception {
    String marker = marker();
    Process gnutls = new ProcessBuilder("gnutls-cli", "--insecure", "-p", Integer.toString(tlsPort), "127.0.0.1")
        .redirectErrorStream(true).redirectOutput(base.resolve("gnutls.out").toFile()).start();
    gnutls.getOutputStream().write(("GET /" + marker + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    gnutls.getOutputStream().close();
    if (!gnutls.waitFor(60, TimeUnit.SECONDS)) {
      gnutls.destroyForcibly();
    }
    Event request = awaitEvent(e -> e.getPid() == gnutls.pid() && payload(e).startsWith("GET /" + marker), "GnuTLS request");
    assertEquals(1, request.getType()); // HTTP/1 request, parsed like OpenSSL's
    assertEquals(tlsPort, request.getDstPort());
    assertEquals("gnutls-cli", request.getPname());
  }

  /** An interactive shell on a pseudo-terminal typing {@code echo marker}, then exit; its pid. */
  private static long shellSession(String shell, String marker, String... command) throws Exception {
    Path script = base.resolve("pty_session.py");
    if (!Files.exists(script)) {
      try (InputStream in = CaptureModulesEndToEndTest.class.getResourceAsStream("/pty_session.py")) {
        Files.write(script, in.readAllBytes());
      }
    }
    Path lines = base.resolve(shell + "-lines.txt");
    Files.writeString(lines, "echo " + marker + "\n");
    List<String> argv = new java.util.ArrayList<>(List.of("python3", script.toString(), lines.toString()));
    argv.addAll(List.of(command));
    Result session = LocalDatabases.client(base, List.of(), argv.toArray(String[]::new));
    return Long.parseLong(session.output().lines().findFirst().orElseThrow().substring(4).trim());
  }

  private static String marker() {
    return "m" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  private static String payload(Event e) {
    return e.getPayload().toString(StandardCharsets.UTF_8);
  }

  private static Event awaitEvent(Predicate<Event> match, String what) throws InterruptedException {
    LogEntry entry = client.await(e -> e.getLogType() == LogType.EVENT && match.test(e.getEventPayload()), ARRIVAL);
    if (entry == null) {
      StringBuilder seen = new StringBuilder();
      for (LogEntry e : client.received()) {
        if (e.getLogType() == LogType.EVENT) {
          seen.append("\n  pid=").append(e.getEventPayload().getPid()).append(' ')
              .append(payload(e.getEventPayload()).lines().findFirst().orElse(""));
        }
      }
      fail("no " + what + " event within " + ARRIVAL + "; events:" + seen);
    }
    return entry.getEventPayload();
  }
}
