package io.ecapture.kafka.launcher;

import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The live-view scenario of issue 14, not a test: {@code up}'s fleet (a child broker JVM, the
 * collector on the system libssl, the streams processor, the gateway) with CLIENTS eCaptureQ
 * WebSocket clients attached (default 200) and one keep-alive HTTPS client making a request every
 * 500 ms (Python on the system OpenSSL, 4 events per request: client write and read, server read
 * and write). Latency per event and per client = client receive wall time - the event's kernel
 * timestamp (converted to Unix ns by the collector): probe, ring buffer, collector producer, Kafka,
 * processor and its transaction commit, gateway fetch and fan-out.
 *
 * <p>Each variant is a fleet with some latency knobs changed from the defaults; variants run
 * interleaved, ROUNDS times each, each run a fresh fleet with WARMUP seconds of traffic not
 * counted, then SECONDS counted. The traffic runs in a cgroup of its own and capture is
 * restricted to it, so other processes' TLS calls on a shared machine do not reach the pipeline.
 * Run with {@code bench/pipeline-latency.sh live SECONDS ROUNDS VARIANT...}, a variant being
 * {@code defaults} or comma-separated knobs: {@code commit=MS} (Kafka Streams
 * commit.interval.ms), {@code poll=MS} (Streams poll.ms), {@code plinger=MS} (the processor's
 * producer linger), {@code pwait=MS} (its main consumer's fetch.max.wait.ms), {@code clinger=MS}
 * (the collector's producer linger), {@code drain=MS} (the collector's ring-buffer drain
 * interval), {@code gwait=MS} (the gateway consumer's fetch.max.wait.ms), {@code alo} (the
 * at_least_once guarantee instead of exactly_once_v2), {@code pace=MS} and {@code burst=N} (the
 * processor's commit requests after an emit, {@code --commit-request-interval-ms} and {@code
 * --commit-request-burst}; {@code pace=-1} makes none).
 */
public final class LiveLatencyBench {
  private static final double REQUEST_RATE = 2; // one request every 500 ms
  private static final int EVENTS_PER_REQUEST = 4;

  private LiveLatencyBench() {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    List<String> variants = args.length > 2 ? List.of(Arrays.copyOfRange(args, 2, args.length))
        : List.of("defaults");
    int clients = Integer.getInteger("clients", 200);
    int warmup = Integer.getInteger("warmup", 10);
    Path dir = Files.createTempDirectory("live-latency-bench");
    Path script = Path.of("fleet-launcher/src/test/python/tls_keepalive_pair.py").toAbsolutePath();
    TlsTestServer.Certificate cert = TlsTestServer.Certificate.create(dir);
    Path cgroupRoot = cgroupRoot();
    System.out.printf("live latency: %d clients attached, a request every %.0f ms for %d s (after %d s"
            + " warm-up) per run, %d events per request, %d rounds of %s, interleaved%n",
        clients, 1000 / REQUEST_RATE, seconds, warmup, EVENTS_PER_REQUEST, rounds, variants);
    System.out.println("load at start: " + load());
    Map<String, List<double[]>> results = new LinkedHashMap<>();
    variants.forEach(v -> results.put(v, new ArrayList<>()));
    System.out.printf("%n%-40s %5s %9s %9s %8s %8s %8s %8s %8s%n", "variant", "round", "samples",
        "expected", "p50 ms", "p90 ms", "p99 ms", "max ms", "drops");
    for (int round = 1; round <= rounds; round++) {
      for (String variant : variants) {
        double[] r = run(variant, round, dir.resolve(round + "-" + results.get(variant).size() + "-"
            + variant.replaceAll("[^A-Za-z0-9]", "_")), script, cert, cgroupRoot, clients, warmup, seconds);
        results.get(variant).add(r);
      }
    }
    System.out.println("\nload at end: " + load());
    System.out.printf("%nsummary, median over %d rounds [min-max]; ratio = median / first variant's%n", rounds);
    System.out.printf("%-40s %-22s %-22s %9s %9s%n", "variant", "p50 ms", "p99 ms", "p50 ratio", "p99 ratio");
    double[] base = null;
    for (var e : results.entrySet()) {
      double[] p50 = e.getValue().stream().mapToDouble(r -> r[0]).sorted().toArray();
      double[] p99 = e.getValue().stream().mapToDouble(r -> r[2]).sorted().toArray();
      double m50 = median(p50);
      double m99 = median(p99);
      if (base == null) {
        base = new double[] {m50, m99};
      }
      System.out.printf("%-40s %-22s %-22s %9.2f %9.2f%n", e.getKey(),
          String.format("%.1f [%.1f-%.1f]", m50, p50[0], p50[p50.length - 1]),
          String.format("%.1f [%.1f-%.1f]", m99, p99[0], p99[p99.length - 1]), m50 / base[0], m99 / base[1]);
    }
  }

