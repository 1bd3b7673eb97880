package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.launcher.LocalDatabases.Result;
import io.ecapture.kafka.launcher.LocalDatabases.Server;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.Serdes;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL, MySQL (MariaDB) and Redis inside TLS, end to end on this machine: the fleet {@code
 * up} (broker in a child JVM, processor, gateway, collector with real eBPF probes on the system
 * libssl) and three real servers with TLS, each started once for the class; the Debian clients
 * psql ({@code sslmode=require}), mariadb ({@code --ssl}) and redis-cli ({@code --tls}) send
 * queries and commands with unique markers. An eCaptureQ client must receive each request and
 * its response summary as readable text, and {@code ecapture.parsed} must carry the SQL / Redis
 * fields, paired, with latency; pgbench {@code -M prepared} is the extended-query client (one
 * Parse, then Bind/Execute by statement name). Passwords that cross the wire in clear inside TLS (PostgreSQL
 * {@code password} auth, Redis AUTH) are in {@code ecapture.raw} but in no parsed record.
 */
class DatabaseProtocolsEndToEndTest {
  private static final Duration ARRIVAL = Duration.ofSeconds(60);
  private static final String PG_PASSWORD = "pgpw-" + UUID.randomUUID();
  private static final String MY_PASSWORD = "mypw-" + UUID.randomUUID();
  private static final String REDIS_PASSWORD = "rdpw-" + UUID.randomUUID();

  private static Path base;
  private static Fleet fleet;
  private static EcaptureqTestClient client;
  private static final List<Server> servers = new ArrayList<>();
  private static Server postgres;
  private static Server mariadb;
  private static Server redis;

