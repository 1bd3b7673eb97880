package io.ecapture.kafka.launcher;

import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The first event after {@code up} starts, not a test: the real command (a child JVM on this
 * class path, its broker a grandchild) on a fresh data directory; as soon as it prints
 * "ecapture-kafka is up" an eCaptureQ client attaches and one HTTPS request is made (Python on the
 * system OpenSSL, in a cgroup of its own to which capture is restricted). Prints, per round: start
 * to "is up", "is up" to the request's first byte (client attach, Python start), and the first
 * event's kernel timestamp to its receipt by the client (the request's own latency), and start to
 * that receipt. Run with {@code bench/pipeline-latency.sh first [ROUNDS] [-- extra up options]}.
 */
public final class FirstEventBench {
  private FirstEventBench() {}

  /** One HTTPS request by a new Python process in the cgroup; its first event at the client, or null. */
  private static EcaptureqTestClient.Received request(EcaptureqTestClient client, Path cgroup, Path script,
      TlsTestServer.Certificate cert) throws Exception {
    Process pair = new ProcessBuilder("/bin/sh", "-c", "echo $$ > \"$0\"/cgroup.procs && exec \"$@\"",
        cgroup.toString(), "python3", script.toString(), cert.cert().toString(), cert.key().toString(),
        "1", "0").redirectErrorStream(true).start();
    String out = new String(pair.getInputStream().readAllBytes()).trim();
    pair.waitFor(1, TimeUnit.MINUTES);
    if (!out.startsWith("done")) {
      throw new IllegalStateException("traffic generator failed: " + out);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      for (EcaptureqTestClient.Received r : client.frames()) {
        if (r.entry().getLogType() == LogType.EVENT && r.entry().getEventPayload().getPid() == pair.pid()) {
          return r;
        }
      }
      Thread.sleep(20);
    }
    return null;
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    List<String> extra = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      if (!args[i].equals("--")) {
        extra.add(args[i]);
      }
    }
    Path dir = Files.createTempDirectory("first-event-bench");
    Path script = Path.of("fleet-launcher/src/test/python/tls_keepalive_pair.py").toAbsolutePath();
    TlsTestServer.Certificate cert = TlsTestServer.Certificate.create(dir);
    Path cgroupRoot = LiveLatencyBench.cgroupRoot();
    if (cgroupRoot == null) {
      throw new IllegalStateException("needs a cgroup2 mount");
    }
    System.out.printf("first event after `up` starts (fresh data directory each round, up options %s)%n", extra);
    System.out.println("load at start: " + LiveLatencyBench.load());
    System.out.printf("%-6s %12s %14s %17s %16s %18s%n", "round", "start->up ms", "up->request ms",
        "request->client ms", "start->client ms", "2nd request ms");
    List<double[]> rows = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      Path cgroup = Files.createDirectory(cgroupRoot.resolve("ecapture-first-bench-" + ProcessHandle.current().pid()
          + "-" + round));
      int listen = EmbeddedKafka.freePort();
      List<String> upArgs = new ArrayList<>(List.of("--kafka-port", Integer.toString(EmbeddedKafka.freePort()),
          "--listen", "127.0.0.1:" + listen, "--collector-status-port", "-1",
          "--cgroup", "/" + cgroupRoot.relativize(cgroup), "--status-interval-s", "0"));
      upArgs.addAll(extra);
      long startNs = LiveLatencyBench.unixNs();
      try (UpProcess up = UpProcess.start("up" + round, dir.resolve("data-" + round), upArgs)) {
        if (!up.awaitUp(Duration.ofMinutes(3))) {
          throw new IllegalStateException("up did not start: " + up.stderr());
        }
        long upNs = LiveLatencyBench.unixNs();
        try (EcaptureqTestClient client = new EcaptureqTestClient(listen)) {
          EcaptureqTestClient.Received first = request(client, cgroup, script, cert);
          if (first == null) {
            System.out.printf("%-6d %12.0f   no event within 60 s%n", round, (upNs - startNs) / 1e6);
            continue;
          }
          long eventNs = first.entry().getEventPayload().getTimestamp();
          // a second request right after: what the first one paid beyond it is cold start
          EcaptureqTestClient.Received second = request(client, cgroup, script, cert);
          double secondMs = second == null ? Double.NaN
              : (second.receivedUnixNs() - second.entry().getEventPayload().getTimestamp()) / 1e6;
          double[] row = {(upNs - startNs) / 1e6, (eventNs - upNs) / 1e6, (first.receivedUnixNs() - eventNs) / 1e6,
              (first.receivedUnixNs() - startNs) / 1e6, secondMs};
          rows.add(row);
          System.out.printf("%-6d %12.0f %14.0f %17.0f %16.0f %18.0f%n", round, row[0], row[1], row[2], row[3],
              row[4]);
        }
        for (String line : up.stderr().split("\n")) {
          if (line.contains("State transition from") && line.contains("RUNNING")
              || line.contains("Streams") && line.contains("RUNNING")) {
            System.out.println("    up: " + line.strip());
          }
        }
      } finally {
        Files.deleteIfExists(cgroup);
        LiveLatencyBench.deleteTree(dir.resolve("data-" + round));
      }
    }
    System.out.println("load at end: " + LiveLatencyBench.load());
    for (int i = 0; i < 5; i++) {
      final int c = i;
      double[] sorted = rows.stream().mapToDouble(r -> r[c]).sorted().toArray();
      if (sorted.length > 0) {
        System.out.printf("%s: median %.0f ms [%.0f-%.0f]%n",
            new String[] {"start->up", "up->request", "request->client", "start->client", "2nd request->client"}[i],
            sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1]);
      }
    }
  }
}
