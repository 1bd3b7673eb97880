package io.ecapture.kafka.gateway.session;

import io.ecapture.kafka.gateway.wire.LogEntries;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * What one client asked for in its URL query besides the {@link ClientFilter}.
 *
 * <ul>
 *   <li>{@code annotate=host}: every event frame also carries the capturing host's id as {@link
 *       LogEntries#HOST_FIELD} of the LogEntry, a field eCaptureQ does not know and skips. Opt-in,
 *       so default frames stay byte-for-byte what eCapture sends.
 *   <li>{@code since=30s} (also {@code 500ms}, {@code 5m}, {@code 1h}, ISO-8601 {@code PT30S}):
 *       first replay matching events of that recent past from Kafka.
 *   <li>{@code last=N}: first replay at most the N most recent matching events.
 * </ul>
 *
 * @param filter which events the client wants
 * @param annotateHost whether event frames carry the host id
 * @param since how far back to replay, null for no time-based replay
 * @param last how many recent events to replay at most, 0 for no count-based replay
 */
public record ClientOptions(ClientFilter filter, boolean annotateHost, Duration since, int last) {

  /** No filter, no annotation, no replay. */
  public static final ClientOptions DEFAULT = new ClientOptions(ClientFilter.ALL, false, null, 0);

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
    ClientFilter filter = ClientFilter.parse(target);
    boolean annotateHost = false;
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
            if (!value.equals("host")) {
              throw new IllegalArgumentException("annotate=" + value + ": only annotate=host exists");
            }
            annotateHost = true;
          }
          case "since" -> since = parseAge(value);
          case "last" -> last = parseCount(value);
          default -> {}
        }
      }
    }
    if (filter.isAll() && !annotateHost && since == null && last == 0) {
      return DEFAULT;
    }
    return new ClientOptions(filter, annotateHost, since, last);
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
