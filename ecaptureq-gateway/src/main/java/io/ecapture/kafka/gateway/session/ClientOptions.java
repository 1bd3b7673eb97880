package io.ecapture.kafka.gateway.session;

import io.ecapture.kafka.gateway.wire.LogEntries;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.time.Duration;
import java.util.Set;

/**
 * What one client asked for in its URL query besides the {@link ClientFilter}.
 *
 * <ul>
 *   <li>{@code annotate=host}: every event frame also carries the capturing host's id as {@link
 *       LogEntries#HOST_FIELD} of the LogEntry, a field eCaptureQ does not know and skips. Opt-in,
 *       so default frames stay byte-for-byte what eCapture sends.
 *   <li>{@code annotate=workload}: event frames of messages with a workload (cgroup, container,
 *       pod) also carry it, the serialized {@code ecapturekafka.capture.Workload}, as {@link
 *       LogEntries#WORKLOAD_FIELD}; a message without one gets no field. Combinable: {@code
 *       annotate=host,workload} or {@code annotate=host&annotate=workload}.
 *   <li>{@code annotate=pair}: event frames also carry what pairs a request with its response,
 *       which eCaptureQ's Event has no room for: the processor's pair id ({@link
 *       LogEntries#PAIR_FIELD}, same on a request and its response), the response's latency
 *       ({@link LogEntries#LATENCY_FIELD}, ns from the last request byte to the first response
 *       byte) and the HTTP authority ({@link LogEntries#AUTHORITY_FIELD}, {@code :authority} or
 *       {@code Host}), each only when the message has it. The browser view asks for it.
 *   <li>{@code since=30s} (also {@code 500ms}, {@code 5m}, {@code 1h}, ISO-8601 {@code PT30S}):
 *       first replay matching events of that recent past from Kafka.
 *   <li>{@code last=N}: first replay at most the N most recent matching events.
 * </ul>
 *
 * @param filter which events the client wants
 * @param annotateHost whether event frames carry the host id
 * @param since how far back to replay, null for no time-based replay
 * @param last how many recent events to replay at most, 0 for no count-based replay
 * @param annotateWorkload whether event frames carry the message's workload
 * @param annotatePair whether event frames carry pair id, latency and authority
 */
public record ClientOptions(ClientFilter filter, boolean annotateHost, Duration since, int last, boolean annotateWorkload,
    boolean annotatePair) {

  /** No filter, no annotation, no replay. */
  public static final ClientOptions DEFAULT =
      new ClientOptions(ClientFilter.ALL, false, null, 0, false, false);

  /** The query keys these options read besides {@link ClientFilter#KEYS}. */
  public static final Set<String> KEYS = Set.of("annotate", "since", "last");

  /** The access token's key, read by the HTTP layer before options are parsed. */
  public static final String TOKEN_KEY = "token";

  /**
   * Every query key a WebSocket URL may carry: {@link ClientFilter#KEYS}, {@link #KEYS} and {@link
   * #TOKEN_KEY}. Any other is refused ({@link UnknownParameterException}).
   */
  public static final Set<String> KNOWN_KEYS = known();

  private static Set<String> known() {
    Set<String> keys = new java.util.TreeSet<>(ClientFilter.KEYS);
    keys.addAll(KEYS);
    keys.add(TOKEN_KEY);
    return java.util.Collections.unmodifiableSet(keys);
  }

  /** What {@code annotate=} takes (comma-separated, or the key repeated). */
  public static final Set<String> ANNOTATIONS = Set.of("host", "workload", "pair");

  /**
   * The event frame this client gets for {@code m}: {@code frame} (as every client without
   * annotations gets it) with the fields it asked for appended.
   */
  public byte[] annotate(byte[] frame, ParsedMessage m) {
    byte[] out = frame;
    if (annotateHost) {
      out = LogEntries.withHost(out, m.getHostId());
    }
    if (annotateWorkload && m.hasWorkload()) {
      out = LogEntries.withWorkload(out, m.getWorkload());
    }
    if (annotatePair) {
      out = LogEntries.withPair(out, m);
    }
    return out;
  }

  /** Whether {@link #annotate} may change a frame. */
  public boolean annotates() {
    return annotateHost || annotateWorkload || annotatePair;
  }

  /** Whether the client asked for any replay of past events. */
  public boolean wantsReplay() {
    return since != null || last > 0;
  }

  /**
   * Parses a request target such as {@code /?pid=1&annotate=host&since=30s}.
   *
   * @throws IllegalArgumentException naming the parameter when a value does not parse
   */
  public static ClientOptions parse(String target) {
    requireKnownKeys(target);
    ClientFilter filter = ClientFilter.parse(target);
    boolean annotateHost = false;
    boolean annotateWorkload = false;
    boolean annotatePair = false;
    Duration since = null;
    int last = 0;
    int q = target == null ? -1 : target.indexOf('?');
    if (q >= 0) {
      for (String pair : target.substring(q + 1).split("&")) {
        int eq = pair.indexOf('=');
        String key = decode(eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
        switch (key) {
          case "annotate" -> {
            for (String annotation : value.split(",", -1)) {
              switch (annotation) {
                case "host" -> annotateHost = true;
                case "workload" -> annotateWorkload = true;
                case "pair" -> annotatePair = true;
                default -> throw new IllegalArgumentException(
                    "annotate=" + value + ": annotate takes host, workload, pair or a list of them");
              }
            }
          }
          case "since" -> since = parseAge(value);
          case "last" -> last = parseCount(value);
          default -> {}
        }
      }
    }
    if (filter.isAll() && !annotateHost && !annotateWorkload && !annotatePair && since == null
        && last == 0) {
      return DEFAULT;
    }
    return new ClientOptions(filter, annotateHost, since, last, annotateWorkload, annotatePair);
  }

  /**
   * Refuses a query naming a key outside {@link #KNOWN_KEYS}: a mistyped filter must never widen
   * what a client sees.
   *
   * @throws UnknownParameterException naming the first unknown key and every known one
   */
  public static void requireKnownKeys(String target) {
    int q = target == null ? -1 : target.indexOf('?');
    if (q < 0) {
      return;
    }
    for (String pair : target.substring(q + 1).split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = decode(eq < 0 ? pair : pair.substring(0, eq));
      if (!KNOWN_KEYS.contains(key)) {
        throw new UnknownParameterException(key, KNOWN_KEYS);
      }
    }
  }

  static Duration parseAge(String value) {
    try {
      Duration d;
      if (value.startsWith("P") || value.startsWith("p")) {
        d = Duration.parse(value);
      } else if (value.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
      } else if (value.endsWith("s")) {
        d = Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)));
      } else if (value.endsWith("m")) {
        d = Duration.ofMinutes(Long.parseLong(value.substring(0, value.length() - 1)));
      } else if (value.endsWith("h")) {
        d = Duration.ofHours(Long.parseLong(value.substring(0, value.length() - 1)));
      } else {
        d = Duration.ofSeconds(Long.parseLong(value));
      }
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("since=" + value + " must be positive");
      }
      return d;
    } catch (RuntimeException e) {
      if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
          && iae.getMessage().startsWith("since=")) {
        throw iae;
      }
      throw new IllegalArgumentException("since=" + value + " is not a duration (e.g. 30s, 5m)", e);
    }
  }

  private static int parseCount(String value) {
    try {
      int n = Integer.parseInt(value);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("last=" + value + " is not a count", e);
    }
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
