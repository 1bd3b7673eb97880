package io.ecapture.kafka.gateway.http;

import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.gateway.GatewayCounters;
import io.ecapture.kafka.gateway.GatewayStats;
import io.ecapture.kafka.gateway.forward.ForwardControl;
import io.ecapture.kafka.gateway.session.ClientOptions;
import io.ecapture.kafka.gateway.session.SessionRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes every request of the gateway's port: a WebSocket upgrade on any path (eCaptureQ
 * connects to {@code /}), {@code GET /status} and {@code GET /metrics} (token-checked like the
 * socket), the browser view under {@code /ui/}, 404 for the rest.
 */
final class GatewayHandler extends Handler.Abstract.NonBlocking {
  private static final Logger log = LoggerFactory.getLogger(GatewayHandler.class);
  private static final String TEXT = "text/plain; charset=utf-8";

  private final ServerWebSocketContainer container;
  private final SessionRegistry sessions;
  private final GatewayCounters counters;
  private final Supplier<GatewayStats> stats;
  private final GatewayMetrics metrics;
  private final HandshakeGate gate;
  private final AccessToken token;
  private final ForwardControl forwards;
  private final StaticFiles ui = StaticFiles.load("ecaptureq-ui", "index.html");

  GatewayHandler(
      GatewayConfig config,
      ServerWebSocketContainer container,
      SessionRegistry sessions,
      GatewayCounters counters,
      Supplier<GatewayStats> stats,
      GatewayMetrics metrics,
      ForwardControl forwards) {
    this.forwards = forwards;
    this.container = container;
    this.sessions = sessions;
    this.counters = counters;
    this.stats = stats;
    this.metrics = metrics;
    this.gate = new HandshakeGate(config);
    this.token = new AccessToken(config.token());
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String upgrade = request.getHeaders().get(HttpHeader.UPGRADE);
    if (upgrade != null && upgrade.strip().equalsIgnoreCase("websocket")) {
      return upgrade(request, response, callback);
    }
    String path = Request.getPathInContext(request);
    switch (path) {
      case "/status" -> stats(request, response, callback, StatusJson.CONTENT_TYPE, () -> StatusJson.render(stats.get()));
      case "/metrics" -> stats(request, response, callback, GatewayMetrics.CONTENT_TYPE, metrics::scrape);
      case "/config" -> config(request, response, callback);
      case "/ui" -> {
        String query = request.getHttpURI().getQuery();
        Response.sendRedirect(request, response, callback, "/ui/" + (query == null ? "" : "?" + query));
      }
      default -> {
        if (path.startsWith("/ui/") && ui.serve(path.substring("/ui/".length()), request, response, callback)) {
          return true;
        }
        send(response, callback, HttpStatus.NOT_FOUND_404, TEXT,
            "not found: connect eCaptureQ to ws://this-address/ or open /ui/ in a browser\n");
      }
    }
    return true;
  }

  private boolean upgrade(Request request, Response response, Callback callback) {
    String target = request.getHttpURI().getPathQuery();
    HandshakeGate.Verdict verdict =
        gate.check(
            request.getMethod(),
            target,
            request.getHeaders().get(HttpHeader.SEC_WEBSOCKET_KEY),
            request.getHeaders().get(HttpHeader.SEC_WEBSOCKET_VERSION),
            request.getHeaders().get(HttpHeader.ORIGIN),
            request.getHeaders().get(HttpHeader.AUTHORIZATION));
    if (verdict.admitted()) {
      ClientOptions options = verdict.options();
      if (container.upgrade((rq, rs, cb) -> new ClientEndpoint(target, options, sessions), request, response, callback)) {
        return true;
      }
      verdict = HandshakeGate.Verdict.deny(HttpStatus.BAD_REQUEST_400, "not a valid WebSocket upgrade");
    }
    refuse(request, response, callback, verdict);
    return true;
  }

  private void refuse(Request request, Response response, Callback callback, HandshakeGate.Verdict verdict) {
    if (verdict.malformed()) {
      counters.malformedHandshakes.increment();
    } else {
      counters.handshakesRefused.increment();
    }
    log.warn("refused WebSocket handshake from {} ({}): {}",
        Request.getRemoteAddr(request), verdict.status(), verdict.reason());
    if (verdict.status() == HttpStatus.UPGRADE_REQUIRED_426) {
      response.getHeaders().put(HttpHeader.SEC_WEBSOCKET_VERSION, "13");
    }
    // the connection must not stay half-upgraded: a refused client is done
    response.getHeaders().put(HttpHeader.CONNECTION, "close");
    send(response, callback, verdict.status(), TEXT, verdict.reason() + "\n");
  }

