package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.protocol.ProtocolHandler;
import io.ecapture.kafka.processor.protocol.ProtocolParser.Detection;
import io.ecapture.kafka.processor.protocol.http1.Http1Message;
import io.ecapture.kafka.processor.protocol.http2.Http2Frame;
import io.ecapture.kafka.processor.protocol.mysql.MysqlPacket;
import io.ecapture.kafka.processor.protocol.postgres.PgMessage;
import io.ecapture.kafka.processor.protocol.redis.RespValue;
import io.ecapture.kafka.processor.protocol.websocket.PerMessageDeflate;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.util.Locale;

/**
 * The one place that decides which protocol a direction speaks: detection at the head of a
 * direction whose protocol is not locked, and every switch a frame causes.
 *
 * <p>Detection ({@link #select}): the direction's locked protocol if it has one (its state's
 * {@code protocol}); else the {@link ProtocolRegistry#detected() detected} protocols are asked in
 * order: HTTP/2 (client preface, or a SETTINGS frame at stream offset 0), PostgreSQL (a
 * StartupMessage), MySQL (a handshake response; a server greeting at stream offset 0), Redis (a
 * command array), then HTTP/1 (response, then request methods). The first MATCH parses the frame
 * (and locks the direction if its protocol locks); a NEEDS_MORE_DATA before any match waits for more bytes unless none will come;
 * if nothing matches, the fallback (HTTP/1) parses and its INVALID makes the driver resync.
 *
 * <p>Switches ({@link #afterFrame}), after the frame was emitted:
 *
 * <ul>
 *   <li>HTTP/2 client preface (RFC 9113 §3.4): both directions are HTTP/2; the other side's parse
 *       hints, computed for HTTP/1, are dropped.
 *   <li>HTTP/1 to WebSocket (RFC 6455 §4): a request with {@code Upgrade: websocket} switches its
 *       own direction at once (frames may follow before the 101 is seen); a {@code 101} response
 *       with {@code Upgrade: websocket} switches both, with the permessage-deflate parameters the
 *       server accepted in {@code Sec-WebSocket-Extensions} (RFC 7692 §7.1); any other final
 *       response undoes the request side's switch (upgrade refused: still HTTP/1).
 *   <li>PostgreSQL, MySQL, Redis: a direction detected by its opening message (StartupMessage,
 *       handshake response or greeting, a command) locks the other direction into the same
 *       protocol, as the server's side.
 *   <li>CONNECT (RFC 9110 §9.3.6): a 2xx response has no content (the HTTP/1 parser's framing
 *       rule) and nothing is switched: HTTP/1 never locks, so the tunnelled bytes are detected
 *       afresh like any stream head (an opaque TLS tunnel becomes unknown data; HTTP/1 or an
 *       HTTP/2 preface inside it is parsed as such).
 * </ul>
 */
final class ProtocolSelection {
  private final ProtocolRegistry registry;

  ProtocolSelection(ProtocolRegistry registry) {
    this.registry = registry;
  }

  /**
   * The handler for the frame at {@code buf[pos, buf.length)} of the direction, or null when
   * detection needs more bytes first.
   *
   * @param end no more bytes will follow the buffer (idle, close, gap, or the buffer is full)
   */
  ProtocolHandler<?> select(ProcessorDirectionState.Builder dir, byte[] buf, int pos, boolean end) {
    ProtocolHandler<?> locked = locked(dir);
    if (locked != null) {
      return locked;
    }
    boolean streamStart = dir.getBufferOffset() + pos == 0 && !dir.getGapBefore();
    for (ProtocolHandler<?> handler : registry.detected()) {
      Detection detection = handler.detect(buf, pos, buf.length, streamStart);
      if (detection == Detection.MATCH) {
        if (handler.locksOnDetection()) {
          dir.setProtocol(handler.protocol());
        }
        return handler;
      }
      if (detection == Detection.NEEDS_MORE_DATA && !end) {
        return null;
      }
    }
    return registry.fallback();
  }

