package io.ecapture.kafka.processor.topology;

import static io.ecapture.kafka.processor.topology.DbConversations.client;
import static io.ecapture.kafka.processor.topology.DbConversations.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.protocol.db.DbWire.My;
import io.ecapture.kafka.processor.topology.DbConversations.Step;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * MySQL/MariaDB through the topology, as captured inside TLS (the greeting and SSLRequest went
 * before it): handshake response with an auth switch and a cleartext password (never emitted),
 * COM_QUERY with a result set, an ERR, an OK with affected rows, COM_INIT_DB, a prepared statement
 * executed by id, COM_QUIT; and the older EOF-terminated result sets of a plaintext connection
 * that starts with the server greeting.
 */
class MysqlTopologyTest extends HarnessTopologyTest {
  static final byte[] SCRAMBLE = "SECRETSCRAMBLE-0123456".getBytes(StandardCharsets.UTF_8);

  static List<Step> conversation() {
    return List.of(
        client(My.handshakeResponse(My.MARIADB_CAPS, "app", SCRAMBLE, "shop",
            "mysql_native_password")),
        server(My.packet(3, new byte[] {(byte) 0xfe}, "mysql_clear_password\0".getBytes(),
            "SECRETSALT".getBytes())),
        client(My.packet(4, "SECRETPASSWORD\0".getBytes())),
        server(My.ok(5, 0, 0, 2, 0)),
        client(My.query("select @@version_comment limit 1")),
        server(My.resultSet(1, true, new String[] {"@@version_comment"},
            new String[] {"Debian 12"})),
        client(My.query("select id, name from items where tag = 'marker-2'")),
        server(My.resultSet(1, true, new String[] {"id", "name"}, new String[] {"1", "a"},
            new String[] {"2", "b"})),
        client(My.query("select * from nope")),
        server(My.err(1, 1146, "42S02", "Table 'shop.nope' doesn't exist")),
        client(My.query("insert into items values (3, 'c')")),
        server(My.ok(1, 1, 3, 2, 1)),
        client(My.command(0x02, "other".getBytes())),
        server(My.ok(1, 0, 0, 2, 0)),
        client(My.command(0x16, "select name from items where id = ?".getBytes())),
        server(My.prepareOk(7, 1, 1)),
        client(My.execute(7)),
        server(My.resultSet(1, true, new String[] {"name"}, new String[] {"a"})),
        client(My.command(0x01)));
  }

  @Test
  void handshakeQueriesErrorsAndPreparedStatementsArePairedWithTheirResults() {
    List<ParsedMessage> out = DbConversations.play(harness, CONN, conversation(), 0);
    assertEquals(17, out.size(), out.toString()); // 8 exchanges and COM_QUIT
    for (ParsedMessage m : out) {
      assertEquals(Protocol.MYSQL, m.getProtocol());
      String all = m.toString() + ParsedText.rendered(m).toStringUtf8();
      assertFalse(all.contains("SECRET"), "secret emitted: " + all);
    }
    ParsedMessage connect = out.get(0);
    assertEquals("CONNECT", connect.getSql().getOperation());
    assertEquals("app", connect.getSql().getUser());
    assertEquals("shop", connect.getSql().getDatabase());
    assertEquals("mysql_native_password", connect.getSql().getAuthentication());
    assertTrue(connect.getSql().getRedacted());
    ParsedMessage connected = out.get(1);
    assertEquals(connect.getPairId(), connected.getPairId());
    assertEquals("mysql_clear_password", connected.getSql().getAuthentication());
    assertTrue(connected.getSql().getRedacted());
    assertTrue(ParsedText.rendered(connected).toStringUtf8().startsWith("mysql CONNECT user=app"
        + " database=shop → OK ("), ParsedText.rendered(connected).toStringUtf8());

    ParsedMessage rows = out.get(5);
    assertEquals(out.get(4).getPairId(), rows.getPairId());
    assertEquals(2, rows.getSql().getRows());
    assertEquals(2, rows.getSql().getColumns());
    assertEquals("select id, name from items where tag = 'marker-2'", rows.getSql().getStatement());
    assertTrue(ParsedText.rendered(rows).toStringUtf8().startsWith("mysql QUERY select id, name from items"
        + " where tag = 'marker-2' → 2 rows, 2 columns (1.0 ms)\n"), ParsedText.rendered(rows).toStringUtf8());

    ParsedMessage err = out.get(7);
    assertTrue(err.getSql().getError());
    assertEquals(1146, err.getSql().getErrorCode());
    assertEquals("42S02", err.getSql().getSqlState());
    assertEquals("Table 'shop.nope' doesn't exist", err.getSql().getErrorMessage());

    ParsedMessage ok = out.get(9);
    assertEquals(1, ok.getSql().getAffectedRows());
    assertEquals(3, ok.getSql().getLastInsertId());
    assertEquals(1, ok.getSql().getWarnings());
    assertEquals("other", out.get(10).getSql().getDatabase());
    assertEquals("INIT_DB", out.get(11).getSql().getOperation());

    ParsedMessage prepared = out.get(13);
    assertEquals("PREPARE", prepared.getSql().getOperation());
    assertEquals("7", prepared.getSql().getStatementId());
    assertEquals(1, prepared.getSql().getParameters());
    assertEquals(1, prepared.getSql().getColumns());
    ParsedMessage execute = out.get(14);
    assertEquals("EXECUTE", execute.getSql().getOperation());
    assertEquals("select name from items where id = ?", execute.getSql().getStatement());
    assertEquals(1, out.get(15).getSql().getRows());
    assertEquals(execute.getPairId(), out.get(15).getPairId());

    assertEquals(MessageKind.DATA, out.get(16).getKind());
    assertEquals("QUIT", out.get(16).getSql().getOperation()); // no response follows
  }

