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
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Local HTTP endpoint of a collector on 127.0.0.1, serving a {@link CollectorStatus}:
 *
 * <ul>
 *   <li>{@code GET /status}: the JSON document ({@link CollectorStatus#document()}) plus {@code
 *       control} (where the token file is; the token itself shows as {@value ControlToken#MASK});
 *   <li>{@code GET /metrics}: Prometheus text format 0.0.4 ({@link CollectorMetrics});
 *   <li>{@code GET /config}: the process filter as JSON {@code {"pids":[..],"uids":[..],"comms":[..]}};
 *       {@code POST} (or {@code PUT}) replaces it with the body's (see {@link CaptureFilter#fromJson}):
 *       200 with the filter now in force, 400 with the reason on a bad body, 409 when it could not
 *       be applied (the previous filter stays);
 *   <li>{@code POST /tls}, {@code /openssl}, {@code /boringssl} (and eCapture's other module paths,
 *       answered "not found"): eCapture's remote configuration API ({@link EcaptureConfigApi}).
 * </ul>
 *
 * <p>Reading needs nothing: the counters, filter and library list hold no captured data, and a web
 * page cannot read them (no CORS headers). A request that changes capture must pass, in order:
 *
 * <ol>
 *   <li>no foreign {@code Origin}: a browser sends one on every cross-site POST, and a page may
 *       POST {@code text/plain} to 127.0.0.1 without a preflight; only this endpoint's own loopback
 *       origin (or none) is accepted, else 403;
 *   <li>{@code Authorization: Bearer TOKEN} with the collector's {@link ControlToken}, else 401 with
 *       {@code WWW-Authenticate: Bearer};
 *   <li>{@code Content-Type: application/json} (parameters such as charset allowed), else 415.
 * </ol>
 *
 * Every request must also name this endpoint in its {@code Host} header (127.0.0.1, localhost or
 * [::1], with this port) or carry none, else 403: a DNS-rebinding page cannot reach it under its
 * own host name. Refusals are counted ({@code controlRefused}). Other methods: 405. One virtual
 * thread per request; loopback only.
 */
public final class StatusServer implements AutoCloseable {
  /** Longest {@code /config} body read; the rest is ignored (a full filter is well below). */
  public static final int MAX_CONFIG_BODY_BYTES = 64 * 1024;
  private static final String TEXT = "text/plain; charset=utf-8";
  private static final Set<String> LOOPBACK_HOSTS = Set.of("127.0.0.1", "localhost", "[::1]");

  private final HttpServer server;
  private final CollectorStatus status;
  private final ControlToken token;
  /** Held while a filter change is applied: /config waits for it, eCapture's API answers busy. */
  private final ReentrantLock changes = new ReentrantLock();
  private final EcaptureConfigApi ecapture;

  private StatusServer(HttpServer server, CollectorStatus status, ControlToken token) {
    this.server = server;
    this.status = status;
    this.token = token;
    this.ecapture = new EcaptureConfigApi(status.filter(), changes);
  }

  /**
   * Binds 127.0.0.1:{@code port} (0: any free port) and starts serving, without a control token:
   * every change is refused (403). For read-only use (status, metrics).
   *
   * @throws IOException when the port cannot be bound
   */
  public static StatusServer start(int port, CollectorStatus status) throws IOException {
    return start(port, status, null);
  }

  /**
   * Binds 127.0.0.1:{@code port} (0: any free port) and starts serving; changes need {@code token}.
   *
   * @param token what a changing request must present; null refuses every change
   * @throws IOException when the port cannot be bound
   */
  public static StatusServer start(int port, CollectorStatus status, ControlToken token) throws IOException {
    HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    StatusServer server = new StatusServer(http, status, token);
    http.createContext("/", server::route);
    http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    http.start();
    return server;
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The {@code /status} document: the collector's, plus where its control token is. */
  public Map<String, Object> document() {
    Map<String, Object> doc = status.document();
    Map<String, Object> control = new LinkedHashMap<>();
    control.put("token", token == null ? "none (changes refused)" : ControlToken.MASK);
    control.put("tokenFile", token == null || token.file() == null ? null : token.file().toString());
    doc.put("control", control);
    return doc;
  }

  private void route(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String refusal = hostRefusal(exchange.getRequestHeaders().getFirst("Host"));
      if (refusal != null) {
        status.controlRefused();
        send(exchange, 403, TEXT, refusal + "\n");
        return;
      }
      switch (path) {
        case "/status" -> get(exchange, Json.CONTENT_TYPE, () -> Json.write(document()) + "\n");
        case "/metrics" -> get(exchange, Metrics.CONTENT_TYPE, status::metrics);
        case "/config" -> config(exchange);
        default -> {
          if (EcaptureConfigApi.isModulePath(path)) {
            ecapture(exchange, path);
          } else {
            send(exchange, 404, TEXT, "not found: GET /status, /metrics, /config; POST /config, /tls\n");
          }
        }
      }
    }
  }

  private void config(HttpExchange exchange) throws IOException {
    FilterControl filter = status.filter();
    switch (exchange.getRequestMethod()) {
      case "GET" -> send(exchange, 200, Json.CONTENT_TYPE, filter.current().toJson() + "\n");
      case "POST", "PUT" -> {
        Refusal refused = changeRefusal(exchange);
        if (refused != null) {
          status.controlRefused();
          if (refused.status() == 401) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"ecapture-kafka collector\"");
          }
          send(exchange, refused.status(), TEXT, refused.reason() + "\n");
          return;
        }
        String body = new String(exchange.getRequestBody().readNBytes(MAX_CONFIG_BODY_BYTES), StandardCharsets.UTF_8);
        changes.lock();
        try {
          filter.update(CaptureFilter.fromJson(body));
          send(exchange, 200, Json.CONTENT_TYPE, filter.current().toJson() + "\n");
        } catch (IllegalArgumentException e) {
          send(exchange, 400, TEXT, e.getMessage() + "\n");
        } catch (RuntimeException e) {
          send(exchange, 409, TEXT, "filter not applied: " + e.getMessage() + "\n");
        } finally {
          changes.unlock();
        }
      }
      default -> {
        exchange.getResponseHeaders().set("Allow", "GET, POST, PUT");
        exchange.sendResponseHeaders(405, -1);
      }
    }
  }

  private void ecapture(HttpExchange exchange, String path) throws IOException {
    EcaptureConfigApi.Reply reply;
    if (!"POST".equals(exchange.getRequestMethod())) {
      exchange.getResponseHeaders().set("Allow", "POST");
      reply = EcaptureConfigApi.refused(path, 405, "only POST");
    } else {
      Refusal refused = changeRefusal(exchange);
      if (refused != null) {
        status.controlRefused();
        if (refused.status() == 401) {
          exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"ecapture-kafka collector\"");
        }
        reply = EcaptureConfigApi.refused(path, refused.status(), refused.reason());
      } else {
        String body = new String(exchange.getRequestBody().readNBytes(MAX_CONFIG_BODY_BYTES), StandardCharsets.UTF_8);
        reply = ecapture.handle(path, body);
      }
    }
    send(exchange, reply.httpStatus(), Json.CONTENT_TYPE, reply.json());
  }

  /** Why a request that changes capture is refused, or null. */
  private record Refusal(int status, String reason) {}

  private Refusal changeRefusal(HttpExchange exchange) {
    String origin = exchange.getRequestHeaders().getFirst("Origin");
    if (origin != null && !origin.isBlank() && !isOwnOrigin(origin.strip())) {
      return new Refusal(403, "Origin " + origin + " may not change capture (only this endpoint's own)");
    }
    if (token == null) {
      return new Refusal(403, "changes are disabled: this collector has no control token");
    }
    if (!token.admits(exchange.getRequestHeaders().getFirst("Authorization"))) {
      return new Refusal(401, "missing or wrong token: send Authorization: Bearer <token>"
          + (token.file() == null ? "" : " (the token is in " + token.file() + ")"));
    }
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    String media = type == null ? "" : type.split(";", 2)[0].strip();
    if (!media.equalsIgnoreCase("application/json")) {
      return new Refusal(415, "Content-Type must be application/json, was " + (type == null ? "none" : type));
    }
    return null;
  }

  private boolean isOwnOrigin(String origin) {
    String lower = origin.toLowerCase(Locale.ROOT);
    for (String host : LOOPBACK_HOSTS) {
      if (lower.equals("http://" + host + ":" + port())) {
        return true;
      }
    }
    return false;
  }

  /** Null when {@code host} (the Host header) names this endpoint or is absent. */
  private String hostRefusal(String host) {
    if (host == null || host.isBlank()) {
      return null;
    }
    String lower = host.strip().toLowerCase(Locale.ROOT);
    for (String name : LOOPBACK_HOSTS) {
      if (lower.equals(name) || lower.equals(name + ":" + port())) {
        return null;
      }
    }
    return "Host " + host + " is not this endpoint (use http://127.0.0.1:" + port() + "/)";
  }

  /** Answers a GET with {@code body}; anything else with 405. */
  private static void get(HttpExchange exchange, String contentType, java.util.function.Supplier<String> body)
      throws IOException {
    if (!"GET".equals(exchange.getRequestMethod())) {
      exchange.getResponseHeaders().set("Allow", "GET");
      exchange.sendResponseHeaders(405, -1);
      return;
    }
    send(exchange, 200, contentType, body.get());
  }

  private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
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
