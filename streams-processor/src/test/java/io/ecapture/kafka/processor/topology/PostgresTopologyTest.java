package io.ecapture.kafka.processor.topology;

import static io.ecapture.kafka.processor.topology.DbConversations.client;
import static io.ecapture.kafka.processor.topology.DbConversations.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.protocol.db.DbWire.Pg;
import io.ecapture.kafka.processor.protocol.db.DbWire;
import io.ecapture.kafka.processor.topology.DbConversations.Step;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import io.ecapture.kafka.proto.parsed.SqlFields;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL through the topology: a SCRAM startup (secrets never emitted), simple queries with
 * rows and an error, extended query batches (statement text carried from Parse to Execute, and
 * to a later batch by the statement's name), pairing and latency, and every byte boundary.
 */
class PostgresTopologyTest extends HarnessTopologyTest {
  static final String NONCE = "SECRETNONCE-r4nd0m";
  static final String PROOF = "SECRETPROOF-c2VjcmV0";

  static List<Step> conversation() {
    return List.of(
        client(Pg.startup("user", "alice", "database", "shop", "application_name", "psql")),
        server(Pg.authSasl("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")),
        client(Pg.saslInitial("SCRAM-SHA-256", "n,,n=,r=" + NONCE)),
        server(Pg.auth(11, "r=SERVERNONCE,s=c2FsdA==,i=4096".getBytes())),
        client(Pg.saslResponse("c=biws,r=" + NONCE + ",p=" + PROOF)),
        server(Pg.auth(12, "v=SERVERSIGNATURE".getBytes()), Pg.auth(0),
            Pg.parameterStatus("server_version", "15.18"), Pg.backendKey(77, 123456),
            Pg.ready()),
        client(Pg.query("select id, name from items where tag = 'marker-1'")),
        server(Pg.rowDescription("id", "name"), Pg.dataRow("1", "a"), Pg.dataRow("2", "b"),
            Pg.dataRow("3", "c"), Pg.complete("SELECT 3"), Pg.ready()),
        client(Pg.query("select * from nope")),
        server(Pg.error("ERROR", "42P01", "relation \"nope\" does not exist"), Pg.ready()),
        client(Pg.parse("s1", "select $1::int as x", 1), Pg.bind("", "s1", "7"),
            Pg.describePortal(""), Pg.execute(""), Pg.sync()),
        server(Pg.msg('1'), Pg.msg('2'), Pg.rowDescription("x"), Pg.dataRow("7"),
            Pg.complete("SELECT 1"), Pg.ready()),
        client(Pg.bind("", "s1", "8"), Pg.execute(""), Pg.sync()),
        server(Pg.msg('2'), Pg.dataRow("8"), Pg.complete("SELECT 1"), Pg.ready()),
        client(Pg.query("insert into items values (4, 'd'); update items set name = 'e'")),
        server(Pg.complete("INSERT 0 1"), Pg.complete("UPDATE 4"), Pg.ready()),
        client(Pg.terminate()));
  }

  @Test
  void startupQueriesErrorsAndExtendedQueriesArePairedWithTheirResults() {
    List<ParsedMessage> out = DbConversations.play(harness, CONN, conversation(), 0);
    assertEquals(13, out.size(), out.toString());
    for (ParsedMessage m : out) {
      assertEquals(Protocol.POSTGRES, m.getProtocol());
      String all = m.toString() + ParsedText.rendered(m).toStringUtf8();
      assertFalse(all.contains("SECRET") || all.contains("123456"), "secret emitted: " + all);
    }

    ParsedMessage startup = out.get(0);
    assertEquals(MessageKind.REQUEST, startup.getKind());
    assertEquals(Direction.WRITE, startup.getDirection());
    assertEquals("alice", startup.getSql().getUser());
    assertEquals("shop", startup.getSql().getDatabase());
    assertEquals("psql", startup.getSql().getApplicationName());
    ParsedMessage ready = out.get(1);
    assertEquals(MessageKind.RESPONSE, ready.getKind());
    assertEquals(startup.getPairId(), ready.getPairId());
    assertEquals("SASL SCRAM-SHA-256-PLUS,SCRAM-SHA-256", ready.getSql().getAuthentication());
    assertEquals("15.18", ready.getSql().getServerVersion());
    assertTrue(ready.getSql().getRedacted());
    assertTrue(ParsedText.rendered(ready).toStringUtf8().contains("credentials: <redacted>"));

    ParsedMessage query = out.get(2);
    assertEquals("QUERY", query.getSql().getOperation());
    assertEquals("select id, name from items where tag = 'marker-1'", query.getSql().getStatement());
    assertTrue(ParsedText.rendered(query).toStringUtf8()
        .startsWith("postgres QUERY select id, name from items where tag = 'marker-1'\n"));
    ParsedMessage rows = out.get(3);
    assertEquals(query.getPairId(), rows.getPairId());
    SqlFields sql = rows.getSql();
    assertEquals(List.of("SELECT 3"), sql.getCommandTagsList());
    assertEquals(3, sql.getRows());
    assertEquals(2, sql.getColumns());
    assertEquals("QUERY", sql.getOperation());
    assertEquals(query.getSql().getStatement(), sql.getStatement());
    // the server's bytes were read 1 ms after the query was written
    assertEquals(1_000_000, rows.getLatencyNs());
    assertTrue(ParsedText.rendered(rows).toStringUtf8().startsWith("postgres QUERY select id, name from"
        + " items where tag = 'marker-1' → SELECT 3 (1.0 ms)\nrows: 3, columns: 2\n"),
        ParsedText.rendered(rows).toStringUtf8());

    ParsedMessage error = out.get(5);
    assertTrue(error.getSql().getError());
    assertEquals("ERROR", error.getSql().getErrorSeverity());
    assertEquals("42P01", error.getSql().getSqlState());
    assertEquals("relation \"nope\" does not exist", error.getSql().getErrorMessage());
    assertTrue(ParsedText.rendered(error).toStringUtf8().contains(
        "→ ERROR 42P01 relation \"nope\" does not exist"), ParsedText.rendered(error).toStringUtf8());

    ParsedMessage execute = out.get(6);
    assertEquals("EXECUTE", execute.getSql().getOperation());
    assertEquals("select $1::int as x", execute.getSql().getStatement());
    assertEquals("s1", execute.getSql().getStatementId());
    assertEquals(1, execute.getSql().getParameters());
    assertEquals(List.of("SELECT 1"), out.get(7).getSql().getCommandTagsList());
    ParsedMessage again = out.get(8);
    assertEquals("select $1::int as x", again.getSql().getStatement(), "carried by name");
    assertEquals(again.getPairId(), out.get(9).getPairId());
    assertEquals(1, out.get(9).getSql().getRows());

    ParsedMessage both = out.get(11);
    assertEquals(List.of("INSERT 0 1", "UPDATE 4"), both.getSql().getCommandTagsList());
    assertEquals(5, both.getSql().getAffectedRows());
    assertEquals(MessageKind.DATA, out.get(12).getKind());
    assertEquals("TERMINATE", out.get(12).getSql().getOperation());
  }

  @Test
  void pipelinedQueriesPairInOrder() {
    List<ParsedMessage> out = DbConversations.play(harness, CONN, List.of(
        client(Pg.startup("user", "u")), server(Pg.auth(0), Pg.ready()),
        client(Pg.query("select 1"), Pg.query("select 2")),
        server(Pg.dataRow("1"), Pg.complete("SELECT 1"), Pg.ready(), Pg.complete("SELECT 2"),
            Pg.ready())), 0);
    assertEquals(6, out.size());
    assertEquals(out.get(2).getPairId(), out.get(4).getPairId());
    assertEquals(out.get(3).getPairId(), out.get(5).getPairId());
    assertEquals("select 2", out.get(5).getSql().getStatement());
  }

  @Test
  void aScriptOfManyStatementsKeepsItsFirstTagsAndCountsEveryChange() {
    byte[][] completes = new byte[200][];
    for (int i = 0; i < completes.length; i++) {
      completes[i] = Pg.complete("INSERT 0 1");
    }
    List<ParsedMessage> out = DbConversations.play(harness, CONN, List.of(
        client(Pg.startup("user", "u")), server(Pg.auth(0), Pg.ready()),
        client(Pg.query("insert into t values (1);".repeat(200))),
        server(DbWire.concat(completes), Pg.ready())), 0);
    assertEquals(65, out.get(3).getSql().getCommandTagsCount());
    assertEquals("…", out.get(3).getSql().getCommandTags(64));
    assertEquals(200, out.get(3).getSql().getAffectedRows());
  }

  @Test
  void aFailedStartupEndsAtItsError() {
    List<ParsedMessage> out = DbConversations.play(harness, CONN, List.of(
        client(Pg.startup("user", "bob", "database", "nodb")),
        server(Pg.error("FATAL", "3D000", "database \"nodb\" does not exist"))), 0);
    assertEquals(2, out.size());
    assertEquals("3D000", out.get(1).getSql().getSqlState());
    assertEquals(out.get(0).getPairId(), out.get(1).getPairId());
  }

  @Test
  void aLongStatementIsCutOnTheFirstLinesAndShownWholeAfterTheRequestLine() {
    String sql = "select " + "x, ".repeat(60) + "1 from t";
    List<ParsedMessage> out = DbConversations.play(harness, CONN, List.of(
        client(Pg.startup("user", "u")), server(Pg.auth(0), Pg.ready()),
        client(Pg.query(sql)), server(Pg.complete("SELECT 0"), Pg.ready())), 0);
    assertEquals(4, out.size());
    String request = ParsedText.rendered(out.get(2)).toStringUtf8();
    String head = "QUERY " + sql.substring(0, 80) + "…";
    assertTrue(request.startsWith("postgres " + head + "\n\n" + sql), request);
    assertEquals(sql, out.get(2).getSql().getStatement());
    String response = ParsedText.rendered(out.get(3)).toStringUtf8();
    assertTrue(response.startsWith("postgres " + head + " → SELECT 0 ("), response);
  }

  @Test
  void aResponseCutByTheConnectionsCloseLeavesTruncated() {
    byte[] query = Pg.query("select generate_series(1, 1000000)");
    byte[] start = DbWire.concat(Pg.startup("user", "u"));
    byte[] ready = DbWire.concat(Pg.auth(0), Pg.ready());
    byte[] rows = DbWire.concat(Pg.rowDescription("g"), Pg.dataRow("1"), Pg.dataRow("2"));
    harness.send(events.data(Direction.WRITE, 0, start, 0));
    harness.send(events.data(Direction.READ, 0, ready, 1_000_000));
    harness.send(events.data(Direction.WRITE, start.length, query, 2_000_000));
    harness.send(events.data(Direction.READ, ready.length, rows, 3_000_000));
    assertEquals(3, harness.output().size(), "the response waits for ReadyForQuery");
    harness.send(events.close(ready.length + rows.length, start.length + query.length));
    List<ParsedMessage> out = harness.output();
    assertEquals(1, out.size());
    assertTrue(out.get(0).getSql().getTruncated());
    assertEquals(2, out.get(0).getSql().getRows());
    assertTrue(ParsedText.rendered(out.get(0)).toStringUtf8().contains("response incomplete"));
  }

  @Test
  void everyByteBoundaryGivesTheSameMessages() {
    DbConversations.sameMessagesAtEveryCut(harness, conversation());
  }
}
