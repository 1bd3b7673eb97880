package io.ecapture.kafka.launcher;

import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * End-to-end latency of the whole product, not a test: real probes on the system libssl, the
 * collector, a real broker, the streams processor (exactly-once) and the gateway, measured at an
 * eCaptureQ-style WebSocket client as (receive wall time - event timestamp). The event timestamp
 * is the kernel time of the message's first byte converted to Unix ns by the collector, so the
 * figure covers probe, ring buffer, Kafka produce, processing and commit, and fan-out.
 *
 * <p>Traffic: a Python TLS client/server pair (both on the system OpenSSL) doing keep-alive
 * HTTP/1.1 at a fixed request rate; each exchange yields 4 events (client write and read, server
 * read and write). The same traffic runs four times in one run: at_least_once and exactly_once_v2
 * (the default, whose transaction commits add latency), each with the earlier latency settings
 * (collector drain 50 ms, Kafka Streams' producer linger 100 ms: the baseline) and with today's
 * defaults; the ratios are printed. Run with {@code bench/pipeline-latency.sh}.
 */
public final class PipelineLatencyBench {
  private PipelineLatencyBench() {}

  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    double[] rates = args.length > 1
        ? Arrays.stream(args[1].split(",")).mapToDouble(Double::parseDouble).toArray()
        : new double[] {100, 500, 0};
    Path dir = Files.createTempDirectory("pipeline-bench");
    Path script = Path.of("fleet-launcher/src/test/python/tls_keepalive_pair.py").toAbsolutePath();
    TlsTestServer.Certificate cert = TlsTestServer.Certificate.create(dir);
    System.out.printf("pipeline latency: %d keep-alive requests per run, 4 events each%n", requests);
    // earlier tuning, the baseline of the latency settings: collector drain 50 ms, Streams' producer linger 100 ms
    Map<String, List<double[]>> results = new java.util.LinkedHashMap<>();
    for (String guarantee : new String[] {"at_least_once", "exactly_once_v2"}) {
      for (boolean earlier : new boolean[] {true, false}) {
        String name = guarantee + (earlier ? " (drain 50 ms, linger 100 ms)" : " (defaults)");
        FleetConfig.Builder builder = FleetConfig.builder(dir.resolve(guarantee + (earlier ? "-earlier" : "")))
            .embeddedBroker(FleetConfig.BrokerMode.IN_PROCESS, 0)
            .gatewayListen("127.0.0.1:0")
            .capture(true).hostId("bench-host").collectorStatusPort(-1)
            .processingGuarantee(guarantee);
        if (earlier) {
          builder.collectorDrainInterval(Duration.ofMillis(50))
              .processorStreamsOverrides(Map.of("producer.linger.ms", "100"));
        }
        FleetConfig config = builder.build();
        System.out.printf("%n%s", name);
        results.put(name, run(config, script, cert, requests, rates));
      }
    }
    List<String> names = List.copyOf(results.keySet());
    ratios("at_least_once: defaults / earlier tuning", results.get(names.get(1)), results.get(names.get(0)), rates);
    ratios("exactly_once_v2: defaults / earlier tuning", results.get(names.get(3)), results.get(names.get(2)), rates);
    ratios("defaults: exactly_once_v2 / at_least_once", results.get(names.get(3)), results.get(names.get(1)), rates);
  }

  private static void ratios(String title, List<double[]> rows, List<double[]> baseline, double[] rates) {
    System.out.printf("%nratio %s:%n%-10s %10s %10s%n", title, "rate", "p50", "p99");
    for (int i = 0; i < rows.size(); i++) {
      System.out.printf("%-10s %10.2f %10.2f%n", label(rates[i]),
          rows.get(i)[0] / baseline.get(i)[0], rows.get(i)[1] / baseline.get(i)[1]);
    }
  }

  /** One fleet, every rate; returns {p50, p99} in ms per rate. */
  private static List<double[]> run(FleetConfig config, Path script, TlsTestServer.Certificate cert,
      int requests, double[] rates) throws Exception {
    List<double[]> rows = new ArrayList<>();
    System.out.printf("%n%-10s %10s %10s %10s %10s %10s %10s%n",
        "rate", "req/s", "events", "expected", "p50 ms", "p99 ms", "max ms");
    try (Fleet fleet = Fleet.start(config)) {
      if (!fleet.capturing()) {
        throw new IllegalStateException("capture unavailable: " + fleet.captureError());
      }
      fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60));
      for (double rate : rates) {
        try (EcaptureqTestClient client = new EcaptureqTestClient(fleet.gatewayPort(), "/?pname=python3")) {
          Process pair = new ProcessBuilder("python3", script.toString(), cert.cert().toString(),
              cert.key().toString(), Integer.toString(requests), Double.toString(rate))
              .redirectErrorStream(true).start();
          String out = new String(pair.getInputStream().readAllBytes()).trim();
          pair.waitFor(10, TimeUnit.MINUTES);
          String[] done = out.split("\\s+");
          if (done.length < 3 || !done[0].equals("done")) {
            throw new IllegalStateException("traffic generator failed: " + out);
          }
          double seconds = Double.parseDouble(done[2]);
          int expected = requests * 4;
          List<Long> latencies = awaitEvents(client, pair.pid(), expected, Duration.ofSeconds(60));
          long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
          double p50 = percentile(sorted, 0.50);
          double p99 = percentile(sorted, 0.99);
          rows.add(new double[] {p50, p99});
          System.out.printf("%-10s %10.0f %10d %10d %10.1f %10.1f %10.1f%n", label(rate), requests / seconds,
              sorted.length, expected, p50, p99, percentile(sorted, 1.0));
        }
      }
      System.out.println("status: " + fleet.statusLine());
    }
    return rows;
  }

  private static String label(double rate) {
    return rate == 0 ? "max" : String.format("%.0f/s", rate);
  }

  /** Latencies (ns) of the events of one process, once all expected arrived or the wait ended. */
  private static List<Long> awaitEvents(EcaptureqTestClient client, long pid, int expected, Duration wait)
      throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    List<Long> latencies = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      latencies.clear();
      for (EcaptureqTestClient.Received r : client.frames()) {
        if (r.entry().getLogType() == LogType.EVENT && r.entry().getEventPayload().getPid() == pid) {
          Event e = r.entry().getEventPayload();
          latencies.add(r.receivedUnixNs() - e.getTimestamp());
        }
      }
      if (latencies.size() >= expected) {
        break;
      }
      Thread.sleep(200);
    }
    return latencies;
  }

  private static double percentile(long[] sortedNs, double q) {
    if (sortedNs.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.min(sortedNs.length - 1, Math.ceil(q * sortedNs.length) - 1);
    return sortedNs[Math.max(0, index)] / 1e6;
  }
}
