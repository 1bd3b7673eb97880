package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Server-side query capture from real MariaDB and PostgreSQL servers started in temporary
 * directories (postgres as the {@code postgres} user: it refuses root). Debian's mariadbd exports
 * {@code dispatch_command}; Debian's postgres is stripped of the static {@code exec_simple_query},
 * so the module falls back to the exported {@code pg_parse_query} and says so in its status; the
 * explicit {@code --postgres-offset} path is exercised with a second collector.
 */
class DatabaseModulesTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static Path base;
  private static Process mariadb;
  private static Process postgres;
  private static Path mariadbSocket;
  private static Path postgresDir;
  private static int postgresPort;

  @BeforeAll
  static void startServers() throws Exception {
    EbpfEnvironment.requireEbpf();
    for (String tool : List.of("mariadbd", "mariadb", "mariadb-install-db", "psql", "runuser")) {
      EbpfEnvironment.requireTool(tool);
    }
    base = Files.createTempDirectory("ecapture-modules-db-");
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    // MariaDB
    Path mdir = Files.createDirectories(base.resolve("mariadb"));
    run(mdir, "mariadb-install-db", "--no-defaults", "--datadir=" + mdir.resolve("data"), "--user=mysql",
        "--skip-test-db", "--auth-root-authentication-method=socket");
    run(mdir, "chown", "-R", "mysql", mdir.toString());
    mariadbSocket = mdir.resolve("sock");
    mariadb = new ProcessBuilder("mariadbd", "--no-defaults", "--datadir=" + mdir.resolve("data"), "--user=mysql",
        "--skip-networking", "--socket=" + mariadbSocket, "--pid-file=" + mdir.resolve("pid"), "--skip-log-bin",
        "--innodb-buffer-pool-size=16M", "--log-error=" + mdir.resolve("err.log"))
        .redirectErrorStream(true).redirectOutput(mdir.resolve("out.log").toFile()).start();
    // PostgreSQL
    postgresDir = Files.createDirectories(base.resolve("postgres"));
    run(postgresDir, "chown", "-R", "postgres", postgresDir.toString());
    Path bin = postgresBin();
    run(postgresDir, "runuser", "-u", "postgres", "--", bin.resolve("initdb").toString(), "-D",
        postgresDir.resolve("data").toString(), "-U", "postgres", "--auth-local=trust", "-N");
    postgresPort = freePort();
    postgres = new ProcessBuilder("runuser", "-u", "postgres", "--", bin.resolve("postgres").toString(), "-D",
        postgresDir.resolve("data").toString(), "-c", "port=" + postgresPort, "-c", "listen_addresses=",
        "-c", "unix_socket_directories=" + postgresDir, "-c", "fsync=off", "-c", "shared_buffers=16MB")
        .redirectErrorStream(true).redirectOutput(postgresDir.resolve("server.log").toFile()).start();
    awaitFile(mariadbSocket, mariadb, mdir.resolve("err.log"));
    awaitFile(postgresDir.resolve(".s.PGSQL." + postgresPort), postgres, postgresDir.resolve("server.log"));
  }

  @AfterAll
  static void stopServers() throws Exception {
    if (postgres != null) {
      try {
        String pid = Files.readAllLines(postgresDir.resolve("data/postmaster.pid")).getFirst().strip();
        run(postgresDir, "kill", "-INT", pid);
      } catch (Exception e) {
        // not started
      }
      stop(postgres);
    }
    if (mariadb != null) {
      stop(mariadb);
    }
    if (base != null) {
      try (Stream<Path> all = Files.walk(base)) {
        all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void serverSideQueriesAreSeen() throws Exception {
    RecordingSink sink = new RecordingSink();
    try (Collector collector = Collector.start(CollectorConfig.builder().hostId("db-host").statusPort(-1)
        .discoveryInterval(Duration.ZERO).modules(ModulesConfig.only(List.of("mysql", "postgres"))).build(),
        stats -> sink)) {
      ModuleStatus mysql = status(collector, "mysql");
      assertTrue(mysql.attached(), mysql.toString());
      assertTrue(mysql.attachments().getFirst().contains("_Z16dispatch_command"), mysql.toString());
      ModuleStatus pg = status(collector, "postgres");
      assertTrue(pg.attached(), pg.toString());
      assertTrue(pg.reason().contains("exec_simple_query not in its symbol tables (stripped); probing pg_parse_query"),
          pg.reason());

      String marker = "m" + UUID.randomUUID().toString().replace("-", "");
      String ok = run(base, "mariadb", "--no-defaults", "--socket=" + mariadbSocket, "-u", "root", "-e",
          "SELECT '" + marker + "' AS marker");
      assertTrue(ok.contains(marker), ok);
      RawEvent query = await(sink, e -> e.hasQuery() && e.getQuery().getQuery().equals("SELECT '" + marker + "' AS marker"));
      assertEquals("mysql", query.getQuery().getServer());
      assertEquals(3, query.getQuery().getCommand()); // COM_QUERY
      assertTrue(query.getQuery().hasResult());
      assertEquals(0, query.getQuery().getResult());
      assertEquals(mariadb.pid(), query.getProcess().getPid());
      assertEquals("db-host/" + mariadb.pid() + "/-1/0", query.getConnectionId());
      // a failing statement is captured too; dispatch_command's result says whether the connection
      // goes on (0), not whether the statement failed
      String bad = "SELECT * FROM no_such_table_" + marker;
      runAllowFailure(base, "mariadb", "--no-defaults", "--socket=" + mariadbSocket, "-u", "root", "-e", bad);
      RawEvent failed = await(sink, e -> e.hasQuery() && e.getQuery().getQuery().equals(bad));
      assertEquals(0, failed.getQuery().getResult());
      assertTrue(failed.getQuery().getDurationNs() > 0);

      String pgMarker = "p" + UUID.randomUUID().toString().replace("-", "");
      String out = psql("SELECT '" + pgMarker + "' AS marker");
      assertTrue(out.contains(pgMarker), out);
      RawEvent pgQuery = await(sink, e -> e.hasQuery() && e.getQuery().getQuery().equals("SELECT '" + pgMarker + "' AS marker"));
      assertEquals("postgres", pgQuery.getQuery().getServer());
      assertEquals("pg_parse_query", pgQuery.getQuery().getFunction());
      assertEquals("postgres", pgQuery.getProcess().getComm());
      assertNotNull(pgQuery.getQuery().getBinary());
    }
  }

  /**
   * The process filters decide in the kernel for the server-query modules too: a uid filter on
   * the postgres user keeps PostgreSQL's queries and drops MariaDB's (user mysql); a comm filter
   * changed at run time the other way round. The dropped query runs first: the ring buffer
   * delivers in order, so it would have arrived before the kept one.
   */
  @Test
  void processFiltersApplyToServerQueries() throws Exception {
    int postgresUid = Integer.parseInt(run(base, "id", "-u", "postgres").strip());
    RecordingSink sink = new RecordingSink();
    try (Collector collector = Collector.start(CollectorConfig.builder().hostId("db-filter").statusPort(-1)
        .discoveryInterval(Duration.ZERO).modules(ModulesConfig.only(List.of("mysql", "postgres")))
        .filter(new io.ecapture.kafka.collector.control.CaptureFilter(Set.of(), Set.of(postgresUid), Set.of()))
        .build(), stats -> sink)) {
      long filteredBefore = collector.stats().filteredInKernel();
      String marker = "f" + UUID.randomUUID().toString().replace("-", "");
      run(base, "mariadb", "--no-defaults", "--socket=" + mariadbSocket, "-u", "root", "-e", "SELECT 'my" + marker + "'");
      psql("SELECT 'pg" + marker + "'");
      RawEvent kept = await(sink, e -> e.hasQuery() && e.getQuery().getQuery().equals("SELECT 'pg" + marker + "'"));
      assertEquals(postgresUid, kept.getProcess().getUid());
      assertTrue(sink.events.stream().noneMatch(e -> e.hasQuery() && e.getQuery().getQuery().contains("my" + marker)),
          "mariadbd (uid mysql) is filtered out");
      assertTrue(sink.events.stream().allMatch(e -> e.getProcess().getUid() == postgresUid));
      assertTrue(collector.stats().filteredInKernel() > filteredBefore);

      collector.updateFilter(new io.ecapture.kafka.collector.control.CaptureFilter(Set.of(), Set.of(),
          Set.of("mariadbd")));
      String second = "s" + UUID.randomUUID().toString().replace("-", "");
      psql("SELECT 'pg" + second + "'");
      run(base, "mariadb", "--no-defaults", "--socket=" + mariadbSocket, "-u", "root", "-e", "SELECT 'my" + second + "'");
      RawEvent mysql = await(sink, e -> e.hasQuery() && e.getQuery().getQuery().equals("SELECT 'my" + second + "'"));
      assertEquals(mariadb.pid(), mysql.getProcess().getPid());
      assertTrue(sink.events.stream().noneMatch(e -> e.hasQuery() && e.getQuery().getQuery().contains("pg" + second)),
          "postgres is filtered out by the comm filter");
    }
  }

  @Test
  void explicitOffsetIsProbed() throws Exception {
    Path binary = postgresBin().resolve("postgres").toRealPath();
    long offset = ElfSymbols.matchingOffsets(binary, Set.of("pg_parse_query")).get("pg_parse_query");
    RecordingSink sink = new RecordingSink();
    try (Collector collector = Collector.start(CollectorConfig.builder().hostId("db-host").statusPort(-1)
        .discoveryInterval(Duration.ZERO).modules(ModulesConfig.only(List.of("postgres"))
            .withPostgres(Optional.empty(), OptionalLong.of(offset))).build(), stats -> sink)) {
      ModuleStatus pg = status(collector, "postgres");
      assertEquals(List.of(binary + ":+0x" + Long.toHexString(offset)), pg.attachments());
      assertFalse(status(collector, "tls").enabled());
      String marker = "o" + UUID.randomUUID().toString().replace("-", "");
      psql("SELECT '" + marker + "'");
      RawEvent event = await(sink, e -> e.hasQuery() && e.getQuery().getQuery().equals("SELECT '" + marker + "'"));
      assertEquals("+0x" + Long.toHexString(offset), event.getQuery().getFunction());
    }
  }

  private static String psql(String sql) throws Exception {
    // trust auth on the socket: root connects as the postgres role directly
    return run(base, "psql", "-X", "-h", postgresDir.toString(), "-p",
        Integer.toString(postgresPort), "-U", "postgres", "-At", "-c", sql);
  }

  private static ModuleStatus status(Collector collector, String name) {
    return collector.modules().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
  }

  private static RawEvent await(RecordingSink sink, Predicate<RawEvent> wanted) throws InterruptedException {
    // the queries seen, when none matched
    return sink.awaitFirst(wanted, WAIT, e -> e.hasQuery() ? e.getQuery().getQuery() : null);
  }

  static Path postgresBin() throws IOException {
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
          .max(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString())))
          .orElseThrow(() -> new IOException("no /usr/lib/postgresql/*/bin/initdb")).resolve("bin");
    }
  }

  private static String run(Path dir, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }

  private static void runAllowFailure(Path dir, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
  }

  private static void awaitFile(Path file, Process server, Path log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(file)) {
        Thread.sleep(200);
        return;
      }
      if (!server.isAlive()) {
        break;
      }
      Thread.sleep(100);
    }
    throw new IOException("server did not create " + file + ": " + (Files.exists(log) ? Files.readString(log) : ""));
  }

  private static void stop(Process process) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
