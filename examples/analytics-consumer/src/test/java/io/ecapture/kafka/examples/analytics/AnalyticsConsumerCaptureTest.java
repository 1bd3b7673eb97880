package io.ecapture.kafka.examples.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.KubePodCgroup;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.launcher.Fleet;
import io.ecapture.kafka.launcher.FleetConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example against real captured traffic: the whole pipeline on this machine (broker,
 * collector with eBPF probes, processor), curl requesting two paths from openssl s_server, and
 * once more from inside a pod (cgroups and kubelet log directories made as on a Kubernetes node),
 * then the consumer reading {@code ecapture.parsed} with nothing but kafka-clients and the schema
 * jar: requests per host and per pod, top paths, latency per service.
 */
class AnalyticsConsumerCaptureTest {
  @TempDir Path dir;

  private static final String POD = "checkout-7d9f8b6c5d-x2x9z";

  @Test
  void reportsRatesTopPathsAndLatencyOfCapturedRequests() throws Exception {
    EbpfEnvironment.requireEbpf();
    try (KubePodCgroup pod = KubePodCgroup.create(dir.resolve("log"), "payments", POD, "app")) {
      run(pod);
    }
  }

  private void run(KubePodCgroup pod) throws Exception {
    FleetConfig config = FleetConfig.builder(dir.resolve("data"))
        .embeddedBroker(FleetConfig.BrokerMode.IN_PROCESS, 0)
        .partitions(2)
        .gatewayListen("127.0.0.1:0")
        .capture(true).hostId("analytics-host").collectorStatusPort(-1)
        .idleFlush(Duration.ofMillis(300))
        .podLogRoot(pod.podLogRoot)
        .build();
    try (Fleet fleet = Fleet.start(config); TlsTestServer server = TlsTestServer.start(dir, false)) {
      if (!fleet.capturing()) {
        EbpfEnvironment.unavailable(fleet.captureError());
      }
      for (int i = 0; i < 3; i++) {
        curl(server.port(), "/analytics/a?i=" + i);
      }
      curl(server.port(), "/analytics/b");
      Process inPod = pod.start(List.of("curl", "-sk", "--http1.1", "https://127.0.0.1:" + server.port() + "/analytics/pod"));
      inPod.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
      assertTrue(inPod.waitFor(30, TimeUnit.SECONDS) && inPod.exitValue() == 0, "curl in the pod");

      Path clientConfig = dir.resolve("client.properties");
      Files.writeString(clientConfig, "client.id=analytics-example-test\n");
      AnalyticsConsumer.Options options = AnalyticsConsumer.Options.parse(List.of(
          "--bootstrap", fleet.bootstrapServers(), "--command-config", clientConfig.toString(),
          "--from", "earliest"));
      AnalyticsConsumer consumer = new AnalyticsConsumer(options.properties());
      ByteArrayOutputStream printed = new ByteArrayOutputStream();
      TrafficReport report = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      // curl's requests are seen twice: curl's own SSL_write and s_server's SSL_read
      while (System.nanoTime() < deadline && (report == null || pathCount(report, "GET /analytics/a") < 3
          || pathCount(report, "GET /analytics/b") < 1 || pathCount(report, "GET /analytics/pod") < 1
          || !report.requestsByPod().containsKey("payments/" + POD) || report.latencyPercentile(50).isEmpty())) {
        report = consumer.run(Duration.ofSeconds(1), Duration.ofSeconds(3), 10,
            new PrintStream(printed, true, StandardCharsets.UTF_8));
      }
      String text = printed.toString(StandardCharsets.UTF_8);
      assertTrue(pathCount(report, "GET /analytics/a") >= 3, text);
      assertTrue(pathCount(report, "GET /analytics/b") >= 1, text);
      assertEquals(List.of("analytics-host"), List.copyOf(report.requestsByHost().keySet()), text);
      assertTrue(report.requestsByPod().containsKey("(no pod)"), text);
      // curl's own request in the pod counts for the pod; s_server's reading of it does not
      assertTrue(report.requestsByPod().getOrDefault("payments/" + POD, 0L) >= 1, text);
      assertTrue(text.contains("requests per pod:") && text.contains("payments/" + POD), text);
      // curl names the server as Host: 127.0.0.1:PORT; its responses are paired with latency
      Map<String, Long> p50 = report.latencyPercentile(50);
      String service = "127.0.0.1:" + server.port();
      assertTrue(p50.containsKey(service), text);
      assertTrue(p50.get(service) > 0 && report.latencyPercentile(99).get(service) >= p50.get(service), text);
      assertTrue(text.contains("top paths:") && text.contains("GET /analytics/a"), text);
      assertEquals(0, consumer.undecodable());
    }
  }

  private static long pathCount(TrafficReport report, String path) {
    return report.topPaths(100).stream().filter(e -> e.getKey().equals(path))
        .mapToLong(Map.Entry::getValue).sum();
  }

  private static void curl(int port, String path) throws Exception {
    Process curl = new ProcessBuilder("curl", "-sk", "--http1.1", "https://127.0.0.1:" + port + path)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertTrue(curl.waitFor(30, TimeUnit.SECONDS) && curl.exitValue() == 0, "curl " + path);
  }
}
