package io.ecapture.kafka.gateway;

import org.eclipse.jetty.websocket.api.Session;

/** Where the server hands connections that completed their handshake, and those that ended. */
interface SessionRegistry {
  /** Registers an open connection, sends it its first frames and starts its heartbeat. */
  ClientSession open(Session connection, String path, ClientOptions options);

  /** Forgets a connection that closed, stopping its heartbeat. */
  void close(ClientSession session);
}