  /** One fresh fleet with the variant's knobs; returns {p50, p90, p99, max} in ms. */
  private static double[] run(String variant, int round, Path dataDir, Path script, TlsTestServer.Certificate cert,
      Path cgroupRoot, int clientCount, int warmup, int seconds) throws Exception {
    Map<String, String> streams = new LinkedHashMap<>();
    Map<String, String> kafka = new LinkedHashMap<>();
    FleetConfig.Builder builder = FleetConfig.builder(dataDir)
        .embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, 0)
        .gatewayListen("127.0.0.1:0")
        .capture(true).hostId("bench-host").collectorStatusPort(-1);
    Path cgroup = null;
    if (cgroupRoot != null) {
      cgroup = Files.createDirectory(cgroupRoot.resolve("ecapture-live-bench-" + ProcessHandle.current().pid()
          + "-" + System.nanoTime()));
      builder.collectorCgroups(List.of("/" + cgroupRoot.relativize(cgroup)));
    }
    long[] pacing = {io.ecapture.kafka.processor.CommitPacing.DEFAULT_INTERVAL.toMillis(),
        io.ecapture.kafka.processor.CommitPacing.DEFAULT_BURST};
    for (String knob : variant.equals("defaults") ? new String[0] : variant.split(",")) {
      String[] kv = knob.split("=", 2);
      String v = kv.length > 1 ? kv[1] : "";
      switch (kv[0]) {
        case "commit" -> streams.put("commit.interval.ms", v);
        case "poll" -> streams.put("poll.ms", v);
        case "plinger" -> streams.put("producer.linger.ms", v);
        case "pwait" -> streams.put("main.consumer.fetch.max.wait.ms", v);
        // the collector's producer takes the fleet's Kafka properties last; the processor's
        // producer-prefixed linger wins over an unprefixed one
        case "clinger" -> kafka.put("linger.ms", v);
        // the gateway's consumer takes them last too; the processor's main-consumer-prefixed wait wins
        case "gwait" -> kafka.put("fetch.max.wait.ms", v);
        case "drain" -> builder.collectorDrainInterval(Duration.ofMillis(Long.parseLong(v)));
        case "alo" -> builder.processingGuarantee("at_least_once");
        // the processor's commit requests after an emit (CommitPacing): pace=-1 turns them off
        case "pace" -> pacing[0] = Long.parseLong(v);
        case "burst" -> pacing[1] = Long.parseLong(v);
        // partitions of every pipeline topic (default 4): parts=1 puts the pair's two
        // connections (client and server side) on one partition, as 1 run in 4 does by chance
        case "parts" -> builder.partitions(Integer.parseInt(v));
        // batch=0: the processor requests a commit at every emitting record, not once per polled
        // batch (without its consumer interceptor, LastFetchedOffsets), as before 2026-12-06
        case "batch" -> {
          if (v.equals("0")) {
            streams.put("main.consumer.interceptor.classes", "");
          }
        }
        default -> throw new IllegalArgumentException("unknown knob " + kv[0] + " in " + variant);
      }
    }
    builder.processorStreamsOverrides(streams).kafkaProperties(kafka)
        .processorCommitPacing(io.ecapture.kafka.processor.CommitPacing.ofMillis(pacing[0], (int) pacing[1]));
    List<LatencyClient> clients = new ArrayList<>();
    HttpClient http = HttpClient.newHttpClient();
    try (Fleet fleet = Fleet.start(builder.build())) {
      if (!fleet.capturing()) {
        throw new IllegalStateException("capture unavailable: " + fleet.captureError());
      }
      fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60));
      awaitRunning(fleet, Duration.ofSeconds(120));
      for (int i = 0; i < clientCount; i++) {
        clients.add(new LatencyClient(http, fleet.gatewayPort()));
      }
      int requests = (int) ((warmup + seconds) * REQUEST_RATE);
      List<String> command = new ArrayList<>();
      if (cgroup != null) {
        command.addAll(List.of("/bin/sh", "-c", "echo $$ > \"$0\"/cgroup.procs && exec \"$@\"",
            cgroup.toString()));
      }
      command.addAll(List.of("python3", script.toString(), cert.cert().toString(), cert.key().toString(),
          Integer.toString(requests), Double.toString(REQUEST_RATE)));
      long countFromNs = unixNs() + warmup * 1_000_000_000L;
      Process pair = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(pair.getInputStream().readAllBytes()).trim();
      pair.waitFor(10, TimeUnit.MINUTES);
      if (!out.startsWith("done")) {
        throw new IllegalStateException("traffic generator failed: " + out);
      }
      long pid = pair.pid();
      int expected = seconds * (int) REQUEST_RATE * EVENTS_PER_REQUEST * clientCount;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      long[] sorted;
      do {
        Thread.sleep(500);
        sorted = clients.stream().flatMapToLong(c -> c.latencies(pid, countFromNs)).sorted().toArray();
      } while (sorted.length < expected && System.nanoTime() < deadline);
      double[] r = {percentile(sorted, 0.50), percentile(sorted, 0.90), percentile(sorted, 0.99),
          percentile(sorted, 1.0)};
      System.out.printf("%-40s %5d %9d %9d %8.1f %8.1f %8.1f %8.1f %8d%n", variant, round, sorted.length,
          expected, r[0], r[1], r[2], r[3], fleet.gateway().stats().framesDropped());
      String status = fleet.statusLine();
      System.out.println("    status: " + status.replaceAll("gateway\\[clients=\\d+", "gateway[")
          + "  load " + load());
      // the collector marks each partition it wrote to in the last seconds twice a second: the
      // pair's two connections on one partition or on two (chance, 1 in 4 with 4 partitions)
      java.util.regex.Matcher marks = java.util.regex.Pattern.compile("progress_marks=(\\d+)").matcher(status);
      if (marks.find()) {
        System.out.printf("    raw partitions the pair wrote to: about %.1f (progress marks %s over %d s)%n",
            Long.parseLong(marks.group(1)) / (2.0 * (warmup + seconds)), marks.group(1), warmup + seconds);
      }
      return r;
    } finally {
      clients.forEach(LatencyClient::close);
      if (cgroup != null) {
        Files.deleteIfExists(cgroup);
      }
      deleteTree(dataDir); // a run's broker data: megabytes per run, nothing to keep
    }
  }

  static void deleteTree(Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void awaitRunning(Fleet fleet, Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!fleet.statusLine().contains("processor[RUNNING")) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("processor not RUNNING: " + fleet.statusLine());
      }
      Thread.sleep(100);
    }
  }

  /** The cgroup2 mount, or null (then other processes' TLS calls reach the pipeline too). */
  static Path cgroupRoot() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
      String[] f = line.split(" ");
      if (f.length > 2 && f[2].equals("cgroup2")) {
        return Path.of(f[1]);
      }
    }
    System.out.println("no cgroup2 mount: capturing every process");
    return null;
  }

  static String load() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (Exception e) {
      return "?";
    }
  }

  static long unixNs() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  static double percentile(long[] sortedNs, double q) {
    if (sortedNs.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.min(sortedNs.length - 1, Math.ceil(q * sortedNs.length) - 1);
    return sortedNs[Math.max(0, index)] / 1e6;
  }

  /**
   * A light eCaptureQ client (one shared JDK HttpClient for all): keeps (pid, event timestamp,
   * receive time) of each event frame and nothing else.
   */
  static final class LatencyClient implements WebSocket.Listener {
    private final java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();
    private final WebSocket socket;
    private long[] rows = new long[3 * 1024];
    private int size;

    LatencyClient(HttpClient http, int port) {
      socket = http.newWebSocketBuilder().header("Origin", "http://localhost/")
          .connectTimeout(Duration.ofSeconds(30))
          .buildAsync(URI.create("ws://127.0.0.1:" + port + "/"), this).join();
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      long received = unixNs();
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      partial.writeBytes(bytes);
      if (last) {
        try {
          LogEntry entry = LogEntry.parseFrom(partial.toByteArray());
          if (entry.getLogType() == LogType.EVENT) {
            Event e = entry.getEventPayload();
            add(e.getPid(), e.getTimestamp(), received);
          }
        } catch (Exception e) {
          // counted as missing
        }
        partial.reset();
      }
      ws.request(1);
      return null;
    }

    private synchronized void add(long pid, long eventNs, long receivedNs) {
      if (size + 3 > rows.length) {
        rows = Arrays.copyOf(rows, rows.length * 2);
      }
      rows[size++] = pid;
      rows[size++] = eventNs;
      rows[size++] = receivedNs;
    }

    /** Latencies (ns) of the events of one process with a timestamp from {@code fromNs} on. */
    synchronized java.util.stream.LongStream latencies(long pid, long fromNs) {
      java.util.stream.LongStream.Builder b = java.util.stream.LongStream.builder();
      for (int i = 0; i < size; i += 3) {
        if (rows[i] == pid && rows[i + 1] >= fromNs) {
          b.add(rows[i + 2] - rows[i + 1]);
        }
      }
      return b.build();
    }

    void close() {
      socket.abort();
    }
  }
}