  /**
   * The protocol the direction is locked into (its state names a protocol that locks, by
   * detection or upgrade), or null: detected afresh at every frame head.
   */
  ProtocolHandler<?> locked(ProcessorDirectionState.Builder dir) {
    ProtocolHandler<?> handler = registry.handler(dir.getProtocol());
    return handler != null && handler.locksOnDetection() ? handler : null;
  }

  /** The handler whose frame boundaries a resync of the direction looks for. */
  ProtocolHandler<?> current(ProcessorDirectionState.Builder dir) {
    ProtocolHandler<?> locked = locked(dir);
    return locked != null ? locked : registry.fallback();
  }

  /** The switches {@code frame}, just emitted in {@code direction}, causes (see the class doc). */
  void afterFrame(ConnectionSession session, Direction direction, Object frame) {
    switch (frame) {
      case Http2Frame f when f.type() == Http2Frame.PREFACE -> clientPreface(session, direction);
      case Http1Message m when m.request() -> upgradeRequest(session, direction, m);
      case Http1Message m -> upgradeResponse(session, direction, m);
      case PgMessage m -> bothDirections(session, direction, Protocol.POSTGRES);
      case MysqlPacket p -> bothDirections(session, direction, Protocol.MYSQL);
      case RespValue v -> bothDirections(session, direction, Protocol.REDIS);
      default -> {}
    }
  }

  /**
   * Database protocols: the first frame of one side (PostgreSQL StartupMessage, MySQL handshake
   * response or greeting, a Redis command) locks the other direction too, since the server's
   * messages (PostgreSQL 'R', MySQL OK, a Redis reply) have no signature of their own.
   */
  private static void bothDirections(ConnectionSession session, Direction direction,
      Protocol protocol) {
    ProcessorDirectionState.Builder other = session.direction(ConnectionSession.opposite(direction));
    if (other.getProtocol() != protocol) {
      other.setProtocol(protocol).setUnknownPrefixBytes(0).setParseNeedsBytes(0);
    }
  }

  private static void clientPreface(ConnectionSession session, Direction direction) {
    session.direction(direction).setProtocol(Protocol.HTTP2);
    session.direction(ConnectionSession.opposite(direction)).setProtocol(Protocol.HTTP2)
        .setUnknownPrefixBytes(0).setParseNeedsBytes(0);
  }

  private static void upgradeRequest(ConnectionSession session, Direction direction,
      Http1Message request) {
    if (asksForWebSocket(request)) {
      session.direction(direction).setProtocol(Protocol.WEBSOCKET);
    }
  }

  private static void upgradeResponse(ConnectionSession session, Direction direction,
      Http1Message response) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    ProcessorDirectionState.Builder requestSide =
        session.direction(ConnectionSession.opposite(direction));
    if (response.status() == 101 && asksForWebSocket(response)) {
      PerMessageDeflate deflate =
          PerMessageDeflate.fromResponseHeader(response.header("Sec-WebSocket-Extensions"));
      dir.setProtocol(Protocol.WEBSOCKET).setWsDeflate(deflate.enabled())
          .setWsNoContextTakeover(deflate.serverNoContextTakeover());
      requestSide.setProtocol(Protocol.WEBSOCKET).setWsDeflate(deflate.enabled())
          .setWsNoContextTakeover(deflate.clientNoContextTakeover());
    } else if (!response.interim() && requestSide.getProtocol() == Protocol.WEBSOCKET) {
      // upgrade refused: still HTTP/1, and hints computed for WebSocket no longer hold
      requestSide.setProtocol(Protocol.PROTOCOL_UNKNOWN)
          .setUnknownPrefixBytes(0).setParseNeedsBytes(0);
    }
  }

  private static boolean asksForWebSocket(Http1Message message) {
    String upgrade = message.header("Upgrade");
    return upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("websocket");
  }
}