  private void stats(Request request, Response response, Callback callback, String type, Supplier<String> body) {
    if (!request.getMethod().equals("GET") && !request.getMethod().equals("HEAD")) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
      send(response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, TEXT, "only GET\n");
    } else if (!token.admits(request.getHttpURI().getPathQuery(), request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
      send(response, callback, HttpStatus.UNAUTHORIZED_401, TEXT, "missing or wrong token\n");
    } else {
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      send(response, callback, HttpStatus.OK_200, type, body.get());
    }
  }

  /** Longest {@code POST /config} body read. */
  static final int MAX_CONFIG_BODY_BYTES = 64 * 1024;

  /**
   * {@code GET /config} lists the event forwarders (token-checked like {@code /status}); {@code
   * POST}/{@code PUT} changes them, with the collector's rules for a request that changes what
   * leaves the pipeline: no foreign {@code Origin} (403), a token configured (else 403: changes
   * disabled) and presented as {@code Authorization: Bearer} (401), {@code Content-Type:
   * application/json} (415).
   */
  private void config(Request request, Response response, Callback callback) {
    String method = request.getMethod();
    if (forwards == null) {
      send(response, callback, HttpStatus.NOT_FOUND_404, TEXT, "no runtime configuration on this gateway\n");
    } else if (method.equals("GET") || method.equals("HEAD")) {
      stats(request, response, callback, io.ecapture.kafka.common.Json.CONTENT_TYPE,
          () -> io.ecapture.kafka.common.Json.write(forwards.view()) + "\n");
    } else if (method.equals("POST") || method.equals("PUT")) {
      String refusal = changeRefusal(request);
      if (refusal != null) {
        int status = Integer.parseInt(refusal.substring(0, 3));
        if (status == HttpStatus.UNAUTHORIZED_401) {
          response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"ecapture-kafka gateway\"");
        }
        counters.handshakesRefused.increment();
        log.warn("refused POST /config from {}: {}", Request.getRemoteAddr(request), refusal.substring(4));
        send(response, callback, status, TEXT, refusal.substring(4) + "\n");
        return;
      }
      long length = request.getLength();
      if (length > MAX_CONFIG_BODY_BYTES) {
        send(response, callback, HttpStatus.PAYLOAD_TOO_LARGE_413, TEXT, "body over " + MAX_CONFIG_BODY_BYTES + " bytes\n");
        return;
      }
      org.eclipse.jetty.io.Content.Source.asStringAsync(request, StandardCharsets.UTF_8).whenComplete((body, error) -> {
        if (error != null) {
          send(response, callback, HttpStatus.BAD_REQUEST_400, TEXT, "cannot read the body: " + error + "\n");
          return;
        }
        // starting or stopping a forwarder waits for Kafka and its target: not on a Jetty thread
        Thread.ofVirtual().name("gateway-config").start(() -> {
          ForwardControl.Reply reply = forwards.handle(body);
          send(response, callback, reply.status(), reply.status() == 200
              ? io.ecapture.kafka.common.Json.CONTENT_TYPE : TEXT, reply.body());
        });
      });
    } else {
      response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD, POST, PUT");
      send(response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, TEXT, "GET, POST or PUT\n");
    }
  }

  /** "STATUS reason" when a changing request is refused, else null. */
  private String changeRefusal(Request request) {
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    if (origin != null && !origin.isBlank() && !isOwnOrigin(request, origin.strip())) {
      return "403 Origin " + origin + " may not change the configuration (only this endpoint's own)";
    }
    if (!token.required()) {
      return "403 changes are disabled: this gateway has no token (--token-file)";
    }
    String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (authorization == null || !token.admits(null, authorization)) {
      return "401 missing or wrong token: send Authorization: Bearer <token>";
    }
    String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    String media = type == null ? "" : type.split(";", 2)[0].strip();
    if (!media.equalsIgnoreCase("application/json")) {
      return "415 Content-Type must be application/json, was " + (type == null ? "none" : type);
    }
    return null;
  }

  private static boolean isOwnOrigin(Request request, String origin) {
    int port = Request.getLocalPort(request);
    String lower = origin.toLowerCase(java.util.Locale.ROOT);
    for (String host : java.util.List.of("127.0.0.1", "localhost", "[::1]")) {
      if (lower.equals("http://" + host + ":" + port) || lower.equals("https://" + host + ":" + port)) {
        return true;
      }
    }
    return false;
  }

  static void send(Response response, Callback callback, int status, String type, String body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
  }
}
