package io.ecapture.kafka.gateway.session;

import io.ecapture.kafka.gateway.wire.EventType;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * Which events one client wants, from its URL query: {@code ?host=a&host=b&pid=42&port=443}.
 *
 * <p>Keys: {@code host} (host id), {@code pid}, {@code pname} (process name, exact), {@code type}
 * (eCaptureQ type 0..5), {@code port} (either endpoint). A repeated key matches any of its values;
 * different keys must all match. Other keys (e.g. {@code token}) are ignored. Heartbeats and
 * process logs are never filtered.
 */
public record ClientFilter(
    Set<String> hosts, Set<Long> pids, Set<String> pnames, Set<Long> types, Set<Long> ports) {

  /** Accepts every event. */
  public static final ClientFilter ALL = new ClientFilter(Set.of(), Set.of(), Set.of(), Set.of(), Set.of());

  public ClientFilter {
    hosts = Set.copyOf(hosts);
    pids = Set.copyOf(pids);
    pnames = Set.copyOf(pnames);
    types = Set.copyOf(types);
    ports = Set.copyOf(ports);
  }

  /**
   * Parses the query of a request target such as {@code /path?pid=1}.
   *
   * @throws IllegalArgumentException naming the parameter when a number does not parse
   */
  public static ClientFilter parse(String resourceDescriptor) {
    int q = resourceDescriptor == null ? -1 : resourceDescriptor.indexOf('?');
    if (q < 0) {
      return ALL;
    }
    Set<String> hosts = new HashSet<>();
    Set<Long> pids = new HashSet<>();
    Set<String> pnames = new HashSet<>();
    Set<Long> types = new HashSet<>();
    Set<Long> ports = new HashSet<>();
    for (String pair : resourceDescriptor.substring(q + 1).split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      switch (key) {
        case "host" -> hosts.add(value);
        case "pid" -> pids.add(number(key, value, 0xFFFF_FFFFL));
        case "pname" -> pnames.add(value);
        case "type" -> types.add(number(key, value, EventType.MAX));
        case "port" -> ports.add(number(key, value, 65535));
        default -> {}
      }
    }
    return new ClientFilter(hosts, pids, pnames, types, ports);
  }

  /** Whether no key was given: every event passes. */
  public boolean isAll() {
    return hosts.isEmpty() && pids.isEmpty() && pnames.isEmpty() && types.isEmpty() && ports.isEmpty();
  }

  /** Whether the client wants {@code m}. */
  public boolean accepts(ParsedMessage m) {
    return (hosts.isEmpty() || hosts.contains(m.getHostId()))
        && (pids.isEmpty() || pids.contains(Integer.toUnsignedLong(m.getPid())))
        && (pnames.isEmpty() || pnames.contains(m.getComm()))
        && (types.isEmpty() || types.contains((long) EventType.of(m).wire()))
        && (ports.isEmpty()
            || ports.contains((long) m.getSrc().getPort())
            || ports.contains((long) m.getDst().getPort()));
  }

  private static long number(String key, String value, long max) {
    try {
      long n = Long.parseLong(value);
      if (n < 0 || n > max) {
        throw new IllegalArgumentException(
            "filter " + key + "=" + value + " is outside 0.." + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("filter " + key + "=" + value + " is not a number", e);
    }
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
