package io.ecapture.kafka.processor.protocol.mysql;

import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ProtocolParser.Detection;
import io.ecapture.kafka.processor.protocol.Span;
import io.ecapture.kafka.processor.protocol.db.DbExchanges;
import io.ecapture.kafka.processor.protocol.db.DbHandler;
import io.ecapture.kafka.processor.state.ProcessorDbDirection;
import io.ecapture.kafka.processor.state.ProcessorDbResponse;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.processor.state.ProcessorPendingRequest;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Protocol;
import io.ecapture.kafka.proto.parsed.SqlFields;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * MySQL/MariaDB client/server protocol (MySQL's "Client/Server Protocol" documentation; MariaDB's
 * is the same for what is parsed here). The handshake response names the sides.
 *
 * <p>Requests: the handshake response (CONNECT: user, database, auth plugin; the auth response is
 * never kept, nor any auth packet that follows: {@code redacted}), and every command: COM_QUERY,
 * COM_STMT_PREPARE, COM_STMT_EXECUTE (statement text by the id the prepare response gave),
 * COM_INIT_DB, COM_PING, COM_CHANGE_USER (auth data redacted), ...; COM_QUIT, COM_STMT_CLOSE and
 * COM_STMT_SEND_LONG_DATA get no response and leave as data. Responses: OK (affected rows, last
 * insert id, warnings), ERR (code, SQL state, message), result sets (column count, row count;
 * several with SERVER_MORE_RESULTS_EXISTS), the prepare OK (statement id, parameters, columns).
 *
 * <p>Limits: the server greeting precedes TLS, so over TLS the server version is not seen;
 * compressed connections (CLIENT_COMPRESS) are not decoded; a connection whose handshake was
 * not captured is not detected.
 */
public final class MysqlHandler extends DbHandler<MysqlPacket> {
  static final String NAME = "mysql";
  static final long CLIENT_CONNECT_WITH_DB = 0x8;
  static final long CLIENT_SECURE_CONNECTION = 0x8000;
  static final long CLIENT_PLUGIN_AUTH = 0x80000;
  static final long CLIENT_PLUGIN_AUTH_LENENC = 0x200000;
  static final long CLIENT_DEPRECATE_EOF = 0x1000000;
  static final long CLIENT_QUERY_ATTRIBUTES = 0x8000000;
  static final int SERVER_MORE_RESULTS_EXISTS = 0x0008;

  // response phases (ProcessorDbResponse.phase)
  static final int FIRST = 0;
  static final int COLUMNS = 1;
  static final int COLUMNS_EOF = 2;
  static final int ROWS = 3;
  /** MariaDB's statement id of "the statement prepared last" (-1 as a 4-byte unsigned id). */
  static final String LAST_PREPARED = "4294967295";
  static final int PREPARE_PARAMS = 4;
  static final int PREPARE_PARAMS_EOF = 5;
  static final int PREPARE_COLUMNS = 6;
  static final int PREPARE_COLUMNS_EOF = 7;
  static final int FIELDS = 8;

  private final MysqlParser parser;

  public MysqlHandler(ProcessorLimits limits, ProcessorMetrics metrics) {
    this(new MysqlParser(limits.maxBodyBytes()), limits, metrics);
  }

  private MysqlHandler(MysqlParser parser, ProcessorLimits limits, ProcessorMetrics metrics) {
    super(Protocol.MYSQL, NAME, parser, limits, metrics);
    this.parser = parser;
  }

  @Override
  public Detection detect(byte[] data, int from, int to, boolean streamStart) {
    return parser.detect(data, from, to, streamStart);
  }

  @Override
  public void emit(ConnectionSession session, Direction direction, Span span,
      ParseResult<MysqlPacket> frame, boolean cutForSize) {
    MysqlPacket packet = frame(session, direction, frame, frame.message().truncated());
    boolean greeting = packet.sequence() == 0 && packet.first() == 10
        && !session.direction(ConnectionSession.opposite(direction)).hasDb()
        && !session.direction(direction).hasDb();
    DbExchanges.assignSides(session, direction, greeting);
    ProcessorDbDirection.Builder db = session.direction(direction).getDbBuilder();
    if (db.getContinuation()) { // the rest of a payload of 16 MiB or more
      db.setContinuation(packet.length() == MysqlPacket.MAX_PAYLOAD);
      return;
    }
    db.setContinuation(packet.length() == MysqlPacket.MAX_PAYLOAD);
    if (DbExchanges.server(session, direction)) {
      server(session, direction, span, packet, greeting);
    } else {
      client(session, direction, span, packet);
    }
  }

