package io.ecapture.kafka.forwarder;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.common.Metrics;
import io.ecapture.kafka.forwarder.sink.SinkCounters;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * The forwarder's local HTTP endpoint on 127.0.0.1 (it shows counters, not traffic):
 *
 * <ul>
 *   <li>{@code GET /status}: JSON: name, group, running, records, filtered, malformed, errors,
 *       commits, and per target ({@code events}, {@code logs}) its counters.
 *   <li>{@code GET /metrics}: Prometheus text. eCapture's names, labelled by capturing host:
 *       {@code ecapture_events_total{module,host}}, {@code ecapture_payload_bytes{module,host}}
 *       (payload bytes forwarded so far), {@code ecapture_connections_active{host}} (connections
 *       with an event in the last minute); the forwarder's own: {@code
 *       ecapture_forwarder_sent_total{sink}}, {@code _dropped_total}, {@code _overflow_total},
 *       {@code _retries_total}, {@code _reconnects_total}, {@code _rotations_total}, {@code
 *       _skipped_total}, {@code ecapture_forwarder_connected{sink}}, {@code
 *       ecapture_forwarder_records_total}, {@code _filtered_total}, {@code
 *       _malformed_records_total}, {@code _errors_total}; and the consumer's {@code kafka_*}
 *       metrics. {@code sink} is {@code events} or {@code logs}.
 * </ul>
 */
final class StatusServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;
  private final Forwarder forwarder;
  private final Metrics metrics;

  private StatusServer(HttpServer server, ExecutorService executor, Forwarder forwarder) {
    this.server = server;
    this.executor = executor;
    this.forwarder = forwarder;
    this.metrics = metrics(forwarder);
  }

  static StatusServer start(int port, Forwarder forwarder) throws IOException {
    HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    StatusServer status = new StatusServer(http, executor, forwarder);
    http.createContext("/", status::handle);
    http.setExecutor(executor);
    http.start();
    return status;
  }

  /** The forwarder's metrics as {@code /metrics} shows them. */
  static Metrics metrics(Forwarder f) {
    Metrics m = new Metrics("ecapture_forwarder_")
        .counter("records_total", "Records read from Kafka.", f.records::sum)
        .counter("filtered_total", "Records the filters left out.", f.filtered::sum)
        .counter("malformed_records_total", "Records that were not a ParsedMessage/ProcessLog (skipped).",
            f.malformed::sum)
        .counter("errors_total", "Records that could not be formatted (skipped).", f.errors::sum)
        .counter("commits_total", "Offset commits.", f.commits::sum)
        .kafka(f::kafkaMetrics);
    CounterWithCallback.builder().name("ecapture_events_total")
        .help("Events forwarded, by module (protocol) and capturing host.")
        .labelNames("module", "host")
        .callback(cb -> f.byModule.forEach((k, v) -> cb.call(v[0].sum(), k.get(0), k.get(1))))
        .register(m.registry());
    GaugeWithCallback.builder().name("ecapture_payload_bytes")
        .help("Payload bytes forwarded so far, by module (protocol) and capturing host.")
        .labelNames("module", "host")
        .callback(cb -> f.byModule.forEach((k, v) -> cb.call(v[1].sum(), k.get(0), k.get(1))))
        .register(m.registry());
    GaugeWithCallback.builder().name("ecapture_connections_active")
        .help("Connections with an event in the last " + Forwarder.CONNECTION_ACTIVE_FOR.toSeconds() + " s, by host.")
        .labelNames("host")
        .callback(cb -> {
          Map<String, Integer> perHost = new HashMap<>();
          f.connections.asMap().values().forEach(h -> perHost.merge(h, 1, Integer::sum));
          perHost.forEach((host, n) -> cb.call(n, host));
        })
        .register(m.registry());
    sinkCounter(m, f, "sent_total", "Records delivered.", c -> c.sent);
    sinkCounter(m, f, "dropped_total", "Records not deliverable (retries used up, write errors).", c -> c.dropped);
    sinkCounter(m, f, "overflow_total", "Records dropped because the buffer was full while the peer was away.",
        c -> c.overflow);
    sinkCounter(m, f, "retries_total", "Records or batches sent again.", c -> c.retries);
    sinkCounter(m, f, "reconnects_total", "Connections lost and re-established.", c -> c.reconnects);
    sinkCounter(m, f, "rotations_total", "File rotations.", c -> c.rotations);
    sinkCounter(m, f, "skipped_total", "Events the format does not send (http_proxy: not a request).", c -> c.skipped);
    GaugeWithCallback.builder().name("ecapture_forwarder_connected")
        .help("1 while the target is connected / writable.")
        .labelNames("sink")
        .callback(cb -> lanes(f).forEach(l -> cb.call(l.sink.counters().connected() ? 1 : 0, sinkLabel(f, l))))
        .register(m.registry());
    return m;
  }

  private static void sinkCounter(Metrics m, Forwarder f, String name, String help,
      Function<SinkCounters, LongAdder> counter) {
    CounterWithCallback.builder().name("ecapture_forwarder_" + name).help(help).labelNames("sink")
        .callback(cb -> lanes(f).forEach(l -> cb.call(counter.apply(l.sink.counters()).sum(), sinkLabel(f, l))))
        .register(m.registry());
  }

  private static List<Forwarder.Lane> lanes(Forwarder f) {
    return f.lanes();
  }

  private static String sinkLabel(Forwarder f, Forwarder.Lane lane) {
    return lane.sink == f.eventsSink() ? "events" : "logs";
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!path.equals("/status") && !path.equals("/metrics")) {
        exchange.sendResponseHeaders(404, -1);
      } else if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
      } else if (path.equals("/status")) {
        send(exchange, Json.CONTENT_TYPE, Json.write(forwarder.status()) + "\n");
      } else {
        send(exchange, Metrics.CONTENT_TYPE, metrics.scrape());
      }
    }
  }

  private static void send(HttpExchange exchange, String contentType, String body) throws IOException {
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
