package io.ecapture.kafka.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code GET /status} (JSON) and {@code GET /metrics} (Prometheus text) on their own port, with
 * the JDK's built-in HTTP server: Java-WebSocket answers every request without an upgrade with 404
 * and offers no hook to serve plain HTTP on the WebSocket port.
 */
final class StatusServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  StatusServer(InetSocketAddress address, Supplier<GatewayStats> stats, AccessToken token)
      throws IOException {
    server = HttpServer.create(address, 16);
    executor =
        Executors.newSingleThreadExecutor(Thread.ofPlatform().name("gateway-status").daemon().factory());
    server.setExecutor(executor);
    server.createContext(
        "/status",
        exchange -> answer(exchange, token, "application/json", () -> StatusJson.render(stats.get())));
    server.createContext(
        "/metrics",
        exchange -> answer(exchange, token, MetricsText.CONTENT_TYPE, () -> MetricsText.render(stats.get())));
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  private static void answer(
      HttpExchange exchange, AccessToken token, String contentType, Supplier<String> body)
      throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!path.equals("/status") && !path.equals("/metrics")) {
        send(exchange, 404, "text/plain", "not found\n");
      } else if (!exchange.getRequestMethod().equals("GET")) {
        exchange.getResponseHeaders().set("Allow", "GET");
        send(exchange, 405, "text/plain", "only GET\n");
      } else if (!token.admits(
          exchange.getRequestURI().toString(), exchange.getRequestHeaders().getFirst("Authorization"))) {
        send(exchange, 401, "text/plain", "missing or wrong token\n");
      } else {
        send(exchange, 200, contentType, body.get());
      }
    }
  }

  private static void send(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
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
    executor.shutdownNow();
  }
}