  /**
   * MariaDB's statement id 0xffffffff ("the statement prepared last"), which Connector/J with
   * useServerPrepStmts sends pipelined with the PREPARE, before the prepare OK: the EXECUTE gets the
   * last PREPARE's text; both responses pair with their requests.
   */
  @Test
  void aPipelinedExecuteOfTheLastPreparedStatementCarriesItsText() {
    java.io.ByteArrayOutputStream pipelined = new java.io.ByteArrayOutputStream();
    pipelined.writeBytes(My.command(0x16, "select ? as n".getBytes()));
    pipelined.writeBytes(My.execute(-1));
    java.io.ByteArrayOutputStream answers = new java.io.ByteArrayOutputStream();
    answers.writeBytes(My.prepareOk(9, 1, 1));
    answers.writeBytes(My.resultSet(1, true, new String[] {"n"}, new String[] {"42"}));
    List<ParsedMessage> out = DbConversations.play(harness, CONN, List.of(
        client(My.handshakeResponse(My.MARIADB_CAPS, "app", SCRAMBLE, "shop", "mysql_native_password")),
        server(My.ok(2, 0, 0, 2, 0)),
        client(pipelined.toByteArray()),
        server(answers.toByteArray())), 0);
    ParsedMessage execute = out.stream().filter(m -> m.getKind() == MessageKind.REQUEST
        && m.getSql().getOperation().equals("EXECUTE")).findFirst().orElseThrow(() -> new AssertionError(out.toString()));
    assertEquals("select ? as n", execute.getSql().getStatement());
    assertEquals("4294967295", execute.getSql().getStatementId());
    ParsedMessage prepared = out.stream().filter(m -> m.getKind() == MessageKind.RESPONSE
        && m.getSql().getOperation().equals("PREPARE")).findFirst().orElseThrow(() -> new AssertionError(out.toString()));
    assertEquals("9", prepared.getSql().getStatementId());
    ParsedMessage result = out.stream().filter(m -> m.getKind() == MessageKind.RESPONSE
        && m.getPairId().equals(execute.getPairId())).findFirst().orElseThrow(() -> new AssertionError(out.toString()));
    assertEquals(1, result.getSql().getRows());
    assertEquals("select ? as n", result.getSql().getStatement());
  }

  @Test
  void aPlaintextConnectionStartsWithTheGreetingAndMayUseEofPackets() {
    long caps = My.CAPS & ~0x1000000L; // no CLIENT_DEPRECATE_EOF
    List<ParsedMessage> out = DbConversations.play(harness, CONN, List.of(
        server(My.greeting("10.11.19-MariaDB-0+deb12u1")),
        client(My.handshakeResponse(1, caps, "root", new byte[0], "", "")),
        server(My.ok(2, 0, 0, 2, 0)),
        client(My.query("show databases")),
        server(My.resultSet(1, false, new String[] {"Database"}, new String[] {"a"},
            new String[] {"b"}, new String[] {"c"}))), 0);
    assertEquals(5, out.size(), out.toString());
    assertEquals("GREETING", out.get(0).getSql().getOperation());
    assertEquals("10.11.19-MariaDB-0+deb12u1", out.get(0).getSql().getServerVersion());
    assertEquals("root", out.get(1).getSql().getUser());
    assertEquals("10.11.19-MariaDB-0+deb12u1", out.get(2).getSql().getServerVersion());
    assertEquals(3, out.get(4).getSql().getRows());
    assertEquals(out.get(3).getPairId(), out.get(4).getPairId());
  }

  @Test
  void aResultSetWithoutItsRequestIsOneResponseNotOneMessagePerRow() {
    List<ParsedMessage> out = DbConversations.play(harness, CONN, List.of(
        client(My.handshakeResponse(My.CAPS, "app", new byte[0], "", "")),
        server(My.ok(3, 0, 0, 2, 0)),
        // the query was lost in a gap before the capture resumed: only its result is seen
        server(My.resultSet(1, true, new String[] {"a"}, new String[] {"1"}, new String[] {"2"},
            new String[] {"3"}))), 0);
    assertEquals(3, out.size(), out.toString());
    assertEquals(MessageKind.RESPONSE, out.get(2).getKind());
    assertEquals(3, out.get(2).getSql().getRows());
    assertEquals("", out.get(2).getPairId());
  }

  @Test
  void aConnectRefusedWithAnErrorWithoutSqlStateKeepsItsMessage() {
    List<ParsedMessage> out = DbConversations.play(harness, CONN, List.of(
        client(My.handshakeResponse(My.CAPS, "app", SCRAMBLE, "shop", "mysql_native_password")),
        server(My.packet(3, new byte[] {(byte) 0xff}, new byte[] {0x15, 0x04},
            "Access denied for user 'app'@'localhost'".getBytes(StandardCharsets.UTF_8)))), 0);
    assertEquals(2, out.size());
    assertEquals(1045, out.get(1).getSql().getErrorCode());
    assertEquals("", out.get(1).getSql().getSqlState());
    assertEquals("Access denied for user 'app'@'localhost'", out.get(1).getSql().getErrorMessage());
  }

  @Test
  void everyByteBoundaryGivesTheSameMessages() {
    DbConversations.sameMessagesAtEveryCut(harness, conversation());
  }
}
