package io.ecapture.kafka.gateway.wire;

import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;

/**
 * eCaptureQ's {@code Event.type}: which view a client shows a message in. eCapture's values are
 * 0 unknown (shown as text or hex), 1 HTTP/1 request, 2 HTTP/2 request, 3 HTTP/1 response, 4
 * HTTP/2 response, 5 WebSocket; the gateway derives them from a parsed message's protocol and
 * kind (gRPC rides on HTTP/2 and takes its types). eCaptureQ has no type for database protocols:
 * PostgreSQL, MySQL and Redis requests and responses are type 0, shown as their readable rendered
 * text ({@code postgres QUERY select 1 → SELECT 1 (0.4 ms)}).
 */
public enum EventType {
  UNKNOWN(0),
  HTTP1_REQUEST(1),
  HTTP2_REQUEST(2),
  HTTP1_RESPONSE(3),
  HTTP2_RESPONSE(4),
  WEBSOCKET(5);

  /** The highest value eCaptureQ knows. */
  public static final int MAX = 5;

  private final int wire;

  EventType(int wire) {
    this.wire = wire;
  }

  /** The number on the wire ({@code Event.type}). */
  public int wire() {
    return wire;
  }

  /** The type eCaptureQ shows {@code m} as. */
  public static EventType of(ParsedMessage m) {
    MessageKind kind = m.getKind();
    return switch (m.getProtocol()) {
      case HTTP1 -> kind == MessageKind.REQUEST ? HTTP1_REQUEST
          : kind == MessageKind.RESPONSE ? HTTP1_RESPONSE : UNKNOWN;
      case HTTP2, GRPC -> kind == MessageKind.REQUEST ? HTTP2_REQUEST
          : kind == MessageKind.RESPONSE ? HTTP2_RESPONSE : UNKNOWN;
      case WEBSOCKET -> WEBSOCKET;
      case POSTGRES, MYSQL, REDIS -> UNKNOWN; // text: eCaptureQ shows type 0 as it is
      case SHELL, SERVER_QUERY -> UNKNOWN; // capture-module events: their rendered text, type 0
      default -> UNKNOWN;
    };
  }
}
