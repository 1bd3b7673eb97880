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
 * Local HTTP endpoint of a collector on 127.0.0.1: {@code GET /status} (JSON counters), {@code
 * GET /metrics} (Prometheus text format 0.0.4) and {@code GET/POST /config} (the process filter as
 * JSON {@code {"pids":[..],"uids":[..],"comms":[..]}}; POST replaces it, 400 with the reason on a
 * bad body). Served by one virtual thread per request; loopback only, as it changes capture.
 */
final class StatusServer implements AutoCloseable {
  private final HttpServer server;
  private final String hostId;
  private final Supplier<CollectorStats.Snapshot> stats;
  private final FilterControl filter;

  /** Reads and changes the collector's process filter. */
  interface FilterControl {
    FilterControl NONE =
        new FilterControl() {
          @Override
          public CaptureFilter current() {
            return CaptureFilter.ALL;
          }

          @Override
          public void update(CaptureFilter next) {
            throw new UnsupportedOperationException("filter not changeable here");
          }
        };

    CaptureFilter current();

    void update(CaptureFilter next);

    /** JSON array describing the probed libraries and processes, for /status. */
    default String probesJson() {
      return "[]";
    }
  }

  private StatusServer(HttpServer server, String hostId, Supplier<CollectorStats.Snapshot> stats, FilterControl filter) {
    this.server = server;
    this.hostId = hostId;
    this.stats = stats;
    this.filter = filter;
  }

  /** Binds 127.0.0.1:{@code port} (0: any free port) and starts serving, without /config changes. */
  static StatusServer start(int port, String hostId, Supplier<CollectorStats.Snapshot> stats) throws IOException {
    return start(port, hostId, stats, FilterControl.NONE);
  }

  /** Binds 127.0.0.1:{@code port} (0: any free port) and starts serving. */
  static StatusServer start(int port, String hostId, Supplier<CollectorStats.Snapshot> stats, FilterControl filter)
      throws IOException {
    HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    StatusServer status = new StatusServer(http, hostId, stats, filter);
    http.createContext("/config", status::config);
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
        + ",\"trackedConnections\":" + s.trackedConnections()
        + ",\"filteredInKernel\":" + s.filteredInKernel() + ",\"sslCalls\":" + s.sslCalls()
        + ",\"uprobeHits\":" + s.uprobeHits() + ",\"handshakes\":" + s.handshakes() + ",\"spooled\":" + s.spooled()
        + ",\"spoolDropped\":" + s.spoolDropped() + ",\"spoolBytes\":" + s.spoolBytes()
        + ",\"resent\":" + s.resent() + ",\"sendRejected\":" + s.sendRejected()
        + ",\"keyLogLines\":" + s.keyLogLines()
        + ",\"filter\":" + filter.current().toJson() + ",\"libraries\":" + filter.probesJson() + "}\n";
  }

  String metricsText() {
    CollectorStats.Snapshot s = stats.get();
    StringBuilder out = new StringBuilder(2048);
    counter(out, "captured_records_total",
        "Capture events (open, handshake, data chunk, close) decoded from the kernel ring buffer; key-log lines not included.", s.captured());
    counter(out, "captured_bytes_total", "Plaintext payload bytes captured.", s.capturedBytes());
    counter(out, "kernel_dropped_records_total", "Records lost in the kernel because the ring buffer was full.", s.droppedInKernel());
    counter(out, "kernel_dropped_bytes_total", "Payload bytes lost in the kernel because the ring buffer was full.", s.droppedBytesInKernel());
    counter(out, "kernel_read_faults_total", "Payload copies from user memory that failed.", s.readFaults());
    counter(out, "truncated_calls_total", "TLS calls longer than the 1 MiB capture limit.", s.truncatedCalls());
    counter(out, "malformed_records_total", "Ring-buffer records that did not decode.", s.malformed());
    counter(out, "sent_records_total",
        "Records Kafka acknowledged: capture events and key-log lines (with the spool on, replays of an earlier run's spool included).", s.sent());
    counter(out, "send_errors_total", "Failed send attempts (with the spool they are retried, so not a loss).", s.sendErrors());
    metric(out, "tracked_connections", "gauge", "Connections the kernel tracks right now.", s.trackedConnections());
    counter(out, "kernel_filtered_calls_total", "SSL calls skipped by the process filter.", s.filteredInKernel());
    counter(out, "ssl_calls_total", "SSL read/write calls seen by the entry uprobes.", s.sslCalls());
    counter(out, "uprobe_hits_total", "Entry and return uprobe hits.", s.uprobeHits());
    counter(out, "tls_handshakes_total", "Completed TLS handshakes seen (once per connection).", s.handshakes());
    counter(out, "spooled_records_total",
        "Records appended to the on-disk spool, once each: capture events plus key-log lines (retries not counted).", s.spooled());
    counter(out, "spool_dropped_records_total", "Records lost to the spool size limit or a disk error.", s.spoolDropped());
    metric(out, "spool_bytes", "gauge", "Bytes in the spool's live segments.", s.spoolBytes());
    counter(out, "resent_records_total", "Spooled records sent again after a failed attempt.", s.resent());
    counter(out, "send_rejected_total", "Records the broker refused for good.", s.sendRejected());
    counter(out, "keylog_lines_total", "NSS key-log lines from captured TLS keys (spooled and sent, not in captured).", s.keyLogLines());
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

  private void config(HttpExchange exchange) throws IOException {
    try (exchange) {
      switch (exchange.getRequestMethod()) {
        case "GET" -> send(exchange, 200, "application/json", filter.current().toJson() + "\n");
        case "POST", "PUT" -> {
          String body = new String(exchange.getRequestBody().readNBytes(64 * 1024), StandardCharsets.UTF_8);
          try {
            filter.update(CaptureFilter.fromJson(body));
            send(exchange, 200, "application/json", filter.current().toJson() + "\n");
          } catch (IllegalArgumentException e) {
            send(exchange, 400, "text/plain; charset=utf-8", e.getMessage() + "\n");
          } catch (RuntimeException e) {
            send(exchange, 409, "text/plain; charset=utf-8", "filter not applied: " + e.getMessage() + "\n");
          }
        }
        default -> exchange.sendResponseHeaders(405, -1);
      }
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
