package io.ecapture.kafka.processor.protocol.db;

import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ProtocolHandler;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import io.ecapture.kafka.processor.protocol.Span;
import io.ecapture.kafka.processor.state.ProcessorDbDirection;
import io.ecapture.kafka.processor.state.ProcessorDbResponse;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Protocol;
import io.ecapture.kafka.proto.parsed.SqlFields;
import java.util.List;
import java.util.function.Function;

/**
 * What the SQL protocol handlers (MySQL, PostgreSQL) share around their own decoding: the parser
 * and protocol, the frame's bookkeeping, and the pairing of a request with the response summed up
 * over the server's frames until its end ({@link #openResponse}, {@link #emitResponse}), each
 * emitted through {@link DbExchanges} with the handler's name.
 *
 * @param <F> the protocol's frame
 */
public abstract class DbHandler<F> implements ProtocolHandler<F> {
  protected final ProcessorLimits limits;
  protected final ProcessorMetrics metrics;
  private final Protocol protocol;
  private final String name;
  private final ProtocolParser<F> parser;

  /**
   * @param name the protocol's name at the start of every rendered line ({@code mysql}, {@code
   *     postgres})
   */
  protected DbHandler(Protocol protocol, String name, ProtocolParser<F> parser, ProcessorLimits limits,
      ProcessorMetrics metrics) {
    this.protocol = protocol;
    this.name = name;
    this.parser = parser;
    this.limits = limits;
    this.metrics = metrics;
  }

  @Override
  public final Protocol protocol() {
    return protocol;
  }

  @Override
  public final ProtocolParser<F> parser() {
    return parser;
  }

  /**
   * A frame arrived: the bytes of it still to come are skipped, a frame cut to the body limit is
   * counted.
   */
  protected final F frame(ConnectionSession session, Direction direction, ParseResult<F> frame,
      boolean truncated) {
    if (frame.bytesStillExpected() > 0) {
      session.direction(direction).setDiscardRemaining(frame.bytesStillExpected());
    }
    if (truncated) {
      metrics.truncatedMessage();
    }
    return frame.message();
  }

  /** Emits a request (see {@link DbExchanges#emitRequest}), awaiting its response. */
  protected final void emitRequest(ConnectionSession session, Span span, SqlFields.Builder sql,
      String operation, String summary, List<String> details, String body, String statement) {
    metrics.messageOut();
    DbExchanges.emitRequest(session, DbExchanges.message(session, span, protocol).setSql(sql), name,
        operation, summary, details, body, statement, limits.maxRenderedBytes());
  }

  /** A statement as a request's body: the whole of it when the summary line cannot show it, else none. */
  protected static String body(String statement) {
    return statement.length() > DbExchanges.SUMMARY_CHARS || statement.contains("\n") ? statement : "";
  }

  /** Emits a line that is neither request nor response; its operation is the first word. */
  protected final void data(ConnectionSession session, Span span, String line) {
    metrics.messageOut();
    DbExchanges.emitData(session, DbExchanges.message(session, span, protocol)
        .setSql(SqlFields.newBuilder().setOperation(line.split(" ")[0])), name, line, List.of());
  }

  /** Emits a line that is neither request nor response with its own fields. */
  protected final void data(ConnectionSession session, Span span, SqlFields.Builder sql, String line) {
    metrics.messageOut();
    DbExchanges.emitData(session, DbExchanges.message(session, span, protocol).setSql(sql), name, line,
        List.of());
  }

  /**
   * A server frame that belongs to the response being summed up: opens it (or extends it) over
   * {@code span}, keeping the redacted flag an auth message the other way set on it.
   */
  protected static ProcessorDbResponse.Builder openResponse(ProcessorDbDirection.Builder db, Span span) {
    boolean redacted = db.getResponse().getFields().getRedacted();
    ProcessorDbResponse.Builder response = DbExchanges.extend(db.getResponseBuilder(), span);
    if (redacted) {
      response.getFieldsBuilder().setRedacted(true);
    }
    return response;
  }

  /**
   * The response summed up in {@code direction} ends (with {@code truncated}: its end was not
   * seen): it is emitted, rendered by {@code result} and {@code details}, and cleared.
   */
  protected final void emitResponse(ConnectionSession session, Direction direction, boolean truncated,
      Function<SqlFields, String> result, Function<SqlFields, List<String>> details) {
    ProcessorDbDirection.Builder db = session.direction(direction).getDbBuilder();
    ProcessorDbResponse.Builder response = db.getResponseBuilder();
    SqlFields.Builder sql = response.getFieldsBuilder();
    sql.setTruncated(truncated);
    if (truncated) {
      metrics.truncatedMessage();
    }
    Span span = DbExchanges.span(direction, response);
    SqlFields fields = sql.build();
    db.clearResponse();
    metrics.messageOut();
    DbExchanges.emitResponse(session, DbExchanges.message(session, span, protocol).setSql(fields), name,
        result.apply(fields), details.apply(fields));
  }

  /**
   * The detail lines every SQL response ends with: authentication asked for, server version,
   * credentials redacted, response incomplete; added to {@code details}, which is returned.
   */
  protected static List<String> commonDetails(SqlFields sql, List<String> details) {
    if (!sql.getAuthentication().isEmpty()) {
      details.add("authentication: " + sql.getAuthentication());
    }
    if (!sql.getServerVersion().isEmpty()) {
      details.add("server_version: " + sql.getServerVersion());
    }
    if (sql.getRedacted()) {
      details.add("credentials: <redacted>");
    }
    if (sql.getTruncated()) {
      details.add("[ecapture-kafka: response incomplete, its end was not captured]");
    }
    return details;
  }
}