  private void client(ConnectionSession session, Direction direction, Span span,
      MysqlPacket p) {
    ProcessorDbDirection.Builder db = session.direction(direction).getDbBuilder();
    if (db.getCapabilities() == 0 && p.sequence() != 0 && p.length() >= 32) {
      handshakeResponse(session, direction, span, p);
      return;
    }
    if (db.getAuthenticating() && p.sequence() != 0) {
      // auth data (scrambles, a cleartext password after "full authentication"): never emitted
      session.direction(ConnectionSession.opposite(direction)).getDbBuilder()
          .getResponseBuilder().getFieldsBuilder().setRedacted(true);
      return;
    }
    db.setAuthenticating(false);
    MysqlReader r = new MysqlReader(p.payload(), 1);
    int command = p.first();
    switch (command) {
      case 0x01 -> data(session, span, "QUIT");
      case 0x02 -> {
        String database = r.rest();
        request(session, span, SqlFields.newBuilder().setOperation("INIT_DB")
            .setDatabase(database), "INIT_DB " + database, "");
      }
      case 0x03 -> {
        if ((db.getCapabilities() & CLIENT_QUERY_ATTRIBUTES) != 0) {
          long parameters = r.lenenc();
          r.lenenc(); // parameter sets, always 1
          if (parameters > 0) {
            // null bitmap, types and names, values: not decoded, the query follows them
            data(session, span, "QUERY with attributes (not decoded)");
            return;
          }
        }
        query(session, span, "QUERY", r.rest(), p.truncated(), "");
      }
      case 0x04 -> request(session, span, SqlFields.newBuilder().setOperation("FIELD_LIST")
          .setStatement(r.cstring()), "FIELD_LIST", "");
      case 0x0e -> request(session, span, SqlFields.newBuilder().setOperation("PING"), "PING", "");
      case 0x11 -> {
        String user = r.cstring();
        db.setAuthenticating(true);
        request(session, span, SqlFields.newBuilder().setOperation("CHANGE_USER").setUser(user)
            .setRedacted(true), "CHANGE_USER user=" + user, "");
      }
      case 0x16 -> {
        String text = r.rest();
        // MariaDB: a COM_STMT_EXECUTE naming statement id 0xffffffff executes the statement
        // prepared last on the connection, so a client (Connector/J with useServerPrepStmts)
        // sends PREPARE and EXECUTE at once, before the prepare's OK gives the id
        DbExchanges.remember(db, LAST_PREPARED, DbExchanges.redactSql(text));
        query(session, span, "PREPARE", text, p.truncated(), "");
      }
      case 0x17, 0xfa -> {
        String id = Long.toString(r.int4());
        query(session, span, "EXECUTE", db.getStatementsOrDefault(id, ""), false, id);
      }
      case 0x18 -> data(session, span, "STMT_SEND_LONG_DATA " + r.int4());
      case 0x19 -> {
        String id = Long.toString(r.int4());
        db.removeStatements(id);
        data(session, span, "STMT_CLOSE " + id);
      }
      default -> {
        String name = commandName(command);
        request(session, span, SqlFields.newBuilder().setOperation(name), name, "");
      }
    }
  }

  static String commandName(int command) {
    return switch (command) {
      case 0x00 -> "SLEEP";
      case 0x05 -> "CREATE_DB";
      case 0x06 -> "DROP_DB";
      case 0x07 -> "REFRESH";
      case 0x08 -> "SHUTDOWN";
      case 0x09 -> "STATISTICS";
      case 0x0a -> "PROCESS_INFO";
      case 0x0c -> "PROCESS_KILL";
      case 0x0d -> "DEBUG";
      case 0x1a -> "STMT_RESET";
      case 0x1b -> "SET_OPTION";
      case 0x1c -> "STMT_FETCH";
      case 0x1f -> "RESET_CONNECTION";
      default -> String.format(Locale.ROOT, "COMMAND_0x%02x", command);
    };
  }

