package io.ecapture.kafka.processor.protocol.redis;

import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ProtocolHandler;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import io.ecapture.kafka.processor.protocol.Span;
import io.ecapture.kafka.processor.protocol.db.DbExchanges;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import io.ecapture.kafka.proto.parsed.RedisFields;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Redis RESP2/RESP3: each command the client sends is a request (name, key, arguments), each
 * reply the response to the oldest command still waiting (pipelining answers in order); RESP3
 * pushes ({@code >}) leave as data, attributes ({@code |}) are skipped. The first command names
 * the sides (the client speaks first).
 *
 * <p>Secrets never leave: the arguments of AUTH, of HELLO's AUTH option, of MIGRATE's AUTH/AUTH2,
 * CONFIG SET requirepass/masterauth/masteruser values and ACL SETUSER password rules are replaced
 * by {@code <redacted>} ({@code redacted}).
 */
public final class RedisHandler implements ProtocolHandler<RespValue> {
  static final String NAME = "redis";
  static final String REDACTED = "<redacted>";
  /** Commands whose first argument is not a key. */
  private static final Set<String> NO_KEY = Set.of("AUTH", "HELLO", "PING", "ECHO", "SELECT",
      "INFO", "CONFIG", "CLIENT", "COMMAND", "MULTI", "EXEC", "DISCARD", "FLUSHALL", "FLUSHDB",
      "DBSIZE", "TIME", "QUIT", "SAVE", "BGSAVE", "BGREWRITEAOF", "LASTSAVE", "SHUTDOWN",
      "SLAVEOF", "REPLICAOF", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE",
      "PUNSUBSCRIBE", "SUNSUBSCRIBE", "PUBLISH", "SPUBLISH", "PUBSUB", "SCRIPT", "FUNCTION",
      "ACL", "CLUSTER", "DEBUG", "MONITOR", "SCAN", "RANDOMKEY", "SWAPDB", "WAIT", "WAITAOF",
      "UNWATCH", "READONLY", "READWRITE", "RESET", "LATENCY", "SLOWLOG", "MODULE", "ROLE",
      "LOLWUT", "FAILOVER", "SYNC", "PSYNC", "REPLCONF", "MEMORY", "OBJECT", "XINFO", "XGROUP",
      "BITOP", "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO", "MIGRATE",
      "XREAD", "XREADGROUP");
  /** Arguments shown on a command's line, and characters of each (the fields keep more). */
  static final int SHOWN_ARGUMENTS = 16;
  static final int SHOWN_ARGUMENT_CHARS = 64;

  private final RespParser parser = new RespParser();
  private final ProcessorLimits limits;
  private final ProcessorMetrics metrics;

  public RedisHandler(ProcessorLimits limits, ProcessorMetrics metrics) {
    this.limits = limits;
    this.metrics = metrics;
  }

  @Override
  public Protocol protocol() {
    return Protocol.REDIS;
  }

  @Override
  public ProtocolParser<RespValue> parser() {
    return parser;
  }

  @Override
  public void emit(ConnectionSession session, Direction direction, Span span,
      ParseResult<RespValue> frame, boolean cutForSize) {
    RespValue value = frame.message();
    if (frame.bytesStillExpected() > 0) {
      session.direction(direction).setDiscardRemaining(frame.bytesStillExpected());
    }
    if (value.truncated()) {
      metrics.truncatedMessage();
    }
    DbExchanges.assignSides(session, direction, !value.command());
    if (value.type() == '|' || (value.type() == 'i' && value.elements().isEmpty())) {
      return; // RESP3 attribute (metadata about the reply that follows), or an empty line
    }
    metrics.messageOut();
    ParsedMessage.Builder out = DbExchanges.message(session, span, Protocol.REDIS);
    if (!DbExchanges.server(session, direction) && value.command()) {
      command(session, out, value);
      return;
    }
    RedisFields.Builder redis = reply(value);
    out.setRedis(redis);
    if (redis.getPush()) {
      DbExchanges.emitData(session, out, NAME, "PUSH " + describe(value), List.of());
    } else {
      DbExchanges.emitResponse(session, out, NAME, describe(value), List.of());
    }
  }

  private void command(ConnectionSession session, ParsedMessage.Builder out, RespValue value) {
    List<String> words = new ArrayList<>(value.elements().size());
    value.elements().forEach(e -> words.add(e.text()));
    String name = words.getFirst().toUpperCase(Locale.ROOT);
    List<String> args = new ArrayList<>(words.subList(1, words.size()));
    boolean redacted = redact(name, args);
    RedisFields.Builder redis = RedisFields.newBuilder().setCommand(name)
        .setArgumentCount((int) Math.max(0, value.length() - 1)).setRedacted(redacted)
        .setTruncated(value.truncated());
    args.forEach(redis::addArguments);
    String key = key(name, args);
    if (key != null) {
      redis.setKey(key);
    }
    StringBuilder summary = new StringBuilder(name);
    for (int i = 0; i < Math.min(args.size(), SHOWN_ARGUMENTS); i++) {
      String arg = args.get(i);
      summary.append(' ').append(arg.length() > SHOWN_ARGUMENT_CHARS
          ? quote(arg.substring(0, SHOWN_ARGUMENT_CHARS), true) + "…" : quote(arg));
    }
    if (redis.getArgumentCount() > Math.min(args.size(), SHOWN_ARGUMENTS)) {
      summary.append(" … (").append(redis.getArgumentCount()).append(" arguments)");
    }
    out.setRedis(redis);
    DbExchanges.emitRequest(session, out, NAME, name, summary.toString(), List.of(), "", "",
        limits.maxRenderedBytes());
  }

