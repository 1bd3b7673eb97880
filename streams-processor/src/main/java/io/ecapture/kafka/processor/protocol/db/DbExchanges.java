package io.ecapture.kafka.processor.protocol.db;

import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.protocol.Span;
import io.ecapture.kafka.processor.render.RenderedText;
import io.ecapture.kafka.processor.state.ProcessorDbDirection;
import io.ecapture.kafka.processor.state.ProcessorDbResponse;
import io.ecapture.kafka.processor.state.ProcessorPendingRequest;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the database protocols (PostgreSQL, MySQL, Redis) share: which side sends a direction, the
 * bounded memory of prepared statements, and the display text of a request and of the response
 * that answers it ({@code postgres QUERY select 1 → SELECT 1 (0.4 ms)}).
 */
public final class DbExchanges {
  /** Prepared statements remembered per client direction; past it the map starts afresh. */
  public static final int MAX_STATEMENTS = 256;
  /** Characters of a statement kept in the state (prepared statements, pending requests). */
  public static final int MAX_KEPT_STATEMENT_CHARS = 4096;
  /**
   * Characters of a statement shown on a request's first line and repeated on its response's
   * (the whole statement follows a request's first line when longer): short enough that
   * {@code <request> → <result> (<latency>)} fits the 120 characters a browser view row shows.
   */
  public static final int SUMMARY_CHARS = 80;

  private DbExchanges() {}

  /** Whether {@code direction} is sent by the server (false also when not known yet). */
  public static boolean server(ConnectionSession session, Direction direction) {
    return session.direction(direction).getDb().getServer();
  }

  /**
   * Names the sides on a direction's first frame, if not done yet: {@code direction} is sent by
   * the server when {@code server}, the other direction by the other side.
   */
  public static void assignSides(ConnectionSession session, Direction direction, boolean server) {
    if (session.direction(direction).hasDb()) {
      return;
    }
    session.direction(direction).getDbBuilder().setServer(server);
    session.direction(ConnectionSession.opposite(direction)).getDbBuilder().setServer(!server);
  }

  // a string literal, with PostgreSQL's E'...' (escapes) and N'...' (national) prefixes
  private static final String QUOTED = "([EeNn]?'(?:[^'\\\\]|''|\\\\.)*'|\"(?:[^\"\\\\]|\"\"|\\\\.)*\")";
  /**
   * Password literals in SQL text: {@code IDENTIFIED BY 'x'} / {@code IDENTIFIED WITH plugin AS
   * 'x'} (MySQL), {@code PASSWORD 'x'} (PostgreSQL CREATE/ALTER ROLE), {@code SET PASSWORD =
   * PASSWORD('x')}.
   */
  private static final Pattern SQL_SECRET = Pattern.compile(
      "(?i)\\b(IDENTIFIED\\s+(?:WITH\\s+\\S+\\s+)?(?:BY|AS)\\s+|PASSWORD\\s*(?:=\\s*)?"
          + "(?:PASSWORD\\s*)?\\(?\\s*)" + QUOTED);