  private void handshakeResponse(ConnectionSession session, Direction direction, Span span,
      MysqlPacket p) {
    ProcessorDbDirection.Builder db = session.direction(direction).getDbBuilder();
    MysqlReader r = new MysqlReader(p.payload(), 0);
    long caps = r.int4();
    r.skip(4 + 1 + 23);
    db.setCapabilities((int) Math.max(1, caps));
    if (p.length() == 32) {
      return; // an SSLRequest (plaintext capture): the handshake response follows inside TLS
    }
    SqlFields.Builder sql = SqlFields.newBuilder().setOperation("CONNECT");
    sql.setUser(r.cstring());
    long authLength;
    if ((caps & CLIENT_PLUGIN_AUTH_LENENC) != 0) {
      authLength = r.lenenc();
    } else if ((caps & CLIENT_SECURE_CONNECTION) != 0) {
      authLength = r.int1();
    } else {
      authLength = r.cstring().length(); // never kept
    }
    if ((caps & (CLIENT_PLUGIN_AUTH_LENENC | CLIENT_SECURE_CONNECTION)) != 0) {
      r.skip(authLength); // the auth response: never kept
    }
    sql.setRedacted(authLength > 0);
    if ((caps & CLIENT_CONNECT_WITH_DB) != 0) {
      sql.setDatabase(r.cstring());
    }
    if ((caps & CLIENT_PLUGIN_AUTH) != 0) {
      sql.setAuthentication(r.cstring());
    }
    db.setAuthenticating(true);
    StringBuilder summary = new StringBuilder("CONNECT user=").append(sql.getUser());
    if (!sql.getDatabase().isEmpty()) {
      summary.append(" database=").append(sql.getDatabase());
    }
    List<String> details = new ArrayList<>();
    if (!sql.getAuthentication().isEmpty()) {
      details.add("authentication: " + sql.getAuthentication());
    }
    if (sql.getRedacted()) {
      details.add("credentials: <redacted>");
    }
    emitRequest(session, span, sql, "CONNECT", summary.toString(), details, "", "");
  }

  private void query(ConnectionSession session, Span span, String operation, String sent,
      boolean truncated, String id) {
    String statement = DbExchanges.redactSql(sent);
    SqlFields.Builder sql = SqlFields.newBuilder().setOperation(operation).setStatement(statement)
        .setStatementTruncated(truncated).setStatementId(id)
        .setRedacted(!statement.equals(sent) || statement.contains("'<redacted>'"));
    String summary = operation + (statement.isEmpty() ? "" : " "
        + DbExchanges.oneLine(statement, DbExchanges.SUMMARY_CHARS));
    if (statement.isEmpty() && !id.isEmpty()) {
      summary += " statement " + id;
    }
    List<String> details = id.isEmpty() ? List.of() : List.of("statement: " + id);
    emitRequest(session, span, sql, operation, summary, details, body(statement), statement);
  }

  private void request(ConnectionSession session, Span span, SqlFields.Builder sql,
      String summary, String body) {
    emitRequest(session, span, sql, sql.getOperation(), summary, List.of(), body, sql.getStatement());
  }

