package io.ecapture.kafka.gateway;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.java_websocket.server.WebSocketServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket endpoint eCaptureQ connects to: every path, version 13 only, Origin checked,
 * inbound messages read and ignored (pings are answered by the library), inbound frames above
 * {@link GatewayConfig#maxInboundFrameBytes()} closed with 1009.
 *
 * <p>A refused handshake gets Java-WebSocket's HTTP 404 (the library offers no other status);
 * eCapture answers 403. Clients see a failed handshake either way.
 */
final class GatewayServer extends WebSocketServer {
  private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

  private final GatewayConfig config;
  private final Broadcaster broadcaster;
  private final GatewayCounters counters;
  private final ScheduledExecutorService heartbeats;
  private final OriginPolicy origins;
  private final AccessToken token;
  private final CompletableFuture<Void> started = new CompletableFuture<>();

  GatewayServer(
      GatewayConfig config,
      Broadcaster broadcaster,
      GatewayCounters counters,
      ScheduledExecutorService heartbeats) {
    super(config.listen(), List.<Draft>of(new Draft_6455(List.of(), config.maxInboundFrameBytes())));
    this.config = config;
    this.broadcaster = broadcaster;
    this.counters = counters;
    this.heartbeats = heartbeats;
    this.origins = new OriginPolicy(config.allowedOriginHosts(), config.allowMissingOrigin());
    this.token = new AccessToken(config.token());
    setWebSocketFactory(new GatewaySocketFactory(config.socketSendBufferBytes()));
    setReuseAddr(true);
    setTcpNoDelay(true);
    setDaemon(true);
  }

  /** Completes once listening, or exceptionally when binding failed. */
  CompletableFuture<Void> started() {
    return started;
  }

  @Override
  public ServerHandshakeBuilder onWebsocketHandshakeReceivedAsServer(
      WebSocket conn, Draft draft, ClientHandshake request) throws InvalidDataException {
    ServerHandshakeBuilder response = super.onWebsocketHandshakeReceivedAsServer(conn, draft, request);
    String origin = request.hasFieldValue("Origin") ? request.getFieldValue("Origin") : null;
    String refusal = origins.refusal(origin);
    if (refusal != null) {
      refuse(conn, refusal);
    }
    String authorization =
        request.hasFieldValue("Authorization") ? request.getFieldValue("Authorization") : null;
    if (!token.admits(request.getResourceDescriptor(), authorization)) {
      refuse(conn, "missing or wrong token");
    }
    try {
      conn.setAttachment(ClientFilter.parse(request.getResourceDescriptor()));
    } catch (IllegalArgumentException e) {
      refuse(conn, e.getMessage());
    }
    return response;
  }

  private void refuse(WebSocket conn, String why) throws InvalidDataException {
    counters.handshakesRefused.increment();
    log.warn("refused WebSocket handshake from {}: {}", conn.getRemoteSocketAddress(), why);
    throw new InvalidDataException(CloseFrame.POLICY_VALIDATION, why);
  }

  @Override
  public void onOpen(WebSocket conn, ClientHandshake handshake) {
    ClientFilter filter = conn.getAttachment() instanceof ClientFilter f ? f : ClientFilter.ALL;
    ClientSession session = broadcaster.open((WebSocketImpl) conn, filter, unixSeconds());
    conn.setAttachment(session);
    counters.connectionsAccepted.increment();
    long period = config.heartbeatInterval().toMillis();
    session.heartbeatTask(
        heartbeats.scheduleAtFixedRate(
            () -> heartbeat(session), period, period, TimeUnit.MILLISECONDS));
    log.info(
        "client {} connected to {}",
        conn.getRemoteSocketAddress(),
        AccessToken.redact(handshake.getResourceDescriptor()));
  }

  private static void heartbeat(ClientSession session) {
    try {
      session.heartbeat(unixSeconds());
    } catch (RuntimeException e) {
      // an exception would silently cancel this client's periodic task
      log.warn("heartbeat failed for {}", session.stats().remote(), e);
    }
  }

  @Override
  public void onClose(WebSocket conn, int code, String reason, boolean remote) {
    if (conn.getAttachment() instanceof ClientSession session) {
      broadcaster.close(session);
      log.info("client {} left ({} {}), {}", conn.getRemoteSocketAddress(), code, reason, session.stats());
    }
  }

  @Override
  public void onMessage(WebSocket conn, String message) {
    // eCaptureQ sends nothing meaningful; inbound text is read and ignored like the reference
  }

  @Override
  public void onMessage(WebSocket conn, ByteBuffer message) {
    // ignored, as text
  }

  @Override
  public void onError(WebSocket conn, Exception e) {
    if (conn == null) {
      // the server itself failed: before onStart that is a bind error
      if (!started.completeExceptionally(e)) {
        log.error("WebSocket server failed", e);
      }
    } else {
      log.debug("client {} error: {}", conn.getRemoteSocketAddress(), e.toString());
    }
  }

  @Override
  public void onStart() {
    started.complete(null);
  }

  /** The listening port, ephemeral ports resolved. */
  int boundPort() {
    return getPort();
  }

  private static long unixSeconds() {
    return System.currentTimeMillis() / 1000;
  }
}