  /** Replaces secret arguments in place; whether any was. */
  static boolean redact(String name, List<String> args) {
    boolean redacted = false;
    switch (name) {
      case "AUTH" -> {
        for (int i = 0; i < args.size(); i++) {
          args.set(i, REDACTED);
          redacted = true;
        }
      }
      case "HELLO", "MIGRATE" -> {
        for (int i = 0; i < args.size(); i++) {
          String option = args.get(i).toUpperCase(Locale.ROOT);
          int secrets = option.equals("AUTH") ? (name.equals("HELLO") ? 2 : 1)
              : option.equals("AUTH2") ? 2 : 0;
          for (int j = i + 1; j <= i + secrets && j < args.size(); j++) {
            args.set(j, REDACTED);
            redacted = true;
          }
          i += secrets;
        }
      }
      case "CONFIG" -> {
        for (int i = 1; i + 1 < args.size(); i += 2) {
          String parameter = args.get(i).toLowerCase(Locale.ROOT);
          if (parameter.equals("requirepass") || parameter.equals("masterauth")
              || parameter.equals("masteruser")) {
            args.set(i + 1, REDACTED);
            redacted = true;
          }
        }
      }
      case "ACL" -> {
        for (int i = 2; i < args.size(); i++) {
          String rule = args.get(i);
          if (!rule.isEmpty() && ">#<!".indexOf(rule.charAt(0)) >= 0) {
            args.set(i, rule.charAt(0) + REDACTED);
            redacted = true;
          }
        }
      }
      default -> { }
    }
    return redacted;
  }

  /** The command's first key, or null (commands without one). */
  static String key(String name, List<String> args) {
    if (args.isEmpty()) {
      return null;
    }
    switch (name) {
      case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO" -> {
        return args.size() > 2 && !args.get(1).equals("0") ? args.get(2) : null;
      }
      case "MEMORY", "OBJECT", "XINFO", "XGROUP", "BITOP" -> {
        return args.size() > 1 ? args.get(1) : null;
      }
      case "MIGRATE" -> {
        return args.size() > 2 && !args.get(2).isEmpty() ? args.get(2) : null;
      }
      case "XREAD", "XREADGROUP" -> {
        for (int i = 0; i + 1 < args.size(); i++) {
          if (args.get(i).equalsIgnoreCase("STREAMS")) {
            return args.get(i + 1);
          }
        }
        return null;
      }
      default -> {
        return NO_KEY.contains(name) ? null : args.getFirst();
      }
    }
  }

  static RedisFields.Builder reply(RespValue v) {
    RedisFields.Builder redis = RedisFields.newBuilder().setReplyType(typeName(v))
        .setTruncated(v.truncated());
    switch (v.type()) {
      case '-', '!' -> redis.setError(true).setReplyText(v.text());
      case '+', ':', ',', '#', '(', '$', '=' -> {
        if (!v.isNull()) {
          redis.setReplyText(v.text());
        }
      }
      case '>' -> redis.setPush(true).setReplyElements(Math.max(0, v.length()));
      default -> redis.setReplyElements(Math.max(0, v.length()));
    }
    return redis;
  }

  static String typeName(RespValue v) {
    if (v.isNull()) {
      return "null";
    }
    return switch (v.type()) {
      case '+' -> "simple_string";
      case '-' -> "error";
      case ':' -> "integer";
      case '$' -> "bulk_string";
      case '*' -> "array";
      case ',' -> "double";
      case '#' -> "boolean";
      case '(' -> "big_number";
      case '!' -> "blob_error";
      case '=' -> "verbatim_string";
      case '%' -> "map";
      case '~' -> "set";
      case '>' -> "push";
      case '|' -> "attribute";
      case 'i' -> "inline";
      default -> "unknown";
    };
  }

  /** A reply in one line: {@code bulk_string "value"}, {@code array(3) ["a", "b", 1]}, ... */
  static String describe(RespValue v) {
    StringBuilder out = new StringBuilder(typeName(v));
    if (v.isNull()) {
      return out.toString();
    }
    if (v.aggregate()) {
      out.append('(').append(v.length()).append(") [");
      int shown = 0;
      for (RespValue e : v.elements()) {
        if (shown == 8) {
          out.append(", …");
          break;
        }
        out.append(shown++ == 0 ? "" : ", ").append(e.aggregate() ? typeName(e) + "(" + e.length()
            + ")" : scalar(e));
      }
      out.append(']');
    } else {
      out.append(' ').append(scalar(v));
    }
    if (v.truncated()) {
      out.append(" [ecapture-kafka: incomplete]");
    }
    return out.toString();
  }

  private static String scalar(RespValue e) {
    if (e.isNull()) {
      return "null";
    }
    boolean cut = (e.type() == '$' || e.type() == '=' || e.type() == '!')
        && e.length() > e.data().length;
    String text = e.type() == '$' || e.type() == '=' ? quote(e.text(), true) : e.text();
    return cut ? text + "…(" + e.length() + " bytes)" : text;
  }

  /** A word as shown: bare when plain, else quoted with escapes. */
  static String quote(String s) {
    return quote(s, false);
  }

  /** {@code s} in double quotes with escapes; bare when plain and not {@code always}. */
  static String quote(String s, boolean always) {
    boolean plain = !always && !s.isEmpty() && !s.equals(REDACTED);
    for (int i = 0; i < s.length() && plain; i++) {
      char c = s.charAt(i);
      plain = c > ' ' && c != '"' && c != '\\' && c < 0x7f;
    }
    if (plain || (!always && s.equals(REDACTED))) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> {
          if (c < ' ' || c == 0x7f) {
            out.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