  private void server(ConnectionSession session, Direction direction, Span span, MysqlPacket p,
      boolean greeting) {
    ProcessorDbDirection.Builder db = session.direction(direction).getDbBuilder();
    ProcessorPendingRequest request = session.requestAwaitingResponse(direction);
    if (greeting || (request == null && !db.getResponse().getOpen() && p.sequence() == 0
        && p.first() == 10)) {
      MysqlReader r = new MysqlReader(p.payload(), 1);
      db.setServerVersion(r.cstring());
      data(session, span, SqlFields.newBuilder().setOperation("GREETING")
          .setServerVersion(db.getServerVersion()), "GREETING server " + db.getServerVersion());
      return;
    }
    // without a request (the capture began after it, or its response was emitted incomplete)
    // the packets are still summed up as one response, paired with nothing: never one message
    // per row
    ProcessorDbResponse.Builder response = openResponse(db, span);
    SqlFields.Builder sql = response.getFieldsBuilder();
    String operation = request != null ? request.getMethod() : "";
    long caps = session.direction(ConnectionSession.opposite(direction)).getDb().getCapabilities();
    boolean deprecateEof = (caps & CLIENT_DEPRECATE_EOF) != 0;
    MysqlReader r = new MysqlReader(p.payload(), 1);
    int first = p.first();
    boolean eof = first == 0xfe && p.length() < MysqlPacket.MAX_PAYLOAD
        && (p.length() < 9 || deprecateEof);
    switch (response.getPhase()) {
      case FIRST -> {
        if (first == 0xff) {
          err(sql, r);
          finish(session, direction, request, false);
        } else if (operation.equals("CONNECT") || operation.equals("CHANGE_USER")) {
          if (first == 0x00) {
            ok(sql, r);
            session.direction(ConnectionSession.opposite(direction)).getDbBuilder()
                .setAuthenticating(false);
            finish(session, direction, request, false);
          } else if (first == 0xfe) {
            sql.setAuthentication(r.cstring()); // AuthSwitchRequest: plugin, then its data
          } // 0x01 AuthMoreData: more auth round trips
        } else if (first == 0x00 && operation.equals("PREPARE")) {
          String id = Long.toString(r.int4());
          int columns = r.int2();
          int parameters = r.int2();
          r.skip(1);
          sql.setStatementId(id).setColumns(columns).setParameters(parameters)
              .setWarnings(r.int2());
          if (request != null) {
            DbExchanges.remember(session.direction(ConnectionSession.opposite(direction))
                .getDbBuilder(), id, request.getStatement());
          }
          response.setPreparedColumns(columns);
          if (parameters > 0) {
            response.setPhase(PREPARE_PARAMS).setRemaining(parameters);
          } else if (columns > 0) {
            response.setPhase(PREPARE_COLUMNS).setRemaining(columns);
          } else {
            finish(session, direction, request, false);
          }
        } else if (first == 0x00 || (eof && p.length() < 9)) {
          int status = first == 0x00 ? ok(sql, r) : eofStatus(sql, r);
          if ((status & SERVER_MORE_RESULTS_EXISTS) == 0) {
            finish(session, direction, request, false);
          }
        } else if (operation.equals("STATISTICS")) {
          sql.setErrorMessage(r.rest());
          finish(session, direction, request, false);
        } else if (first == 0xfb) {
          sql.setStatement("LOCAL INFILE " + r.rest()); // the client sends the file, then OK
        } else if (operation.equals("FIELD_LIST")) {
          sql.setColumns(sql.getColumns() + 1);
          response.setPhase(FIELDS);
        } else {
          MysqlReader count = new MysqlReader(p.payload(), 0);
          long columns = count.lenenc();
          sql.setColumns((int) Math.min(Integer.MAX_VALUE, columns));
          response.setPhase(COLUMNS).setRemaining(columns);
        }
      }
      case COLUMNS -> {
        response.setRemaining(response.getRemaining() - 1);
        if (response.getRemaining() <= 0) {
          response.setPhase(deprecateEof ? ROWS : COLUMNS_EOF);
        }
      }
      case COLUMNS_EOF -> {
        response.setPhase(ROWS);
        if (!eof) {
          sql.setRows(sql.getRows() + 1); // no EOF after all (CLIENT_DEPRECATE_EOF unseen)
        }
      }
      case ROWS -> {
        if (first == 0xff) {
          err(sql, r);
          finish(session, direction, request, false);
        } else if (eof) {
          int status = p.length() < 9 ? eofStatus(sql, r) : ok(sql, r);
          if ((status & SERVER_MORE_RESULTS_EXISTS) != 0) {
            response.setPhase(FIRST);
          } else {
            finish(session, direction, request, false);
          }
        } else {
          sql.setRows(sql.getRows() + 1);
        }
      }
      case PREPARE_PARAMS -> {
        response.setRemaining(response.getRemaining() - 1);
        if (response.getRemaining() <= 0) {
          afterParams(session, direction, request, response, deprecateEof);
        }
      }
      case PREPARE_PARAMS_EOF -> afterParams(session, direction, request, response, true);
      case PREPARE_COLUMNS -> {
        response.setRemaining(response.getRemaining() - 1);
        if (response.getRemaining() <= 0) {
          if (deprecateEof) {
            finish(session, direction, request, false);
          } else {
            response.setPhase(PREPARE_COLUMNS_EOF);
          }
        }
      }
      case PREPARE_COLUMNS_EOF -> finish(session, direction, request, false);
      case FIELDS -> {
        if (eof || first == 0xff) {
          if (first == 0xff) {
            err(sql, r);
          }
          finish(session, direction, request, false);
        } else {
          sql.setColumns(sql.getColumns() + 1);
        }
      }
      default -> finish(session, direction, request, false);
    }
  }

