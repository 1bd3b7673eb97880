package io.ecapture.kafka.forwarder;

import io.ecapture.kafka.forwarder.format.EventKinds;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which events are forwarded: the gateway's filters ({@code host}, {@code pid}, {@code pname},
 * {@code type}, {@code port}) plus {@code modules} ({@link EventKinds#module}). A key with several
 * values matches any of them; different keys must all match; an empty key matches everything.
 * Process logs are filtered by host only.
 */
public record EventFilter(
    Set<String> hosts, Set<Long> pids, Set<String> pnames, Set<Integer> types, Set<Integer> ports,
    Set<String> modules) {

  /** Forwards everything. */
  public static final EventFilter ALL = new EventFilter(Set.of(), Set.of(), Set.of(), Set.of(), Set.of(), Set.of());

  public EventFilter {
    hosts = Set.copyOf(hosts);
    pids = Set.copyOf(pids);
    pnames = Set.copyOf(pnames);
    types = Set.copyOf(types);
    ports = Set.copyOf(ports);
    modules = Set.copyOf(modules);
    for (long pid : pids) {
      if (pid < 0 || pid > 0xFFFF_FFFFL) {
        throw new IllegalArgumentException("pid " + pid + " is outside 0..4294967295");
      }
    }
    for (int type : types) {
      if (type < 0 || type > EventKinds.MAX_TYPE) {
        throw new IllegalArgumentException("type " + type + " is outside 0.." + EventKinds.MAX_TYPE);
      }
    }
    for (int port : ports) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is outside 0..65535");
      }
    }
    for (String module : modules) {
      if (!EventKinds.MODULES.contains(module)) {
        throw new IllegalArgumentException("unknown module '" + module + "': one of " + new TreeSet<>(EventKinds.MODULES));
      }
    }
  }

  /** A filter from command-line lists (null = empty). */
  public static EventFilter of(Collection<String> hosts, Collection<Long> pids, Collection<String> pnames,
      Collection<Integer> types, Collection<Integer> ports, Collection<String> modules) {
    return new EventFilter(set(hosts), set(pids), set(pnames), set(types), set(ports),
        modules == null ? Set.of() : modules.stream().map(m -> m.strip().toLowerCase(Locale.ROOT))
            .collect(java.util.stream.Collectors.toSet()));
  }

  private static <T> Set<T> set(Collection<T> values) {
    return values == null ? Set.of() : Set.copyOf(values);
  }

  public boolean isAll() {
    return hosts.isEmpty() && pids.isEmpty() && pnames.isEmpty() && types.isEmpty() && ports.isEmpty()
        && modules.isEmpty();
  }

  public boolean accepts(ParsedMessage m) {
    return (hosts.isEmpty() || hosts.contains(m.getHostId()))
        && (pids.isEmpty() || pids.contains(Integer.toUnsignedLong(m.getPid())))
        && (pnames.isEmpty() || pnames.contains(m.getComm()))
        && (types.isEmpty() || types.contains(EventKinds.type(m)))
        && (ports.isEmpty() || ports.contains(m.getSrc().getPort()) || ports.contains(m.getDst().getPort()))
        && (modules.isEmpty() || modules.contains(EventKinds.module(m)));
  }

  public boolean accepts(ProcessLog log) {
    return hosts.isEmpty() || hosts.contains(log.getHostId());
  }
}