  /**
   * {@code sql} with its password literals replaced by {@code '<redacted>'}, or {@code sql}
   * itself when it has none.
   */
  public static String redactSql(String sql) {
    Matcher m = SQL_SECRET.matcher(sql);
    if (!m.find()) {
      return sql;
    }
    StringBuilder out = new StringBuilder(sql.length());
    do {
      m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + "'<redacted>'"));
    } while (m.find());
    return m.appendTail(out).toString();
  }

  /** Keeps a prepared statement's text under {@code id} (bounded, see {@link #MAX_STATEMENTS}). */
  public static void remember(ProcessorDbDirection.Builder db, String id, String text) {
    if (db.getStatementsCount() >= MAX_STATEMENTS && !db.containsStatements(id)) {
      db.clearStatements();
    }
    db.putStatements(id, cut(text, MAX_KEPT_STATEMENT_CHARS));
  }

  /** At most {@code max} characters of {@code s} (not splitting a surrogate pair). */
  public static String cut(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    return s.substring(0, end);
  }

  /** {@code s} on one line (runs of whitespace as one space), cut with an ellipsis. */
  public static String oneLine(String s, int max) {
    String line = s.strip().replaceAll("\\s+", " ");
    return line.length() <= max ? line : cut(line, max) + "…";
  }

  /** UTF-8 text of {@code data[from, to)}, malformed bytes replaced. */
  public static String text(byte[] data, int from, int to) {
    return new String(data, from, Math.max(0, to - from), StandardCharsets.UTF_8);
  }

  /** "0.4 ms", "12 ms", "1.5 s" */
  public static String latency(long ns) {
    double ms = ns / 1e6;
    if (ms < 10) {
      return String.format(Locale.ROOT, "%.1f ms", ms);
    }
    if (ms < 10_000) {
      return String.format(Locale.ROOT, "%.0f ms", ms);
    }
    return String.format(Locale.ROOT, "%.1f s", ms / 1000);
  }

  /**
   * Emits a request: {@code <protocol> <summary>}, detail lines, then {@code body} (the
   * statement, within the rendered limit) after a blank line when there is one.
   */
  public static void emitRequest(ConnectionSession session, ParsedMessage.Builder message,
      String protocolName, String operation, String summary, List<String> details, String body,
      String statement, int renderLimit) {
    RenderedText text = new RenderedText(64 + summary.length() + body.length());
    StringBuilder out = text.text();
    out.append(protocolName).append(' ').append(summary).append('\n');
    details.forEach(d -> out.append(d).append('\n'));
    if (!body.isEmpty()) {
      out.append('\n');
      text.body(body.getBytes(StandardCharsets.UTF_8), body, renderLimit);
    }
    text.build().applyTo(message.setKind(MessageKind.REQUEST));
    // the summary's statement part is already cut to SUMMARY_CHARS; the bound is for the rest
    session.emitRequest(message, operation, session.nextPairId(),
        oneLine(summary, 2 * SUMMARY_CHARS), cut(statement, MAX_KEPT_STATEMENT_CHARS));
  }

  /**
   * Emits a response to the oldest request sent the other way: {@code <protocol> <request> →
   * <result> (<latency>)}, then detail lines.
   */
  public static void emitResponse(ConnectionSession session, ParsedMessage.Builder message,
      String protocolName, String result, List<String> details) {
    ProcessorPendingRequest request = session.requestAwaitingResponse(message.getDirection());
    StringBuilder out = new StringBuilder(128).append(protocolName).append(' ');
    if (request != null && !request.getSummary().isEmpty()) {
      out.append(request.getSummary()).append(" → ");
    }
    out.append(result);
    if (request != null && request.getLastByteTimeNs() > 0
        && message.getFirstByteTimeNs() >= request.getLastByteTimeNs()) {
      out.append(" (").append(latency(message.getFirstByteTimeNs() - request.getLastByteTimeNs()))
          .append(')');
    }
    out.append('\n');
    details.forEach(d -> out.append(d).append('\n'));
    new RenderedText.Result(out.toString().getBytes(StandardCharsets.UTF_8), false, 0, false)
        .applyTo(message.setKind(MessageKind.RESPONSE));
    session.emitResponse(message, false);
  }

  /** Emits a message that is neither request nor response: {@code <protocol> <line>}. */
  public static void emitData(ConnectionSession session, ParsedMessage.Builder message,
      String protocolName, String line, List<String> details) {
    StringBuilder out = new StringBuilder(64).append(protocolName).append(' ').append(line)
        .append('\n');
    details.forEach(d -> out.append(d).append('\n'));
    new RenderedText.Result(out.toString().getBytes(StandardCharsets.UTF_8), false, 0, false)
        .applyTo(message.setKind(MessageKind.DATA));
    session.emitData(message);
  }

  /** A new message of {@code protocol} at {@code span}. */
  public static ParsedMessage.Builder message(ConnectionSession session, Span span,
      Protocol protocol) {
    return session.newMessage(span).setProtocol(protocol);
  }

  /** Where a response summed up over several frames sits: from its first to its last frame. */
  public static Span span(Direction direction, ProcessorDbResponse.Builder response) {
    return new Span(direction, response.getFirstOffset(),
        (int) Math.min(Integer.MAX_VALUE, response.getWireLength()),
        response.getFirstByteTimeNs(), response.getLastByteTimeNs(), response.getGapBefore());
  }

  /** Opens {@code response} at {@code span} if it is not open yet, and extends it over it. */
  public static ProcessorDbResponse.Builder extend(ProcessorDbResponse.Builder response,
      Span span) {
    if (!response.getOpen()) {
      response.clear().setOpen(true).setFirstOffset(span.streamOffset())
          .setFirstByteTimeNs(span.firstByteNs()).setGapBefore(span.gapBefore());
    }
    return response.setLastByteTimeNs(span.lastByteNs())
        .setWireLength(span.streamOffset() + span.length() - response.getFirstOffset());
  }
}
