package io.ecapture.kafka.collector.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ecapture.kafka.collector.sink.KafkaCaptureSink;
import io.ecapture.kafka.collector.sink.ProducerSettings;
import io.ecapture.kafka.common.Json;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StatusServerTest {
  private static final CollectorStats.Snapshot SNAPSHOT = new CollectorStats.Snapshot(12, 3400, 5, 600, 1, 2, 3, 11, 4, 7, 9, 13, 1, 4096, 2, 0, 30, 60, 5, 8, 6, 2, 3, 0, 0, 0, 0);

  @Test
  void servesStatusJsonAndPrometheusMetricsOnLoopback() throws Exception {
    CollectorStatus status = new CollectorStatus("edge-\"1\"", () -> SNAPSHOT, FilterControl.NONE, List::of, "socket tracepoints", Map::of);
    try (StatusServer server = StatusServer.start(0, status);
        HttpClient client = HttpClient.newHttpClient()) {
      String base = "http://127.0.0.1:" + server.port();
      HttpResponse<String> statusReply = get(client, base + "/status");
      assertEquals(200, statusReply.statusCode());
      String body = statusReply.body();
      assertTrue(body.contains("\"hostId\":\"edge-\\\"1\\\"\""), body);
      assertTrue(body.contains("\"captured\":12"), body);
      assertTrue(body.contains("\"droppedInKernel\":5"), body);
      assertTrue(body.contains("\"sendErrors\":4"), body);
      assertTrue(body.contains("\"handshakes\":8"), body);
      assertTrue(body.contains("\"keyLogLines\":5"), body);
      assertTrue(body.contains("\"ringBufferHandlerFailures\":6"), body);
      assertTrue(body.contains("\"processLogsDropped\":2"), body);
      assertTrue(body.contains("\"controlRefused\":3"), body);

      HttpResponse<String> metrics = get(client, base + "/metrics");
      assertEquals(200, metrics.statusCode());
      String text = metrics.body();
      assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
      assertTrue(text.contains("# TYPE ecapture_collector_kernel_dropped_records_total counter\n"), text);
      assertTrue(text.contains("ecapture_collector_kernel_dropped_records_total{host=\"edge-\\\"1\\\"\"} 5.0\n"), text);
      assertTrue(text.contains("ecapture_collector_sent_records_total{host=\"edge-\\\"1\\\"\"} 11.0\n"), text);
      assertTrue(text.contains("# TYPE ecapture_collector_tracked_connections gauge\n"), text);
      assertTrue(text.contains("ecapture_collector_tls_handshakes_total{host=\"edge-\\\"1\\\"\"} 8.0\n"), text);
      assertTrue(text.contains("ecapture_collector_keylog_lines_total{host=\"edge-\\\"1\\\"\"} 5.0\n"), text);
      assertTrue(text.contains("ecapture_collector_ring_buffer_handler_failures_total{host=\"edge-\\\"1\\\"\"} 6.0\n"), text);
      assertTrue(text.contains("ecapture_collector_process_logs_dropped_total{host=\"edge-\\\"1\\\"\"} 2.0\n"), text);
      assertTrue(text.contains("ecapture_collector_control_requests_refused_total{host=\"edge-\\\"1\\\"\"} 3.0\n"), text);
      assertTrue(text.contains("# HELP ecapture_collector_spooled_records_total Records appended to the on-disk spool, once each: capture events plus key-log lines"), text);

      HttpResponse<String> post = client.send(
          HttpRequest.newBuilder(URI.create(base + "/status")).POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
    }
  }

  @Test
  void anyCharacterInALibraryPathOrHostIdKeepsStatusValidJson() throws Exception {
    String path = "/tmp/we\"ird\\dir\nwith\ttabs\u0001and-ü/libssl.so.3";
    String hostId = "host\nwith \"quotes\"";
    List<LibraryStatus> libraries = List.of(
        new LibraryStatus(path, "openssl", "3.0.17", "on", "discovered", List.of(7, 42)));
    CaptureFilter filter = new CaptureFilter(Set.of(3), Set.of(), Set.of("py \"x\""));
    FilterControl control = fixed(filter);
    try (StatusServer server = StatusServer.start(0, new CollectorStatus(hostId, () -> SNAPSHOT, control, () -> libraries, "socket tracepoints", Map::of));
        HttpClient client = HttpClient.newHttpClient()) {
      HttpResponse<String> reply = get(client, "http://127.0.0.1:" + server.port() + "/status");
      assertEquals(200, reply.statusCode());
      assertTrue(reply.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
      JsonNode status = Json.tree(reply.body());
      assertEquals(hostId, status.get("hostId").asText());
      assertEquals(12, status.get("captured").asLong());
      JsonNode library = status.get("libraries").get(0);
      assertEquals(path, library.get("path").asText(), "the path round-trips");
      assertEquals("openssl", library.get("kind").asText());
      assertEquals("on", library.get("keyCapture").asText());
      assertEquals("discovered", library.get("origin").asText());
      assertEquals("[7,42]", library.get("pids").toString());
      assertEquals(filter, CaptureFilter.fromJson(status.get("filter").toString()));
    }
  }

  @Test
  void configAnswersWithTheFilterAndRejectsBadBodiesWithTheReason() throws Exception {
    AtomicReference<CaptureFilter> current = new AtomicReference<>(CaptureFilter.ALL);
    FilterControl control = new FilterControl() {
      @Override
      public CaptureFilter current() {
        return current.get();
      }

      @Override
      public void update(CaptureFilter next) {
        if (next.pids().contains(99)) {
          throw new IllegalStateException("no OpenSSL function could be probed for pids [99]");
        }
        current.set(next);
      }
    };
    ControlToken token = ControlToken.random();
    try (StatusServer server = StatusServer.start(0, new CollectorStatus("h", () -> SNAPSHOT, control, List::of, "socket tracepoints", Map::of), token);
        HttpClient client = HttpClient.newHttpClient()) {
      String config = "http://127.0.0.1:" + server.port() + "/config";
      assertEquals("{\"pids\":[],\"uids\":[],\"comms\":[]}\n", get(client, config).body());
      HttpResponse<String> ok = post(client, config, token, "{\"pids\":[5,4],\"comms\":[\"curl\"]}");
      assertEquals(200, ok.statusCode());
      assertEquals("{\"pids\":[4,5],\"uids\":[],\"comms\":[\"curl\"]}\n", ok.body());
      HttpResponse<String> bad = post(client, config, token, "{\"pid\":[1]}");
      assertEquals(400, bad.statusCode());
      assertTrue(bad.body().contains("unknown key 'pid'"), bad.body());
      HttpResponse<String> refused = post(client, config, token, "{\"pids\":[99]}");
      assertEquals(409, refused.statusCode());
      assertTrue(refused.body().startsWith("filter not applied: no OpenSSL function"), refused.body());
      assertEquals(Set.of(4, 5), current.get().pids(), "a refused filter changes nothing");
    }
  }

  @Test
  void metricsIncludeTheKafkaProducersOwnMetrics() throws Exception {
    int deadPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      deadPort = socket.getLocalPort(); // nothing listens: the producer exists, its metrics too
    }
    CollectorStats stats = new CollectorStats();
    try (KafkaCaptureSink sink = new KafkaCaptureSink(
        new ProducerSettings("127.0.0.1:" + deadPort, "metrics-host", Map.of("max.block.ms", "100")), stats)) {
      String text = new CollectorStatus("metrics-host", stats::snapshot, FilterControl.NONE, List::of, "socket tracepoints", sink::kafkaMetrics).metrics();
      assertTrue(text.contains("ecapture_collector_captured_records_total{host=\"metrics-host\"} 0.0\n"), text);
      assertTrue(text.lines().anyMatch(l -> l.startsWith("kafka_producer_metrics_")
          && l.contains("client_id=\"ecapture-collector-metrics-host\"")), text);
    }
  }

  private static FilterControl fixed(CaptureFilter filter) {
    return new FilterControl() {
      @Override
      public CaptureFilter current() {
        return filter;
      }

      @Override
      public void update(CaptureFilter next) {
        throw new UnsupportedOperationException();
      }
    };
  }

  private static HttpResponse<String> get(HttpClient client, String uri) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** An authorised JSON POST, as a script with the token would send it. */
  private static HttpResponse<String> post(HttpClient client, String uri, ControlToken token, String body) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(uri))
            .header("Authorization", "Bearer " + token.value())
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
