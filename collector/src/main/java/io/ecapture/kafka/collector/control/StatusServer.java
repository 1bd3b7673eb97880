package io.ecapture.kafka.collector.control;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.common.Metrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * Local HTTP endpoint of a collector on 127.0.0.1, serving a {@link CollectorStatus}:
 *
 * <ul>
 *   <li>{@code GET /status}: the JSON document ({@link CollectorStatus#document()});
 *   <li>{@code GET /metrics}: Prometheus text format 0.0.4 ({@link CollectorMetrics});
 *   <li>{@code GET /config}: the process filter as JSON {@code {"pids":[..],"uids":[..],"comms":[..]}};
 *       {@code POST} (or {@code PUT}) replaces it with the body's (see {@link CaptureFilter#fromJson}):
 *       200 with the filter now in force, 400 with the reason on a bad body, 409 when it could not
 *       be applied (the previous filter stays).
 * </ul>
 *
 * Other methods: 405. Served by one virtual thread per request; loopback only, as it changes
 * capture.
 */
public final class StatusServer implements AutoCloseable {
  /** Longest {@code /config} body read; the rest is ignored (a full filter is well below). */
  public static final int MAX_CONFIG_BODY_BYTES = 64 * 1024;
  private static final String TEXT = "text/plain; charset=utf-8";

  private final HttpServer server;
  private final CollectorStatus status;

  private StatusServer(HttpServer server, CollectorStatus status) {
    this.server = server;
    this.status = status;
  }

  /**
   * Binds 127.0.0.1:{@code port} (0: any free port) and starts serving.
   *
   * @throws IOException when the port cannot be bound
   */
  public static StatusServer start(int port, CollectorStatus status) throws IOException {
    HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    StatusServer server = new StatusServer(http, status);
    http.createContext("/config", server::config);
    http.createContext("/status", exchange -> get(exchange, Json.CONTENT_TYPE, status.json() + "\n"));
    http.createContext("/metrics", exchange -> get(exchange, Metrics.CONTENT_TYPE, status.metrics()));
    http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    http.start();
    return server;
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  private void config(HttpExchange exchange) throws IOException {
    try (exchange) {
      FilterControl filter = status.filter();
      switch (exchange.getRequestMethod()) {
        case "GET" -> send(exchange, 200, Json.CONTENT_TYPE, filter.current().toJson() + "\n");
        case "POST", "PUT" -> {
          String body = new String(exchange.getRequestBody().readNBytes(MAX_CONFIG_BODY_BYTES), StandardCharsets.UTF_8);
          try {
            filter.update(CaptureFilter.fromJson(body));
            send(exchange, 200, Json.CONTENT_TYPE, filter.current().toJson() + "\n");
          } catch (IllegalArgumentException e) {
            send(exchange, 400, TEXT, e.getMessage() + "\n");
          } catch (RuntimeException e) {
            send(exchange, 409, TEXT, "filter not applied: " + e.getMessage() + "\n");
          }
        }
        default -> exchange.sendResponseHeaders(405, -1);
      }
    }
  }

  /** Answers a GET with {@code body}; anything else with 405. */
  private static void get(HttpExchange exchange, String contentType, String body) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      send(exchange, 200, contentType, body);
    }
  }

  private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
