package io.ecapture.kafka.processor;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.common.Metrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The processor's local HTTP endpoint, bound to 127.0.0.1 only (it shows traffic counters, not
 * traffic, but nothing here needs to be reachable from elsewhere):
 *
 * <ul>
 *   <li>{@code GET /status}: JSON {@code {"component":"processor","applicationId":..,
 *       "state":"RUNNING","running":true,"counters":{"records_in":..,..,"open_connections":..}}}
 *       (Kafka Streams' state and every {@link ProcessorMetrics} counter).
 *   <li>{@code GET /metrics}: Prometheus text format 0.0.4: every counter as {@code
 *       ecapture_processor_<name>_total}, the gauges {@code ecapture_processor_open_connections}
 *       and {@code ecapture_processor_running}, and Kafka Streams' own metrics (client, threads,
 *       tasks, stores, its consumers and producers) as {@code kafka_<group>_<name>} gauges.
 * </ul>
 *
 * Other paths answer 404, other methods 405. One virtual thread per request.
 */
public final class StatusServer implements AutoCloseable {
  private static final String PREFIX = "ecapture_processor_";

  private final HttpServer server;
  private final ExecutorService executor;
  private final String applicationId;
  private final ProcessorMetrics counters;
  private final KafkaStreams streams;
  private final Metrics metrics;

  private StatusServer(HttpServer server, ExecutorService executor, String applicationId,
      ProcessorMetrics counters, KafkaStreams streams) {
    this.server = server;
    this.executor = executor;
    this.applicationId = applicationId;
    this.counters = counters;
    this.streams = streams;
    this.metrics = counters.registerWith(new Metrics(PREFIX))
        .gauge("running", "1 while Kafka Streams is RUNNING, else 0.",
            () -> streams.state() == KafkaStreams.State.RUNNING ? 1 : 0)
        .kafka(streams::metrics);
  }

  /** Binds 127.0.0.1:{@code port} (0: any free port) and starts serving. */
  static StatusServer start(int port, String applicationId, ProcessorMetrics counters,
      KafkaStreams streams) throws IOException {
    HttpServer http =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    StatusServer status = new StatusServer(http, executor, applicationId, counters, streams);
    http.createContext("/", status::handle);
    http.setExecutor(executor);
    http.start();
    return status;
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The {@code /status} document. */
  public String statusJson() {
    KafkaStreams.State state = streams.state();
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("component", "processor");
    status.put("applicationId", applicationId);
    status.put("state", state.name());
    status.put("running", state == KafkaStreams.State.RUNNING);
    status.put("counters", counters.snapshot());
    return Json.write(status) + "\n";
  }

  /** The {@code /metrics} text. */
  public String metricsText() {
    return metrics.scrape();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      boolean known = path.equals("/status") || path.equals("/metrics");
      if (!known) {
        exchange.sendResponseHeaders(404, -1);
      } else if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
      } else if (path.equals("/status")) {
        send(exchange, Json.CONTENT_TYPE, statusJson());
      } else {
        send(exchange, Metrics.CONTENT_TYPE, metricsText());
      }
    }
  }

  private static void send(HttpExchange exchange, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.close();
  }
}
