package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ProtocolHandler;
import io.ecapture.kafka.processor.protocol.http.BodyDecoder;
import io.ecapture.kafka.processor.protocol.http1.Http1Handler;
import io.ecapture.kafka.processor.protocol.http2.Http2Handler;
import io.ecapture.kafka.processor.protocol.mysql.MysqlHandler;
import io.ecapture.kafka.processor.protocol.postgres.PgHandler;
import io.ecapture.kafka.processor.protocol.redis.RedisHandler;
import io.ecapture.kafka.processor.protocol.websocket.WebSocketHandler;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The protocols the processor speaks, one handler each, per task (handlers hold in-memory
 * decoding contexts). Two lists:
 *
 * <ul>
 *   <li>detected, in detection order: asked at the head of a direction whose protocol is not
 *       locked (see {@link ProtocolSelection}). The last one is also the fallback whose parser
 *       turns bytes nothing recognised into a resync (and whose boundaries end unknown data):
 *       HTTP/1.
 *   <li>entered by an upgrade only (no signature to detect): WebSocket.
 * </ul>
 *
 * <p>A new protocol (PostgreSQL, MySQL, Redis...) is a package under {@code protocol/} with a
 * {@link ProtocolHandler}, and one line below: in the detected list, before HTTP/1, at the place
 * its signature should be tried.
 */
final class ProtocolRegistry {
  private final List<ProtocolHandler<?>> detected;
  private final List<ProtocolHandler<?>> all;
  private final Map<Protocol, ProtocolHandler<?>> byProtocol = new EnumMap<>(Protocol.class);

  ProtocolRegistry(List<ProtocolHandler<?>> detected, List<ProtocolHandler<?>> upgradeOnly) {
    if (detected.isEmpty()) {
      throw new IllegalArgumentException("at least one detected protocol (the fallback)");
    }
    this.detected = List.copyOf(detected);
    List<ProtocolHandler<?>> every = new ArrayList<>(detected);
    every.addAll(upgradeOnly);
    this.all = List.copyOf(every);
    for (ProtocolHandler<?> handler : all) {
      Protocol protocol = handler.protocol();
      if (protocol == Protocol.PROTOCOL_UNKNOWN || byProtocol.put(protocol, handler) != null) {
        throw new IllegalArgumentException("protocol registered twice or unknown: " + protocol);
      }
    }
  }

  /** Every protocol the processor parses. */
  static ProtocolRegistry standard(ProcessorLimits limits, ProcessorMetrics metrics) {
    BodyDecoder bodies = new BodyDecoder(limits.maxBodyBytes());
    return new ProtocolRegistry(
        List.of( // detection order
            new Http2Handler(limits, bodies, metrics),
            new PgHandler(limits, metrics), // StartupMessage
            new MysqlHandler(limits, metrics), // handshake response (or greeting)
            new RedisHandler(limits, metrics), // a command: *<n>\r\n$
            new Http1Handler(limits, bodies, metrics)), // last: the fallback
        List.of( // entered by an upgrade only
            new WebSocketHandler(limits, metrics)));
  }

  /** The detected protocols, in detection order. */
  List<ProtocolHandler<?>> detected() {
    return detected;
  }

  /** The protocol whose parser handles bytes no protocol recognised. */
  ProtocolHandler<?> fallback() {
    return detected.getLast();
  }

  /** Every handler: detected ones in order, then upgrade-only ones. */
  List<ProtocolHandler<?>> all() {
    return all;
  }

  /** The handler of {@code protocol}, or null (PROTOCOL_UNKNOWN, or a protocol not handled). */
  ProtocolHandler<?> handler(Protocol protocol) {
    return byProtocol.get(protocol);
  }
}
