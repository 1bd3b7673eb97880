package io.ecapture.kafka.gateway.http;

import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.gateway.GatewayCounters;
import io.ecapture.kafka.gateway.GatewayStats;
import io.ecapture.kafka.gateway.forward.ForwardControl;
import io.ecapture.kafka.gateway.session.SessionRegistry;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

/**
 * The one HTTP/1.1 port of the gateway (Jetty 12): WebSocket upgrades on any path, {@code GET
 * /status}, {@code GET /metrics} and the browser view under {@code /ui/}; optionally TLS.
 *
 * <p>Inbound messages above {@link GatewayConfig#maxInboundFrameBytes()} close the connection
 * with 1009. The idle timeout ({@link GatewayConfig#idleTimeout()}) only ends connections that
 * neither read nor accept writes for several heartbeat periods (a healthy client always accepts
 * the heartbeats). At most {@link GatewayConfig#maxHttpThreads()} threads serve the port.
 */
public final class GatewayServer {
  private static final int MIN_THREADS = 4;
  /** How long a graceful stop waits for connections to close (1001 going away). */
  private static final long STOP_TIMEOUT_MS = 2000;

  private final Server server;
  private final ServerConnector connector;

  /**
   * @param sessions where completed handshakes and closed connections go
   * @param stats the snapshot {@code /status} serves
   * @param metrics what {@code /metrics} serves
   */
  public GatewayServer(GatewayConfig config, SessionRegistry sessions, GatewayCounters counters,
      Supplier<GatewayStats> stats, GatewayMetrics metrics) {
    this(config, sessions, counters, stats, metrics, null);
  }

  /** @param forwards what {@code GET/POST /config} control (event forwarders); null: none */
  public GatewayServer(GatewayConfig config, SessionRegistry sessions, GatewayCounters counters,
      Supplier<GatewayStats> stats, GatewayMetrics metrics, ForwardControl forwards) {
    QueuedThreadPool threads = new QueuedThreadPool(config.maxHttpThreads(), MIN_THREADS);
    threads.setName("gateway-http");
    threads.setDaemon(true);
    server = new Server(threads);
    connector = newConnector(server, config);
    connector.setHost(config.listen().getHostString());
    connector.setPort(config.listen().getPort());
    connector.setReuseAddress(true);
    connector.setAcceptedTcpNoDelay(true);
    if (config.socketSendBufferBytes() > 0) {
      connector.setAcceptedSendBufferSize(config.socketSendBufferBytes());
    }
    server.addConnector(connector);

    ServerWebSocketContainer container = ServerWebSocketContainer.ensure(server);
    container.setMaxBinaryMessageSize(config.maxInboundFrameBytes());
    container.setMaxTextMessageSize(config.maxInboundFrameBytes());
    // outbound frames carry payloads up to maxPayloadBytes; inbound size is bounded per message
    container.setMaxFrameSize(GatewayConfig.MAX_PAYLOAD_LIMIT + (1 << 20));
    container.setIdleTimeout(config.idleTimeout());
    server.setHandler(new GatewayHandler(config, container, sessions, counters, stats, metrics, forwards));
    server.setStopTimeout(STOP_TIMEOUT_MS);
  }

  private static ServerConnector newConnector(Server server, GatewayConfig config) {
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    if (config.tlsKeyStore() == null) {
      return new ServerConnector(server, new HttpConnectionFactory(http));
    }
    SslContextFactory.Server tls = new SslContextFactory.Server();
    tls.setKeyStorePath(config.tlsKeyStore());
    tls.setKeyStorePassword(config.tlsKeyStorePassword());
    SecureRequestCustomizer secure = new SecureRequestCustomizer();
    // a self-signed certificate for an IP address or any name must still be served
    secure.setSniHostCheck(false);
    http.addCustomizer(secure);
    return new ServerConnector(
        server,
        new SslConnectionFactory(tls, HttpVersion.HTTP_1_1.asString()),
        new HttpConnectionFactory(http));
  }

  /** Binds and starts serving; throws when the address cannot be bound or TLS cannot load. */
  public void start() throws Exception {
    server.start();
  }

  /** The listening port, ephemeral ports resolved. */
  public int boundPort() {
    return connector.getLocalPort();
  }

  /** Closes client connections (1001 going away) and releases the port. */
  public void stop() {
    try {
      server.stop();
    } catch (Exception e) {
      // stopping is best effort: the port is released by closing the connector regardless
      connector.close();
    }
  }
}
