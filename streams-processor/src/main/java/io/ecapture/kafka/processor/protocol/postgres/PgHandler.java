package io.ecapture.kafka.processor.protocol.postgres;

import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.Span;
import io.ecapture.kafka.processor.protocol.db.DbExchanges;
import io.ecapture.kafka.processor.protocol.db.DbHandler;
import io.ecapture.kafka.processor.state.ProcessorDbDirection;
import io.ecapture.kafka.processor.state.ProcessorDbRequest;
import io.ecapture.kafka.processor.state.ProcessorDbResponse;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.processor.state.ProcessorPendingRequest;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Protocol;
import io.ecapture.kafka.proto.parsed.SqlFields;
import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL frontend/backend protocol v3 (the PostgreSQL documentation, "Frontend/Backend
 * Protocol"): detected by its StartupMessage, which names the sides (the other direction is the
 * server's and is locked with it by {@code topology.ProtocolSelection}).
 *
 * <p>Requests: the StartupMessage (user, database, application_name), each simple query
 * ('Q'), each extended-query batch up to Sync (Parse/Bind/Describe/Execute/Close: the statement
 * text is carried from Parse to Execute through the statement and portal names, named statements
 * are remembered for later batches), FunctionCall; Terminate leaves as data. Responses: everything
 * the server sends until ReadyForQuery ('Z'), summed up: CommandComplete tags, DataRow count,
 * RowDescription columns, ErrorResponse (severity, SQLSTATE, message), the authentication asked for
 * and server_version during startup. A startup that fails ends at its ErrorResponse (no 'Z'
 * follows).
 *
 * <p>Never emitted: PasswordMessage and SASL messages ('p': password, SCRAM proofs), the server's
 * SASL data and BackendKeyData (the cancel key); {@code redacted} says the exchange had some.
 */
public final class PgHandler extends DbHandler<PgMessage> {
  static final String NAME = "postgres";
  /** CommandComplete tags kept per response (a long script's are counted in its rows only). */
  static final int MAX_TAGS = 64;

  public PgHandler(ProcessorLimits limits, ProcessorMetrics metrics) {
    super(Protocol.POSTGRES, NAME, new PgParser(limits.maxBodyBytes()), limits, metrics);
  }

  @Override
  public void emit(ConnectionSession session, Direction direction, Span span,
      ParseResult<PgMessage> frame, boolean cutForSize) {
    PgMessage message = frame(session, direction, frame, frame.message().truncated());
    DbExchanges.assignSides(session, direction, !message.startup());
    if (DbExchanges.server(session, direction)) {
      backend(session, direction, span, message);
    } else {
      frontend(session, direction, span, message);
    }
  }

  private void frontend(ConnectionSession session, Direction direction, Span span, PgMessage m) {
    ProcessorDbDirection.Builder db = session.direction(direction).getDbBuilder();
    PgReader r = new PgReader(m.body(), 0);
    switch (m.type()) {
      case 0 -> {
        if (m.startup()) {
          startup(session, direction, span, m);
        } else {
          data(session, span, "UNTYPED code=" + m.code());
        }
      }
      case 'p' -> redactedAuth(session, direction); // password, SASL, GSS: never emitted
      case 'Q' -> {
        String sql = DbExchanges.redactSql(r.cstring());
        request(session, span, "QUERY", sql, m.truncated(), "", 0);
      }
      case 'P' -> {
        ProcessorDbRequest.Builder batch = batch(db, span);
        String name = r.cstring();
        String sql = DbExchanges.redactSql(r.cstring());
        DbExchanges.remember(db, name, sql);
        batch.setStatement(DbExchanges.cut(sql, limits.maxBodyBytes()))
            .setStatementTruncated(m.truncated()).setStatementId(name)
            .setParameters(r.int16());
        if (batch.getOperation().isEmpty()) {
          batch.setOperation("PREPARE");
        }
      }
      case 'B' -> {
        ProcessorDbRequest.Builder batch = batch(db, span);
        String portal = r.cstring();
        String statement = r.cstring();
        r.skip(2 * r.int16());
        int parameters = r.int16();
        batch.putPortals(portal, statement).setParameters(parameters);
      }
      case 'E' -> {
        ProcessorDbRequest.Builder batch = batch(db, span);
        String portal = r.cstring();
        String statement = batch.getPortalsOrDefault(portal, "");
        // the statement bound to the portal: parsed in this batch or remembered from an earlier one
        String text = statement.equals(batch.getStatementId()) && !batch.getStatement().isEmpty()
            ? batch.getStatement() : db.getStatementsOrDefault(statement, "");
        batch.setOperation("EXECUTE").setStatementId(statement).setStatement(text);
      }
      case 'C' -> {
        ProcessorDbRequest.Builder batch = batch(db, span);
        byte what = r.byte1();
        String name = r.cstring();
        if (what == 'S') {
          db.removeStatements(name);
        }
        if (batch.getOperation().isEmpty()) {
          batch.setOperation("CLOSE").setStatementId(name);
        }
      }
      case 'D', 'H' -> batch(db, span);
      case 'S' -> {
        ProcessorDbRequest.Builder batch = batch(db, span);
        if (batch.getOperation().isEmpty()) {
          batch.setOperation("SYNC");
        }
        ProcessorDbRequest done = batch.build();
        db.clearBatch();
        Span whole = new Span(span.direction(), done.getFirstOffset(),
            (int) Math.min(Integer.MAX_VALUE, done.getWireLength()), done.getFirstByteTimeNs(),
            span.lastByteNs(), done.getGapBefore());
        request(session, whole, done.getOperation(), done.getStatement(),
            done.getStatementTruncated(), done.getStatementId(), done.getParameters());
      }
      case 'F' -> request(session, span, "FUNCTION_CALL", "", false, "", 0);
      case 'X' -> data(session, span, "TERMINATE");
      case 'd', 'c', 'f' -> { } // COPY FROM STDIN data: part of the query's exchange
      default -> data(session, span, "MESSAGE '" + (char) m.type() + "'");
    }
  }

  private ProcessorDbRequest.Builder batch(ProcessorDbDirection.Builder db, Span span) {
    ProcessorDbRequest.Builder batch = db.getBatchBuilder();
    if (batch.getWireLength() == 0) {
      batch.setFirstOffset(span.streamOffset()).setFirstByteTimeNs(span.firstByteNs())
          .setGapBefore(span.gapBefore());
    }
    return batch.setWireLength(span.streamOffset() + span.length() - batch.getFirstOffset());
  }

  private void startup(ConnectionSession session, Direction direction, Span span, PgMessage m) {
    PgReader r = new PgReader(m.body(), 4);
    SqlFields.Builder sql = SqlFields.newBuilder().setOperation("STARTUP");
    List<String> details = new ArrayList<>();
    StringBuilder summary = new StringBuilder("STARTUP");
    while (r.has(1)) {
      String name = r.cstring();
      if (name.isEmpty()) {
        break;
      }
      String value = r.cstring();
      switch (name) {
        case "user" -> sql.setUser(value);
        case "database" -> sql.setDatabase(value);
        case "application_name" -> sql.setApplicationName(value);
        default -> { }
      }
      if (name.equals("user") || name.equals("database")) {
        summary.append(' ').append(name).append('=').append(value);
      }
      details.add(name + ": " + value);
    }
    emitRequest(session, span, sql, "STARTUP", summary.toString(), details, "", "");
  }

  private void request(ConnectionSession session, Span span, String operation, String statement,
      boolean truncated, String statementId, int parameters) {
    SqlFields.Builder sql = SqlFields.newBuilder().setOperation(operation)
        .setStatement(statement).setStatementTruncated(truncated).setStatementId(statementId)
        .setParameters(parameters).setRedacted(statement.contains("'<redacted>'"));
    List<String> details = new ArrayList<>();
    if (!statementId.isEmpty()) {
      details.add("statement: " + statementId);
    }
    if (parameters > 0) {
      details.add("parameters: " + parameters);
    }
    String summary = statement.isEmpty() ? operation
        : operation + " " + DbExchanges.oneLine(statement, DbExchanges.SUMMARY_CHARS);
    emitRequest(session, span, sql, operation, summary, details, body(statement), statement);
  }

  /** A password or SASL message went by: the exchange it belongs to says so, nothing else. */
  private static void redactedAuth(ConnectionSession session, Direction direction) {
    ProcessorDbResponse.Builder response = session.direction(ConnectionSession.opposite(direction))
        .getDbBuilder().getResponseBuilder();
    response.getFieldsBuilder().setRedacted(true);
  }

  private void backend(ConnectionSession session, Direction direction, Span span, PgMessage m) {
    ProcessorDbDirection.Builder db = session.direction(direction).getDbBuilder();
    ProcessorPendingRequest request = session.requestAwaitingResponse(direction);
    boolean exchange = request != null || db.getResponse().getOpen();
    if (!exchange && (m.type() == 'N' || m.type() == 'A' || m.type() == 'S' || m.type() == 'K')) {
      // nothing asked: asynchronous NoticeResponse, NotificationResponse, ParameterStatus
      asynchronous(session, span, m);
      return;
    }
    // anything else sums up until ReadyForQuery, even without a request (the capture began
    // after it, or its response was emitted incomplete): then it is paired with nothing
    ProcessorDbResponse.Builder response = openResponse(db, span);
    SqlFields.Builder sql = response.getFieldsBuilder();
    PgReader r = new PgReader(m.body(), 0);
    switch (m.type()) {
      case 'R' -> {
        int code = r.int32();
        switch (code) {
          case 0 -> { }
          case 3 -> sql.setAuthentication("cleartext password");
          case 5 -> sql.setAuthentication("MD5");
          case 7 -> sql.setAuthentication("GSS");
          case 9 -> sql.setAuthentication("SSPI");
          case 10 -> {
            List<String> mechanisms = new ArrayList<>();
            while (r.has(1)) {
              String mech = r.cstring();
              if (mech.isEmpty()) {
                break;
              }
              mechanisms.add(mech);
            }
            sql.setAuthentication("SASL " + String.join(",", mechanisms));
          }
          default -> sql.setRedacted(true); // SASL continue/final, GSS continue: data left out
        }
      }
      case 'S' -> {
        String name = r.cstring();
        String value = r.cstring();
        if (name.equals("server_version")) {
          sql.setServerVersion(value);
          db.setServerVersion(value);
        }
      }
      case 'K' -> { } // the cancel key: never emitted
      case 'T' -> sql.setColumns(r.int16());
      case 'D' -> sql.setRows(sql.getRows() + 1);
      case 'C' -> {
        String tag = r.cstring();
        if (sql.getCommandTagsCount() < MAX_TAGS) {
          sql.addCommandTags(tag);
        } else if (sql.getCommandTagsCount() == MAX_TAGS) {
          sql.addCommandTags("…"); // a script of many statements: the rest are summed up only
        }
        sql.setAffectedRows(sql.getAffectedRows() + affected(tag));
      }
      case 'I' -> sql.addCommandTags("EMPTY QUERY");
      case 'E' -> error(sql, r);
      case 't' -> sql.setParameters(r.int16());
      case 'Z' -> {
        finish(session, direction, request, false);
        return;
      }
      default -> { } // 1 2 3 n s N A G H W d c V v: nothing to sum up
    }
    if (m.type() == 'E' && request != null && request.getMethod().equals("STARTUP")) {
      finish(session, direction, request, false); // a failed startup: no ReadyForQuery follows
    }
  }

  /** Rows a CommandComplete tag counts as changed: INSERT oid n, UPDATE n, DELETE n, ... */
  static long affected(String tag) {
    String[] words = tag.split(" ");
    if (words.length < 2) {
      return 0;
    }
    switch (words[0]) {
      case "INSERT", "UPDATE", "DELETE", "MERGE", "COPY" -> {
        try {
          return Long.parseLong(words[words.length - 1]);
        } catch (NumberFormatException e) {
          return 0;
        }
      }
      default -> {
        return 0;
      }
    }
  }

  private static void error(SqlFields.Builder sql, PgReader r) {
    sql.setError(true);
    while (r.has(1)) {
      byte field = r.byte1();
      if (field == 0) {
        break;
      }
      String value = r.cstring();
      switch (field) {
        case 'V' -> sql.setErrorSeverity(value);
        case 'S' -> {
          if (sql.getErrorSeverity().isEmpty()) {
            sql.setErrorSeverity(value);
          }
        }
        case 'C' -> sql.setSqlState(value);
        case 'M' -> sql.setErrorMessage(value);
        default -> { }
      }
    }
  }

  private void finish(ConnectionSession session, Direction direction,
      ProcessorPendingRequest request, boolean truncated) {
    ProcessorDbDirection.Builder db = session.direction(direction).getDbBuilder();
    ProcessorDbResponse.Builder response = db.getResponseBuilder();
    SqlFields.Builder sql = response.getFieldsBuilder();
    if (request != null) {
      sql.setOperation(request.getMethod()).setStatement(request.getStatement());
    }
    emitResponse(session, direction, truncated, PgHandler::result, PgHandler::details);
  }

  /** "SELECT 3", "ERROR 42P01 relation ... does not exist", "ok" */
  static String result(SqlFields sql) {
    StringBuilder out = new StringBuilder();
    if (sql.getError()) {
      out.append(sql.getErrorSeverity().isEmpty() ? "ERROR" : sql.getErrorSeverity()).append(' ')
          .append(sql.getSqlState()).append(' ').append(sql.getErrorMessage());
    } else if (sql.getCommandTagsCount() > 0) {
      out.append(String.join(", ", sql.getCommandTagsList()));
    } else {
      out.append(sql.getTruncated() ? "(no end seen)" : "ok");
    }
    return out.toString();
  }

  private static List<String> details(SqlFields sql) {
    List<String> details = new ArrayList<>();
    if (sql.getColumns() > 0 || sql.getRows() > 0) {
      details.add("rows: " + sql.getRows() + ", columns: " + sql.getColumns());
    }
    if (sql.getError() && sql.getCommandTagsCount() > 0) {
      details.add("completed before the error: " + String.join(", ", sql.getCommandTagsList()));
    }
    return commonDetails(sql, details);
  }

  private void asynchronous(ConnectionSession session, Span span, PgMessage m) {
    PgReader r = new PgReader(m.body(), 0);
    switch (m.type()) {
      case 'N', 'E' -> {
        SqlFields.Builder sql = SqlFields.newBuilder();
        error(sql, r);
        sql.setError(m.type() == 'E').setOperation(m.type() == 'E' ? "ERROR" : "NOTICE");
        data(session, span, sql, sql.getOperation() + " " + sql.getErrorSeverity() + " "
            + sql.getSqlState() + " " + sql.getErrorMessage());
      }
      case 'A' -> {
        r.int32();
        String channel = r.cstring();
        data(session, span, "NOTIFICATION " + channel + " " + r.cstring());
      }
      case 'S' -> data(session, span, "PARAMETER " + r.cstring() + "=" + r.cstring());
      case 'K' -> { } // never emitted
      default -> data(session, span, "MESSAGE '" + (char) m.type() + "'");
    }
  }

  /**
   * The direction ends (close, gap, or an idle flush of bytes left in its buffer): an open
   * response or extended-query batch leaves as it is, flagged truncated. An open response alone
   * schedules no idle flush ({@code holdsPartialMessage} stays false): a long query's rows may
   * come far apart and still belong to one response.
   */
  @Override
  public void endOfStream(ConnectionSession session, Direction direction) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    if (dir.getProtocol() != Protocol.POSTGRES || !dir.hasDb()) {
      return;
    }
    ProcessorDbDirection.Builder db = dir.getDbBuilder();
    if (db.getResponse().getOpen()) {
      finish(session, direction, session.requestAwaitingResponse(direction), true);
    }
    if (db.hasBatch() && db.getBatch().getWireLength() > 0) {
      ProcessorDbRequest done = db.getBatch();
      db.clearBatch();
      Span whole = new Span(direction, done.getFirstOffset(),
          (int) Math.min(Integer.MAX_VALUE, done.getWireLength()), done.getFirstByteTimeNs(),
          done.getFirstByteTimeNs(), done.getGapBefore());
      String operation = done.getOperation().isEmpty() ? "BATCH" : done.getOperation();
      request(session, whole, operation, done.getStatement(), done.getStatementTruncated(),
          done.getStatementId(), done.getParameters());
    }
  }

}
