package io.ecapture.kafka.examples.analytics;

import io.ecapture.kafka.proto.capture.Workload;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an analytics team typically computes from {@code ecapture.parsed}: request rates per host
 * and per pod, the most requested paths, and latency percentiles per service. Fed one record at a
 * time; holds bounded state (pending requests and latency samples are capped).
 *
 * <p>Requests are {@link MessageKind#REQUEST} messages with HTTP fields. A response carries
 * {@code latency_ns} (first response byte minus last request byte) and the {@code pair_id} of its
 * request; its service is the request's {@code :authority}/{@code Host}, else the server
 * endpoint.
 */
public final class TrafficReport {
  /** Requests remembered for pairing; the oldest are forgotten past this. */
  static final int MAX_PENDING = 100_000;
  /** Latency samples kept per service; later ones replace random earlier ones (reservoir). */
  static final int MAX_SAMPLES = 10_000;

  private final Map<String, Long> requestsByHost = new TreeMap<>();
  private final Map<String, Long> requestsByPod = new TreeMap<>();
  private final Map<String, Long> requestsByPath = new HashMap<>();
  private final Map<String, Latencies> latencyByService = new TreeMap<>();
  private final LinkedHashMap<String, String> serviceOfPending =
      new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
          return size() > MAX_PENDING;
        }
      };
  private long requests;
  private long firstNs = Long.MAX_VALUE;
  private long lastNs = Long.MIN_VALUE;

  /** Counts one record of {@code ecapture.parsed}. */
  public void add(ParsedMessage m) {
    if (!m.hasHttp()) {
      return;
    }
    if (m.getFirstByteTimeNs() > 0) {
      firstNs = Math.min(firstNs, m.getFirstByteTimeNs());
      lastNs = Math.max(lastNs, m.getFirstByteTimeNs());
    }
    if (m.getKind() == MessageKind.REQUEST) {
      requests++;
      requestsByHost.merge(m.getHostId(), 1L, Long::sum);
      requestsByPod.merge(pod(m.getWorkload()), 1L, Long::sum);
      requestsByPath.merge(m.getHttp().getMethod() + " " + path(m.getHttp().getPath()), 1L, Long::sum);
      if (!m.getPairId().isEmpty()) {
        serviceOfPending.put(m.getPairId(), service(m));
      }
    } else if (m.getKind() == MessageKind.RESPONSE && m.getLatencyNs() > 0) {
      String service = serviceOfPending.remove(m.getPairId());
      latencyByService.computeIfAbsent(service != null ? service : endpoint(m.getDst()),
          s -> new Latencies()).add(m.getLatencyNs());
    }
  }

  public long requests() {
    return requests;
  }

  /** Requests per host id. */
  public Map<String, Long> requestsByHost() {
    return Map.copyOf(requestsByHost);
  }

  /** Requests per {@code namespace/pod}, {@code "(no pod)"} for processes outside Kubernetes. */
  public Map<String, Long> requestsByPod() {
    return Map.copyOf(requestsByPod);
  }

  /** The {@code n} most requested {@code METHOD /path} with their counts, most first. */
  public List<Map.Entry<String, Long>> topPaths(int n) {
    return requestsByPath.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .limit(n)
        .map(e -> Map.entry(e.getKey(), e.getValue()))
        .toList();
  }

  /** Latency percentile {@code p} (0..100, nearest rank) per service, in nanoseconds. */
  public Map<String, Long> latencyPercentile(double p) {
    Map<String, Long> out = new TreeMap<>();
    latencyByService.forEach((service, l) -> out.put(service, l.percentile(p)));
    return out;
  }

  /** Seconds between the first and the last message seen (at least 1). */
  public double windowSeconds() {
    return lastNs > firstNs ? Math.max(1.0, (lastNs - firstNs) / 1e9) : 1.0;
  }

  /** The report as text, one section per question. */
  public String render(int topN) {
    StringBuilder out = new StringBuilder();
    double window = windowSeconds();
    out.append(String.format("%d requests over %.1f s%n", requests, window));
    out.append("requests per host:\n");
    requestsByHost.forEach((host, n) -> out.append(String.format("  %-32s %8d  %8.2f/s%n", host, n, n / window)));
    out.append("requests per pod:\n");
    requestsByPod.forEach((pod, n) -> out.append(String.format("  %-32s %8d  %8.2f/s%n", pod, n, n / window)));
    out.append("top paths:\n");
    topPaths(topN).forEach(e -> out.append(String.format("  %8d  %s%n", e.getValue(), e.getKey())));
    out.append("latency per service (p50 / p99, ms):\n");
    latencyByService.forEach((service, l) -> out.append(String.format("  %-32s %8.2f / %8.2f  (%d responses)%n",
        service, l.percentile(50) / 1e6, l.percentile(99) / 1e6, l.count)));
    return out.toString();
  }

  private static String service(ParsedMessage request) {
    String authority = request.getHttp().getAuthority();
    if (authority.isEmpty()) {
      authority = request.getHttp().getHeadersList().stream()
          .filter(h -> h.getName().equalsIgnoreCase("host")).map(h -> h.getValue()).findFirst().orElse("");
    }
    return authority.isEmpty() ? endpoint(request.getDst()) : authority;
  }

  private static String endpoint(Endpoint e) {
    if (e.getIp().isEmpty()) {
      return "(unknown)";
    }
    return (e.getIp().indexOf(':') >= 0 ? "[" + e.getIp() + "]" : e.getIp()) + ":" + e.getPort();
  }

  private static String pod(Workload w) {
    return w.getPodName().isEmpty() ? "(no pod)" : w.getPodNamespace() + "/" + w.getPodName();
  }

  /** The path without its query string, which would make every request distinct. */
  private static String path(String path) {
    int query = path.indexOf('?');
    return query < 0 ? path : path.substring(0, query);
  }

  /** A bounded uniform sample of one service's latencies (Vitter's algorithm R). */
  private static final class Latencies {
    private final List<Long> samples = new ArrayList<>();
    private final java.util.SplittableRandom random = new java.util.SplittableRandom(1);
    private long count;

    void add(long ns) {
      count++;
      if (samples.size() < MAX_SAMPLES) {
        samples.add(ns);
      } else {
        long slot = random.nextLong(count);
        if (slot < MAX_SAMPLES) {
          samples.set((int) slot, ns);
        }
      }
    }

    long percentile(double p) {
      List<Long> sorted = new ArrayList<>(samples);
      sorted.sort(Comparator.naturalOrder());
      int rank = (int) Math.ceil(p / 100.0 * sorted.size());
      return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
  }
}
