package io.ecapture.kafka.processor.protocol.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** Password literals out of SQL text; the rest as sent. */
class DbExchangesTest {
  @Test
  void passwordLiteralsAreRedacted() {
    assertEquals("CREATE USER 'app'@'%' IDENTIFIED BY '<redacted>'",
        DbExchanges.redactSql("CREATE USER 'app'@'%' IDENTIFIED BY 'hunter2'"));
    assertEquals("ALTER USER a IDENTIFIED WITH mysql_native_password AS '<redacted>'; select 1",
        DbExchanges.redactSql(
            "ALTER USER a IDENTIFIED WITH mysql_native_password AS '*6BB4837E'; select 1"));
    assertEquals("alter role app with encrypted password '<redacted>' valid until 'infinity'",
        DbExchanges.redactSql(
            "alter role app with encrypted password 'it''s \\' secret' valid until 'infinity'"));
    assertEquals("SET PASSWORD FOR 'u'@'h' = PASSWORD('<redacted>')",
        DbExchanges.redactSql("SET PASSWORD FOR 'u'@'h' = PASSWORD('x')"));
    assertEquals("SET PASSWORD = '<redacted>'", DbExchanges.redactSql("SET PASSWORD = \"x\""));
    // PostgreSQL escape strings, as psql's \\password and drivers send them
    assertEquals("ALTER USER \"postgres\" WITH PASSWORD '<redacted>';",
        DbExchanges.redactSql("ALTER USER \"postgres\" WITH PASSWORD E'pw\\'s';"));
  }

  @Test
  void statementsWithoutPasswordLiteralsStayTheSame() {
    String sql = "select password_hash, 'IDENTIFIED' from users where name = 'a'";
    assertSame(sql, DbExchanges.redactSql(sql));
    assertSame("set password_encryption = 'scram-sha-256'",
        DbExchanges.redactSql("set password_encryption = 'scram-sha-256'"));
  }
}
