package io.ecapture.kafka.collector;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Local HTTP endpoint of a collector on 127.0.0.1: {@code GET /status} (JSON counters) and {@code
 * GET /metrics} (Prometheus text format 0.0.4). Read-only; served by one virtual thread per
 * request.
 */
final class StatusServer implements AutoCloseable {
  private final HttpServer server;
  private final String hostId;
  private final Supplier<CollectorStats.Snapshot> stats;

  private StatusServer(HttpServer server, String hostId, Supplier<CollectorStats.Snapshot> stats) {
    this.server = server;
    this.hostId = hostId;
    this.stats = stats;
  }

  /** Binds 127.0.0.1:{@code port} (0: any free port) and starts serving. */
  static StatusServer start(int port, String hostId, Supplier<CollectorStats.Snapshot> stats) throws IOException {
    HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    StatusServer status = new StatusServer(http, hostId, stats);
    http.createContext("/status", exchange -> status.respond(exchange, "application/json", status.statusJson()));
    http.createContext(
        "/metrics", exchange -> status.respond(exchange, "text/plain; version=0.0.4; charset=utf-8", status.metricsText()));
    http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    http.start();
    return status;
  }

  int port() {
    return server.getAddress().getPort();
  }

  String statusJson() {
    CollectorStats.Snapshot s = stats.get();
    return "{\"component\":\"collector\",\"hostId\":\"" + jsonEscape(hostId) + "\",\"running\":true"
        + ",\"captured\":" + s.captured() + ",\"capturedBytes\":" + s.capturedBytes()
        + ",\"droppedInKernel\":" + s.droppedInKernel() + ",\"droppedBytesInKernel\":" + s.droppedBytesInKernel()
        + ",\"readFaults\":" + s.readFaults() + ",\"truncatedCalls\":" + s.truncatedCalls()
        + ",\"malformed\":" + s.malformed() + ",\"sent\":" + s.sent() + ",\"sendErrors\":" + s.sendErrors()
        + ",\"trackedConnections\":" + s.trackedConnections() + "}\n";
  }

  String metricsText() {
    CollectorStats.Snapshot s = stats.get();
    StringBuilder out = new StringBuilder(2048);
    counter(out, "captured_records_total", "Records decoded from the kernel ring buffer.", s.captured());
    counter(out, "captured_bytes_total", "Plaintext payload bytes captured.", s.capturedBytes());
    counter(out, "kernel_dropped_records_total", "Records lost in the kernel because the ring buffer was full.", s.droppedInKernel());
    counter(out, "kernel_dropped_bytes_total", "Payload bytes lost in the kernel because the ring buffer was full.", s.droppedBytesInKernel());
    counter(out, "kernel_read_faults_total", "Payload copies from user memory that failed.", s.readFaults());
    counter(out, "truncated_calls_total", "TLS calls longer than the 1 MiB capture limit.", s.truncatedCalls());
    counter(out, "malformed_records_total", "Ring-buffer records that did not decode.", s.malformed());
    counter(out, "sent_records_total", "Records acknowledged by Kafka.", s.sent());
    counter(out, "send_errors_total", "Records Kafka failed to take.", s.sendErrors());
    metric(out, "tracked_connections", "gauge", "Connections the kernel tracks right now.", s.trackedConnections());
    return out.toString();
  }

  private void counter(StringBuilder out, String name, String help, long value) {
    metric(out, name, "counter", help, value);
  }

  private void metric(StringBuilder out, String name, String type, String help, long value) {
    String metric = "ecapture_collector_" + name;
    out.append("# HELP ").append(metric).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(metric).append(' ').append(type).append('\n');
    out.append(metric).append("{host=\"").append(labelEscape(hostId)).append("\"} ").append(value).append('\n');
  }

  private void respond(HttpExchange exchange, String contentType, String body) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", contentType);
      exchange.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static String jsonEscape(String text) {
    return text.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static String labelEscape(String text) {
    return text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