  /** After the parameter definitions (and their EOF): column definitions or the end. */
  private void afterParams(ConnectionSession session, Direction direction,
      ProcessorPendingRequest request, ProcessorDbResponse.Builder response,
      boolean eofSeenOrNone) {
    if (!eofSeenOrNone) {
      response.setPhase(PREPARE_PARAMS_EOF);
    } else if (response.getPreparedColumns() > 0) {
      response.setPhase(PREPARE_COLUMNS).setRemaining(response.getPreparedColumns());
    } else {
      finish(session, direction, request, false);
    }
  }

  /** OK packet after its header byte: affected rows, insert id, status, warnings; the status. */
  private static int ok(SqlFields.Builder sql, MysqlReader r) {
    sql.setAffectedRows(sql.getAffectedRows() + r.lenenc());
    long insertId = r.lenenc();
    if (insertId != 0) {
      sql.setLastInsertId(insertId);
    }
    int status = r.int2();
    sql.setWarnings(sql.getWarnings() + r.int2());
    return status;
  }

  private static int eofStatus(SqlFields.Builder sql, MysqlReader r) {
    sql.setWarnings(sql.getWarnings() + r.int2());
    return r.int2();
  }

  private static void err(SqlFields.Builder sql, MysqlReader r) {
    sql.setError(true).setErrorCode(r.int2());
    if (r.has(6)) {
      int mark = r.position();
      if (r.int1() == '#') {
        sql.setSqlState(r.fixedString(5));
      } else {
        r.seek(mark); // no SQL state (errors before the handshake completes may have none)
      }
    }
    sql.setErrorMessage(r.rest());
  }

  private void finish(ConnectionSession session, Direction direction,
      ProcessorPendingRequest request, boolean truncated) {
    ProcessorDbDirection.Builder db = session.direction(direction).getDbBuilder();
    ProcessorDbResponse.Builder response = db.getResponseBuilder();
    SqlFields.Builder sql = response.getFieldsBuilder();
    if (request != null) {
      sql.setOperation(request.getMethod());
      if (sql.getStatement().isEmpty()) {
        sql.setStatement(request.getStatement());
      }
    }
    if (!db.getServerVersion().isEmpty()) {
      sql.setServerVersion(db.getServerVersion());
    }
    emitResponse(session, direction, truncated, MysqlHandler::result, MysqlHandler::details);
  }

  /** "OK, 1 row affected", "ERR 1146 (42S02) Table ... doesn't exist", "3 rows, 2 columns" */
  static String result(SqlFields sql) {
    if (sql.getError()) {
      return "ERR " + sql.getErrorCode() + (sql.getSqlState().isEmpty() ? "" : " (" + sql.getSqlState()
          + ")") + " " + sql.getErrorMessage();
    }
    if (sql.getTruncated()) {
      return "(no end seen)";
    }
    if (sql.getOperation().equals("PREPARE")) {
      return "OK statement " + sql.getStatementId() + ", " + sql.getParameters() + " parameters, "
          + sql.getColumns() + " columns";
    }
    if (sql.getColumns() > 0) {
      return sql.getRows() + (sql.getRows() == 1 ? " row" : " rows") + ", " + sql.getColumns()
          + (sql.getColumns() == 1 ? " column" : " columns");
    }
    return "OK" + (sql.getAffectedRows() > 0 ? ", " + sql.getAffectedRows()
        + (sql.getAffectedRows() == 1 ? " row" : " rows") + " affected" : "");
  }

  private static List<String> details(SqlFields sql) {
    List<String> details = new ArrayList<>();
    if (sql.getLastInsertId() != 0) {
      details.add("last_insert_id: " + sql.getLastInsertId());
    }
    if (sql.getWarnings() > 0) {
      details.add("warnings: " + sql.getWarnings());
    }
    return commonDetails(sql, details);
  }

  /**
   * The direction ends (close, gap, or an idle flush of bytes left in its buffer): a result set
   * in progress leaves as it is, flagged truncated. An open response alone schedules no idle
   * flush: rows of a long query may come far apart.
   */
  @Override
  public void endOfStream(ConnectionSession session, Direction direction) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    if (dir.getProtocol() == Protocol.MYSQL && dir.hasDb() && dir.getDb().getResponse().getOpen()
        && dir.getDb().getResponse().getPhase() != FIRST) {
      finish(session, direction, session.requestAwaitingResponse(direction), true);
    }
  }

}
