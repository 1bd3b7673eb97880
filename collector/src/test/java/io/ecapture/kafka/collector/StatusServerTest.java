package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class StatusServerTest {
  private static final CollectorStats.Snapshot SNAPSHOT = new CollectorStats.Snapshot(12, 3400, 5, 600, 1, 2, 3, 11, 4, 7, 9, 13, 1, 4096, 2, 0, 30, 60, 5, 8);

  @Test
  void servesStatusJsonAndPrometheusMetricsOnLoopback() throws Exception {
    try (StatusServer server = StatusServer.start(0, "edge-\"1\"", () -> SNAPSHOT);
        HttpClient client = HttpClient.newHttpClient()) {
      String base = "http://127.0.0.1:" + server.port();
      HttpResponse<String> status = client.send(HttpRequest.newBuilder(URI.create(base + "/status")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, status.statusCode());
      assertTrue(status.body().contains("\"hostId\":\"edge-\\\"1\\\"\""), status.body());
      assertTrue(status.body().contains("\"captured\":12"), status.body());
      assertTrue(status.body().contains("\"droppedInKernel\":5"), status.body());
      assertTrue(status.body().contains("\"sendErrors\":4"), status.body());
      assertTrue(status.body().contains("\"handshakes\":8"), status.body());
      assertTrue(status.body().contains("\"keyLogLines\":5"), status.body());

      HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
      assertTrue(metrics.body().contains("# TYPE ecapture_collector_kernel_dropped_records_total counter\n"), metrics.body());
      assertTrue(metrics.body().contains("ecapture_collector_kernel_dropped_records_total{host=\"edge-\\\"1\\\"\"} 5\n"), metrics.body());
      assertTrue(metrics.body().contains("ecapture_collector_sent_records_total{host=\"edge-\\\"1\\\"\"} 11\n"), metrics.body());
      assertTrue(metrics.body().contains("# TYPE ecapture_collector_tracked_connections gauge\n"), metrics.body());
      assertTrue(metrics.body().contains("ecapture_collector_tls_handshakes_total{host=\"edge-\\\"1\\\"\"} 8\n"), metrics.body());
      assertTrue(metrics.body().contains("ecapture_collector_keylog_lines_total{host=\"edge-\\\"1\\\"\"} 5\n"), metrics.body());
      assertTrue(metrics.body().contains("# HELP ecapture_collector_spooled_records_total Records appended to the on-disk spool, once each: capture events plus key-log lines"), metrics.body());

      HttpResponse<String> post = client.send(
          HttpRequest.newBuilder(URI.create(base + "/status")).POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
    }
  }
}
