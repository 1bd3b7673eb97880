package io.ecapture.kafka.gateway.session;

import io.ecapture.kafka.gateway.wire.EventType;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which events one client wants, from its URL query: {@code ?host=a&host=b&pid=42&port=443}.
 *
 * <p>Keys: {@code host} (host id), {@code pid}, {@code pname} (process name, exact), {@code type}
 * (eCaptureQ type 0..5), {@code port} (either endpoint), and the workload the collector put on
 * the message: {@code container} (container id, or a prefix of at least 12 hex digits as {@code
 * docker ps} and {@code crictl ps} show it), {@code pod} (pod name, exact), {@code namespace} (pod
 * namespace, exact). A repeated key matches any of its values; different keys must all match; a
 * message without workload matches no workload key. The keys {@link ClientOptions} reads (e.g.
 * {@code token}, {@code since}) are skipped here; any other key is refused ({@link
 * UnknownParameterException}), never ignored. Heartbeats and process logs are never filtered.
 */
public record ClientFilter(
    Set<String> hosts, Set<Long> pids, Set<String> pnames, Set<Long> types, Set<Long> ports,
    Set<String> containers, Set<String> pods, Set<String> namespaces) {

  /** Accepts every event. */
  public static final ClientFilter ALL =
      new ClientFilter(Set.of(), Set.of(), Set.of(), Set.of(), Set.of(), Set.of(), Set.of(), Set.of());

  /** The query keys this filter reads. */
  public static final Set<String> KEYS = Set.of("host", "pid", "pname", "type", "port", "container", "pod", "namespace");

  /** Shortest container id prefix accepted (what {@code docker ps} shows). */
  public static final int MIN_CONTAINER_PREFIX = 12;
  private static final Pattern CONTAINER_PREFIX = Pattern.compile("[0-9a-f]{" + MIN_CONTAINER_PREFIX + ",64}");

  public ClientFilter {
    hosts = Set.copyOf(hosts);
    pids = Set.copyOf(pids);
    pnames = Set.copyOf(pnames);
    types = Set.copyOf(types);
    ports = Set.copyOf(ports);
    containers = Set.copyOf(containers);
    pods = Set.copyOf(pods);
    namespaces = Set.copyOf(namespaces);
  }

  /**
   * Parses the query of a request target such as {@code /path?pid=1}.
   *
   * @throws IllegalArgumentException naming the parameter when a number does not parse
   */
  public static ClientFilter parse(String resourceDescriptor) {
    // a key neither this filter nor ClientOptions reads is refused: ignoring it would widen
    ClientOptions.requireKnownKeys(resourceDescriptor);
    int q = resourceDescriptor == null ? -1 : resourceDescriptor.indexOf('?');
    if (q < 0) {
      return ALL;
    }
    Set<String> hosts = new HashSet<>();
    Set<Long> pids = new HashSet<>();
    Set<String> pnames = new HashSet<>();
    Set<Long> types = new HashSet<>();
    Set<Long> ports = new HashSet<>();
    Set<String> containers = new HashSet<>();
    Set<String> pods = new HashSet<>();
    Set<String> namespaces = new HashSet<>();
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
        case "container" -> containers.add(containerPrefix(value));
        case "pod" -> pods.add(named(key, value));
        case "namespace" -> namespaces.add(named(key, value));
        default -> {}
      }
    }
    return new ClientFilter(hosts, pids, pnames, types, ports, containers, pods, namespaces);
  }

  /** Whether no key was given: every event passes. */
  public boolean isAll() {
    return hosts.isEmpty() && pids.isEmpty() && pnames.isEmpty() && types.isEmpty() && ports.isEmpty()
        && containers.isEmpty() && pods.isEmpty() && namespaces.isEmpty();
  }

  /** Whether the client wants {@code m}. */
  public boolean accepts(ParsedMessage m) {
    return (hosts.isEmpty() || hosts.contains(m.getHostId()))
        && (pids.isEmpty() || pids.contains(Integer.toUnsignedLong(m.getPid())))
        && (pnames.isEmpty() || pnames.contains(m.getComm()))
        && (types.isEmpty() || types.contains((long) EventType.of(m).wire()))
        && (ports.isEmpty()
            || ports.contains((long) m.getSrc().getPort())
            || ports.contains((long) m.getDst().getPort()))
        && (containers.isEmpty() || containerMatches(m.getWorkload().getContainerId()))
        && (pods.isEmpty() || pods.contains(m.getWorkload().getPodName()))
        && (namespaces.isEmpty() || namespaces.contains(m.getWorkload().getPodNamespace()));
  }

  private boolean containerMatches(String containerId) {
    if (containerId.isEmpty()) {
      return false;
    }
    for (String prefix : containers) {
      if (containerId.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** A name to match exactly: empty would match every message without workload. */
  private static String named(String key, String value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException("filter " + key + "= needs a name");
    }
    return value;
  }

  /** A container id or prefix: 12 to 64 hex digits, compared in lower case. */
  private static String containerPrefix(String value) {
    String id = value.toLowerCase(Locale.ROOT);
    if (!CONTAINER_PREFIX.matcher(id).matches()) {
      throw new IllegalArgumentException("filter container=" + value + " is not a container id or a prefix of "
          + MIN_CONTAINER_PREFIX + " to 64 hex digits");
    }
    return id;
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
