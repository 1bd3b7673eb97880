package io.ecapture.kafka.gateway.session;

import org.eclipse.jetty.websocket.api.Session;

/** Where the server hands connections that completed their handshake, and those that ended. */
public interface SessionRegistry {
  /**
   * Registers an open connection, sends it its first frames and starts its heartbeat.
   *
   * @param path the request target, any token already redacted
   */
  ClientSession open(Session connection, String path, ClientOptions options);

  /** Forgets a connection that closed, stopping its heartbeat. */
  void close(ClientSession session);
}
