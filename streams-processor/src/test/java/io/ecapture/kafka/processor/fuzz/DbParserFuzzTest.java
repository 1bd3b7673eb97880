package io.ecapture.kafka.processor.fuzz;

import static io.ecapture.kafka.processor.fuzz.ParserFuzzTest.LIMITS;
import static io.ecapture.kafka.processor.fuzz.ParserFuzzTest.checkContract;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ParseStatus;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import io.ecapture.kafka.processor.protocol.db.DbWire;
import io.ecapture.kafka.processor.protocol.db.DbWire.My;
import io.ecapture.kafka.processor.protocol.db.DbWire.Pg;
import io.ecapture.kafka.processor.protocol.db.DbWire.Resp;
import io.ecapture.kafka.processor.protocol.mysql.MysqlPacket;
import io.ecapture.kafka.processor.protocol.mysql.MysqlParser;
import io.ecapture.kafka.processor.protocol.postgres.PgMessage;
import io.ecapture.kafka.processor.protocol.postgres.PgParser;
import io.ecapture.kafka.processor.protocol.redis.RespParser;
import io.ecapture.kafka.processor.protocol.redis.RespValue;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL, MySQL and Redis parsers on arbitrary bytes and on mutated real messages: the
 * {@link ProtocolParser} contract holds, nothing kept exceeds its limit, and every well-formed
 * message split at every byte parses the same once whole (NEEDS_MORE_DATA before).
 */
class DbParserFuzzTest {
  private final PgParser pg = new PgParser(LIMITS.maxBodyBytes());
  private final MysqlParser mysql = new MysqlParser(LIMITS.maxBodyBytes());
  private final RespParser resp = new RespParser();

  static final List<byte[]> PG = List.of(
      Pg.startup("user", "alice", "database", "shop", "application_name", "psql"),
      Pg.query("select 1"), Pg.parse("s1", "select $1", 1), Pg.bind("", "s1", "7"),
      Pg.execute(""), Pg.sync(), Pg.authSasl("SCRAM-SHA-256"), Pg.rowDescription("a", "b"),
      Pg.dataRow("1", "x"), Pg.complete("SELECT 1"), Pg.error("ERROR", "42P01", "no"),
      Pg.ready(), DbWire.concat(Pg.query("select 2"), Pg.query("select 3")));
  static final List<byte[]> MYSQL = List.of(
      My.handshakeResponse(My.CAPS, "app", new byte[20], "shop", "mysql_native_password"),
      My.greeting("10.11.19-MariaDB"), My.query("select 1"), My.ok(1, 1, 2, 2, 0),
      My.err(1, 1146, "42S02", "no"), My.resultSet(1, true, new String[] {"a"},
          new String[] {"1"}), My.prepareOk(1, 2, 2), My.execute(1));
  static final List<byte[]> REDIS = List.of(Resp.command("SET", "k", "v"),
      Resp.command("AUTH", "pw"), Resp.simple("OK"), Resp.error("ERR x"), Resp.integer(3),
      Resp.bulk("value"), Resp.bulk(null), ascii("*2\r\n$1\r\na\r\n*1\r\n:1\r\n"),
      ascii("%1\r\n+a\r\n,1.5\r\n"), ascii(">2\r\n+m\r\n#t\r\n"), ascii("PING\r\n"),
      ascii("=8\r\ntxt:abcd\r\n"), ascii("|1\r\n+k\r\n+v\r\n+OK\r\n"));

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] input(Random random, List<byte[]> samples) {
    return random.nextBoolean() ? Fuzz.bytes(random, 3000) : Mutations.of(samples, random);
  }

  @Test
  void postgresHonoursTheContract() {
    Fuzz.run(400, r -> {
      ParseResult<PgMessage> result = checkContract(pg, input(r, PG), r.nextBoolean());
      if (result.status() == ParseStatus.SUCCESS) {
        assertTrue(result.message().body().length <= LIMITS.maxBodyBytes());
      }
    });
  }

  @Test
  void mysqlHonoursTheContract() {
    Fuzz.run(400, r -> {
      ParseResult<MysqlPacket> result = checkContract(mysql, input(r, MYSQL), r.nextBoolean());
      if (result.status() == ParseStatus.SUCCESS) {
        assertTrue(result.message().payload().length <= LIMITS.maxBodyBytes());
      }
    });
  }

  @Test
  void respHonoursTheContract() {
    Fuzz.run(400, r -> {
      ParseResult<RespValue> result = checkContract(resp, input(r, REDIS), r.nextBoolean());
      if (result.status() == ParseStatus.SUCCESS) {
        assertTrue(result.message().elements().size() <= RespParser.MAX_KEPT_ELEMENTS);
        assertTrue(result.message().data().length <= RespParser.MAX_KEPT_BYTES);
      }
    });
  }

  @Test
  void deeplyNestedRespIsRejectedNotAStackOverflow() {
    byte[] deep = ascii("*1\r\n".repeat(100_000));
    assertEquals(ParseStatus.INVALID,
        resp.parse(deep, 0, deep.length, false, ParseContext.NONE).status());
  }

  @Test
  void everySampleSplitAtEveryByteNeedsMoreDataThenParsesWhole() {
    splitEverywhere(pg, PG);
    splitEverywhere(mysql, MYSQL);
    splitEverywhere(resp, REDIS);
  }

  private static <M> void splitEverywhere(ProtocolParser<M> parser, List<byte[]> samples) {
    for (byte[] sample : samples) {
      ParseResult<M> whole = parser.parse(sample, 0, sample.length, false, ParseContext.NONE);
      assertEquals(ParseStatus.SUCCESS, whole.status(), new String(sample,
          StandardCharsets.ISO_8859_1));
      for (int cut = 0; cut < whole.consumed(); cut++) {
        ParseResult<M> prefix = parser.parse(sample, 0, cut, false, ParseContext.NONE);
        assertEquals(ParseStatus.NEEDS_MORE_DATA, prefix.status(), "cut at " + cut + " of "
            + new String(sample, StandardCharsets.ISO_8859_1));
        assertTrue(prefix.bytesNeeded() == 0 || prefix.bytesNeeded() > cut,
            "needs " + prefix.bytesNeeded() + " at " + cut);
        ParseResult<M> forced = parser.parse(sample, 0, cut, true, ParseContext.NONE);
        assertTrue(forced.status() != ParseStatus.NEEDS_MORE_DATA);
      }
    }
  }
}
