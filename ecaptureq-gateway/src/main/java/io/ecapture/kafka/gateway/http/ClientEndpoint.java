package io.ecapture.kafka.gateway.http;

import io.ecapture.kafka.gateway.session.ClientOptions;
import io.ecapture.kafka.gateway.session.ClientSession;
import io.ecapture.kafka.gateway.session.SessionRegistry;
import java.nio.ByteBuffer;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jetty's view of one client connection: registers the {@link ClientSession} on open, drops it
 * on close and reads (then ignores) whatever the client sends, as the reference does. Pings are
 * answered by Jetty itself; messages above the configured size close the connection with 1009.
 *
 * <p>Public only because Jetty binds the listener methods through method handles; not API.
 */
public final class ClientEndpoint implements Session.Listener.AutoDemanding {
  private static final Logger log = LoggerFactory.getLogger(ClientEndpoint.class);

  private final String path;
  private final ClientOptions options;
  private final SessionRegistry registry;
  private volatile ClientSession session;

  /** @param target the request target the client connected with (redacted here) */
  ClientEndpoint(String target, ClientOptions options, SessionRegistry registry) {
    this.path = AccessToken.redact(target);
    this.options = options;
    this.registry = registry;
  }

  @Override
  public void onWebSocketOpen(Session connection) {
    session = registry.open(connection, path, options);
    log.info("client {} connected to {}",
        io.ecapture.kafka.common.IpAddresses.format(connection.getRemoteSocketAddress()), path);
  }

  @Override
  public void onWebSocketText(String message) {
    // eCaptureQ sends nothing meaningful; inbound text is read and ignored like the reference
  }

  @Override
  public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
    callback.succeed();
  }

  @Override
  public void onWebSocketClose(int code, String reason) {
    ClientSession s = session;
    if (s != null) {
      registry.close(s);
      log.info("client {} left ({} {}), {}", s.stats().remote(), code, reason, s.stats());
    }
  }

  @Override
  public void onWebSocketError(Throwable cause) {
    ClientSession s = session;
    log.debug("client {} error: {}", s == null ? "?" : s.stats().remote(), cause.toString());
  }
}