  @BeforeAll
  static void start() throws Exception {
    EbpfEnvironment.requireEbpf();
    List<String> missing = LocalDatabases.missingTools();
    if (!missing.isEmpty()) {
      EbpfEnvironment.unavailable("database servers/clients missing: " + missing
          + " (Debian: postgresql postgresql-client mariadb-server mariadb-client redis-server"
          + " redis-tools; ./ecapture-kafka installs them for tests)");
    }
    base = LocalDatabases.baseDirectory();
    LocalDatabases.certificate(base);
    FleetConfig config = FleetConfig.builder(base.resolve("fleet"))
        .embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, 0)
        .partitions(2)
        .gatewayListen("127.0.0.1:0")
        .capture(true).hostId("db-host").collectorStatusPort(-1)
        .idleFlush(Duration.ofMillis(500)).build();
    fleet = Fleet.start(config);
    if (!fleet.capturing()) {
      EbpfEnvironment.unavailable(fleet.captureError());
    }
    assertTrue(fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60)),
        "gateway never got its partitions");
    client = new EcaptureqTestClient(fleet.gatewayPort());
    Path cert = base.resolve("cert.pem");
    Path key = base.resolve("key.pem");
    postgres = add(LocalDatabases.postgres(base, cert, key, PG_PASSWORD));
    mariadb = add(LocalDatabases.mariadb(base, cert, key, "app", MY_PASSWORD, "shop", "shop2"));
    redis = add(LocalDatabases.redis(base, cert, key, REDIS_PASSWORD));
  }

  private static Server add(Server server) {
    servers.add(server);
    return server;
  }

  @AfterAll
  static void stop() throws Exception {
    for (Server server : servers.reversed()) {
      server.close();
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
  void psqlQueriesErrorsAndStartupAreParsedPairedAndThePasswordIsNeverEmitted() throws Exception {
    String marker = marker();
    Result psql = LocalDatabases.client(base, List.of("PGPASSWORD=" + PG_PASSWORD), "psql", "-X",
        "host=127.0.0.1 port=" + postgres.port + " user=postgres dbname=postgres sslmode=require"
            + " gssencmode=disable application_name=e2e_" + marker,
        "-c", "select '" + marker + "' as marker, generate_series(1, 3) as n",
        "-c", "select * from nope_" + marker);
    assertTrue(psql.output().contains("(3 rows)") && psql.output().contains("does not exist"),
        psql.output());

    // eCaptureQ: readable text, type 0, the psql process
    String query = "postgres QUERY select '" + marker + "' as marker, generate_series(1, 3) as n";
    Event request = awaitEvent(e -> e.getPid() == psql.pid() && payload(e).startsWith(query + "\n"),
        "query request");
    assertEquals(0, request.getType());
    assertEquals("psql", request.getPname());
    assertEquals(postgres.port, request.getDstPort());
    Event response = awaitEvent(e -> e.getPid() == psql.pid()
        && payload(e).startsWith(query + " → SELECT 3 ("), "query response");
    assertTrue(payload(response).contains("rows: 3, columns: 2"), payload(response));
    awaitEvent(e -> e.getPid() == psql.pid() && payload(e).startsWith("postgres QUERY select * from"
        + " nope_" + marker + " → ERROR 42P01 relation \"nope_" + marker + "\" does not exist"),
        "error response");

    // ecapture.parsed: the fields analytics read
    List<ParsedMessage> parsed = awaitParsed("pg-" + marker, m -> m.getPid() == psql.pid()
        && m.getProtocol() == Protocol.POSTGRES, list -> list.stream().anyMatch(m ->
            m.getSql().getSqlState().equals("42P01")));
    ParsedMessage startup = find(parsed, m -> m.getKind() == MessageKind.REQUEST
        && m.getSql().getOperation().equals("STARTUP"));
    assertEquals("postgres", startup.getSql().getUser());
    assertEquals("postgres", startup.getSql().getDatabase());
    assertEquals("e2e_" + marker, startup.getSql().getApplicationName());
    ParsedMessage ready = find(parsed, m -> m.getKind() == MessageKind.RESPONSE
        && m.getPairId().equals(startup.getPairId()));
    assertEquals("cleartext password", ready.getSql().getAuthentication());
    assertTrue(ready.getSql().getRedacted(), "the PasswordMessage went by, left out");
    assertFalse(ready.getSql().getServerVersion().isEmpty());
    ParsedMessage rows = find(parsed, m -> m.getKind() == MessageKind.RESPONSE
        && m.getSql().getCommandTagsList().equals(List.of("SELECT 3")));
    assertEquals(3, rows.getSql().getRows());
    assertEquals(2, rows.getSql().getColumns());
    assertTrue(rows.getSql().getStatement().contains(marker));
    assertTrue(rows.getLatencyNs() > 0);
    ParsedMessage asked = find(parsed, m -> m.getKind() == MessageKind.REQUEST
        && m.getPairId().equals(rows.getPairId()));
    assertEquals("QUERY", asked.getSql().getOperation());
    ParsedMessage error = find(parsed, m -> m.getSql().getSqlState().equals("42P01"));
    assertTrue(error.getSql().getError());
    assertEquals("ERROR", error.getSql().getErrorSeverity());
    assertPasswordOnlyInRaw(PG_PASSWORD, parsed);
  }

  @Test
  void pgbenchPreparedStatementsCarryTheStatementTextFromParseToEachExecute() throws Exception {
    String marker = marker();
    Path script = base.resolve("bench-" + marker + ".sql");
    java.nio.file.Files.writeString(script, "\\set v 7\nselect :v::int + 1 as " + marker + ";\n");
    // -M prepared: Parse once (a named statement), then Bind/Execute/Sync per transaction
    Result bench = LocalDatabases.client(base, List.of("PGPASSWORD=" + PG_PASSWORD),
        LocalDatabases.postgresBin().resolve("pgbench").toString(), "-n", "-M", "prepared",
        "-t", "3", "-f", script.toString(), "host=127.0.0.1 port=" + postgres.port
            + " user=postgres dbname=postgres sslmode=require gssencmode=disable");
    assertTrue(bench.output().contains("number of transactions actually processed: 3"),
        bench.output());
    String statement = "select $1::int + 1 as " + marker + ";"; // pgbench keeps the semicolon

    Event executed = awaitEvent(e -> e.getPid() == bench.pid()
        && payload(e).startsWith("postgres EXECUTE " + statement + " → SELECT 1 ("), "EXECUTE");
    assertEquals(0, executed.getType());
    List<ParsedMessage> parsed = awaitParsed("pgbench-" + marker, m -> m.getPid() == bench.pid()
        && m.getProtocol() == Protocol.POSTGRES, list -> list.stream().filter(m ->
            m.getKind() == MessageKind.RESPONSE && m.getSql().getOperation().equals("EXECUTE"))
            .count() == 3);
    List<ParsedMessage> executes = parsed.stream().filter(m -> m.getKind() == MessageKind.REQUEST
        && m.getSql().getOperation().equals("EXECUTE")).toList();
    assertEquals(3, executes.size(), parsed.toString());
    for (ParsedMessage execute : executes) {
      assertEquals(statement, execute.getSql().getStatement(), "carried from the one Parse");
      assertFalse(execute.getSql().getStatementId().isEmpty());
      assertEquals(1, execute.getSql().getParameters());
      ParsedMessage result = find(parsed, m -> m.getKind() == MessageKind.RESPONSE
          && m.getPairId().equals(execute.getPairId()));
      assertEquals(List.of("SELECT 1"), result.getSql().getCommandTagsList());
      assertEquals(1, result.getSql().getRows());
    }
    ParsedMessage prepare = find(parsed, m -> m.getKind() == MessageKind.REQUEST
        && m.getSql().getOperation().equals("PREPARE"));
    assertEquals(statement, prepare.getSql().getStatement());
  }

  @Test
  void mariadbQueriesInitDbAndErrorsAreParsedWithTheirResultSummaries() throws Exception {
    String marker = marker();
    String select = "select '" + marker + "' as marker union all select 'b'";
    Result mysql = LocalDatabases.client(base, List.of(), "mariadb", "--no-defaults",
        "-h", "127.0.0.1", "-P", Integer.toString(mariadb.port), "-u", "app", "-p" + MY_PASSWORD,
        "--ssl", "--ssl-verify-server-cert=0", "shop",
        "-e", select + "; use shop2; select * from nope_" + marker);
    assertTrue(mysql.output().contains(marker) && mysql.output().contains("1146"), mysql.output());

    awaitEvent(e -> e.getPid() == mysql.pid() && payload(e).startsWith("mysql QUERY " + select + "\n"),
        "query request");
    Event rows = awaitEvent(e -> e.getPid() == mysql.pid()
        && payload(e).startsWith("mysql QUERY " + select + " → 2 rows, 1 column ("), "result set");
    assertEquals(0, rows.getType());
    assertEquals(mariadb.port, rows.getDstPort());
    awaitEvent(e -> e.getPid() == mysql.pid() && payload(e).startsWith("mysql INIT_DB shop2 → OK"),
        "COM_INIT_DB");
    awaitEvent(e -> e.getPid() == mysql.pid() && payload(e).startsWith("mysql QUERY select * from"
        + " nope_" + marker + " → ERR 1146 (42S02) Table 'shop2.nope_" + marker
        + "' doesn't exist"), "error");

    List<ParsedMessage> parsed = awaitParsed("my-" + marker, m -> m.getPid() == mysql.pid()
        && m.getProtocol() == Protocol.MYSQL, list -> list.stream().anyMatch(m ->
            m.getSql().getErrorCode() == 1146));
    ParsedMessage connect = find(parsed, m -> m.getKind() == MessageKind.REQUEST
        && m.getSql().getOperation().equals("CONNECT"));
    assertEquals("app", connect.getSql().getUser());
    assertEquals("shop", connect.getSql().getDatabase());
    assertTrue(connect.getSql().getRedacted(), "the auth response went by, left out");
    ParsedMessage connected = find(parsed, m -> m.getKind() == MessageKind.RESPONSE
        && m.getPairId().equals(connect.getPairId()));
    assertFalse(connected.getSql().getError(), connected.toString());
    ParsedMessage result = find(parsed, m -> m.getKind() == MessageKind.RESPONSE
        && m.getSql().getStatement().equals(select));
    assertEquals(2, result.getSql().getRows());
    assertEquals(1, result.getSql().getColumns());
    assertTrue(result.getLatencyNs() > 0);
    ParsedMessage error = find(parsed, m -> m.getSql().getErrorCode() == 1146);
    assertEquals("42S02", error.getSql().getSqlState());
    assertPasswordOnlyInRaw(null, parsed);
  }

  /**
   * Binary prepared statements from a real client: MariaDB Connector/J with {@code
   * useServerPrepStmts=true} over TLS ({@code sslMode=trust}) sends COM_STMT_PREPARE once and
   * COM_STMT_EXECUTE per execution, the first one pipelined with the prepare (statement id
   * 0xffffffff, MariaDB's "last prepared"). The client is Java (JSSE, not probed); the server, mariadbd,
   * reads and writes through the system libssl, so the exchange is captured on its side. The
   * processor must name the PREPARE with the statement text and its id, and each EXECUTE with the
   * same text and id, paired with its result set.
   */
  @Test
  void connectorJServerSidePreparedStatementsAreParsedWithTextAndExecutePairing() throws Exception {
    String marker = "cj" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    String statement = "SELECT ? AS " + marker + ", CHAR_LENGTH(?) AS n";
    String url = "jdbc:mariadb://127.0.0.1:" + mariadb.port + "/shop?user=app&password=" + MY_PASSWORD
        + "&sslMode=trust&useServerPrepStmts=true&cachePrepStmts=false";
    try (java.sql.Connection connection = java.sql.DriverManager.getConnection(url);
        java.sql.PreparedStatement prepared = connection.prepareStatement(statement)) {
      for (String value : List.of("first-" + marker, "second-" + marker)) {
        prepared.setString(1, value);
        prepared.setString(2, value);
        try (java.sql.ResultSet rows = prepared.executeQuery()) {
          assertTrue(rows.next());
          assertEquals(value, rows.getString(1));
          assertFalse(rows.next());
        }
      }
    }
    List<ParsedMessage> fromServer = awaitParsed("cj-" + marker, m -> m.getComm().equals("mariadbd"),
        list -> list.stream().filter(m -> m.getSql().getStatement().equals(statement)
            && m.getKind() == MessageKind.RESPONSE && m.getSql().getOperation().equals("EXECUTE")).count() >= 2);
    List<ParsedMessage> parsed = fromServer.stream().filter(m -> m.getProtocol() == Protocol.MYSQL
        && m.getSql().getStatement().equals(statement)).toList();
    if (parsed.isEmpty()) {
      find(fromServer.stream().filter(m -> m.getProtocol() != Protocol.SERVER_QUERY).toList(), m -> false);
    }
    ParsedMessage prepare = find(parsed, m -> m.getKind() == MessageKind.REQUEST
        && m.getSql().getOperation().equals("PREPARE"));
    assertEquals("mariadbd", prepare.getComm(), prepare.toString());
    ParsedMessage prepared = find(parsed, m -> m.getKind() == MessageKind.RESPONSE
        && m.getPairId().equals(prepare.getPairId()));
    assertEquals(2, prepared.getSql().getParameters(), prepared.toString());
    assertEquals(2, prepared.getSql().getColumns(), prepared.toString());
    String id = prepared.getSql().getStatementId();
    assertFalse(id.isEmpty(), prepared.toString());
    List<ParsedMessage> executes = parsed.stream().filter(m -> m.getKind() == MessageKind.REQUEST
        && m.getSql().getOperation().equals("EXECUTE")).toList();
    assertEquals(2, executes.size(), () -> "this connection on the server's side:\n" + fromServer.stream()
        .filter(m -> m.getConnectionId().equals(prepare.getConnectionId()))
        .map(m -> m.getKind() + " " + ParsedText.rendered(m).toStringUtf8().strip()).collect(
            java.util.stream.Collectors.joining("\n")));
    // Connector/J sends the first EXECUTE with the prepare, before its OK: MariaDB's id
    // 0xffffffff ("the statement prepared last"); the next one names the id the OK gave
    assertEquals("4294967295", executes.getFirst().getSql().getStatementId());
    assertEquals(id, executes.getLast().getSql().getStatementId(), "EXECUTE names the prepared statement's id");
    for (ParsedMessage execute : executes) {
      ParsedMessage result = find(parsed, m -> m.getKind() == MessageKind.RESPONSE
          && m.getPairId().equals(execute.getPairId()));
      assertEquals(1, result.getSql().getRows(), result.toString());
      assertEquals(2, result.getSql().getColumns(), result.toString());
      assertTrue(result.getLatencyNs() > 0);
    }
  }

  @Test
  void redisCliCommandsPipelinedAndAuthAreParsedWithTheAuthPasswordRedacted() throws Exception {
    String marker = marker();
    List<String> cli = List.of("redis-cli", "--tls", "--insecure", "-h", "127.0.0.1", "-p",
        Integer.toString(redis.port), "-a", REDIS_PASSWORD, "--no-auth-warning");
    List<String> set = new ArrayList<>(cli);
    set.addAll(List.of("SET", marker, "value one"));
    Result one = LocalDatabases.client(base, List.of(), set.toArray(String[]::new));
    assertEquals("OK", one.output().strip());
    // a pipeline: every command written at once, the replies paired in order
    String pipeline = resp("SET", marker + ":n", "5") + resp("GET", marker + ":n")
        + resp("INCR", marker) + resp("GET", marker + ":missing");
    List<String> pipe = new ArrayList<>(cli);
    pipe.add("--pipe");
    Result piped = LocalDatabases.clientWithInput(base, pipeline.getBytes(StandardCharsets.UTF_8),
        pipe.toArray(String[]::new));
    assertTrue(piped.output().contains("errors: 1,"), piped.output()); // INCR on a string

    Event auth = awaitEvent(e -> e.getPid() == one.pid() && payload(e).startsWith("redis AUTH"),
        "AUTH");
    assertEquals("redis AUTH <redacted>\n", payload(auth));
    awaitEvent(e -> e.getPid() == one.pid()
        && payload(e).startsWith("redis SET " + marker + " \"value one\" → simple_string OK ("),
        "SET reply");
    awaitEvent(e -> e.getPid() == piped.pid()
        && payload(e).startsWith("redis GET " + marker + ":n → bulk_string \"5\" ("), "GET reply");
    awaitEvent(e -> e.getPid() == piped.pid() && payload(e).startsWith("redis INCR " + marker
        + " → error ERR value is not an integer or out of range ("), "INCR error");

    List<ParsedMessage> parsed = awaitParsed("redis-" + marker, m -> (m.getPid() == one.pid()
        || m.getPid() == piped.pid()) && m.getProtocol() == Protocol.REDIS, list -> list.stream()
            .anyMatch(m -> m.getRedis().getReplyType().equals("null")));
    ParsedMessage setRequest = find(parsed, m -> m.getRedis().getCommand().equals("SET")
        && m.getRedis().getKey().equals(marker + ":n"));
    assertEquals(List.of(marker + ":n", "5"), setRequest.getRedis().getArgumentsList());
    ParsedMessage get = find(parsed, m -> m.getRedis().getCommand().equals("GET")
        && m.getRedis().getKey().equals(marker + ":n"));
    ParsedMessage getReply = find(parsed, m -> m.getKind() == MessageKind.RESPONSE
        && m.getPairId().equals(get.getPairId()));
    assertEquals("bulk_string", getReply.getRedis().getReplyType());
    assertEquals("5", getReply.getRedis().getReplyText());
    ParsedMessage incr = find(parsed, m -> m.getRedis().getCommand().equals("INCR"));
    ParsedMessage incrReply = find(parsed, m -> m.getKind() == MessageKind.RESPONSE
        && m.getPairId().equals(incr.getPairId()));
    assertTrue(incrReply.getRedis().getError());
    ParsedMessage missing = find(parsed, m -> m.getRedis().getCommand().equals("GET")
        && m.getRedis().getKey().equals(marker + ":missing"));
    assertEquals("null", find(parsed, m -> m.getKind() == MessageKind.RESPONSE
        && m.getPairId().equals(missing.getPairId())).getRedis().getReplyType());
    ParsedMessage authRequest = find(parsed, m -> m.getRedis().getCommand().equals("AUTH"));
    assertTrue(authRequest.getRedis().getRedacted());
    assertPasswordOnlyInRaw(REDIS_PASSWORD, parsed);
  }

  private static String marker() {
    return "m" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  private static String resp(String... args) {
    StringBuilder s = new StringBuilder("*").append(args.length).append("\r\n");
    for (String a : args) {
      s.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a)
          .append("\r\n");
    }
    return s.toString();
  }

  private static String payload(Event e) {
    return e.getPayload().toString(StandardCharsets.UTF_8);
  }

  private static Event awaitEvent(Predicate<Event> match, String what) throws InterruptedException {
    LogEntry entry = client.await(e -> e.getLogType() == LogType.EVENT
        && match.test(e.getEventPayload()), ARRIVAL);
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

  private static ParsedMessage find(List<ParsedMessage> messages, Predicate<ParsedMessage> match) {
    Optional<ParsedMessage> found = messages.stream().filter(match).findFirst();
    if (found.isEmpty()) {
      StringBuilder seen = new StringBuilder();
      messages.forEach(m -> seen.append("\n  ").append(m.getKind()).append(' ')
          .append(ParsedText.rendered(m).toStringUtf8().lines().findFirst().orElse("")));
      fail("no matching record in " + Topics.PARSED.name() + ":" + seen);
    }
    return found.get();
  }

  /** Records of ecapture.parsed matching {@code match}, read until {@code done} holds. */
  private static List<ParsedMessage> awaitParsed(String group, Predicate<ParsedMessage> match,
      Predicate<List<ParsedMessage>> done) {
    List<ParsedMessage> found = new ArrayList<>();
    try (KafkaConsumer<String, ParsedMessage> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, fleet.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, group + "-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), Serdes.PARSED_MESSAGE.deserializer())) {
      consumer.subscribe(List.of(Topics.PARSED.name()));
      long deadline = System.nanoTime() + ARRIVAL.toNanos();
      while (System.nanoTime() < deadline) {
        for (var record : consumer.poll(Duration.ofMillis(200))) {
          if (match.test(record.value())) {
            found.add(record.value());
          }
        }
        if (done.test(found)) {
          return found;
        }
      }
    }
    return found; // the finds that follow say what is missing
  }

  /**
   * The password never reaches a parsed record (fields or text); when it crossed the wire in clear
   * inside TLS ({@code password} not null), ecapture.raw holds it, so the check could fail.
   */
  private static void assertPasswordOnlyInRaw(String password, List<ParsedMessage> parsed) {
    for (String secret : List.of(PG_PASSWORD, MY_PASSWORD, REDIS_PASSWORD)) {
      for (ParsedMessage m : parsed) {
        assertFalse(m.toString().contains(secret) || ParsedText.rendered(m).toStringUtf8().contains(secret),
            "a password in " + m);
      }
      // nor anything the eCaptureQ client got, the setup's CREATE USER ... IDENTIFIED BY included
      for (LogEntry e : client.received()) {
        assertFalse(e.toString().contains(secret) || (e.getLogType() == LogType.EVENT
            && payload(e.getEventPayload()).contains(secret)), "a password in " + e);
      }
    }
    if (password != null) {
      assertTrue(rawContains(password), "the password was captured in ecapture.raw");
    }
  }

  private static boolean rawContains(String text) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, fleet.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "raw-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.RAW.name()));
      long deadline = System.nanoTime() + ARRIVAL.toNanos();
      while (System.nanoTime() < deadline) {
        for (var record : consumer.poll(Duration.ofMillis(200))) {
          try {
            RawEvent event = RawEvent.parseFrom(record.value());
            if (event.hasData() && event.getData().getPayload()
                .toString(StandardCharsets.ISO_8859_1).contains(text)) {
              return true;
            }
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            // not a RawEvent
          }
        }
      }
    }
    return false;
  }
}
