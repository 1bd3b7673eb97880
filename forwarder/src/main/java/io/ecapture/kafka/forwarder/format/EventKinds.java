package io.ecapture.kafka.forwarder.format;

import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;

/**
 * What kind of event a parsed message is, in the reference's terms: eCaptureQ's event type (0
 * unknown, 1 HTTP/1 request, 2 HTTP/2 request, 3 HTTP/1 response, 4 HTTP/2 response, 5
 * WebSocket; gRPC rides on HTTP/2 and takes its types), and the {@code module} label of the
 * metrics and of {@code event_forward.modules}: the protocol ({@code http1}, {@code http2},
 * {@code grpc}, {@code websocket}, {@code unknown}).
 */
public final class EventKinds {
  /** The highest eCaptureQ event type. */
  public static final int MAX_TYPE = 5;

  private EventKinds() {}

  /** eCaptureQ's {@code Event.type} of {@code m}. */
  public static int type(ParsedMessage m) {
    MessageKind kind = m.getKind();
    return switch (m.getProtocol()) {
      case HTTP1 -> kind == MessageKind.REQUEST ? 1 : kind == MessageKind.RESPONSE ? 3 : 0;
      case HTTP2, GRPC -> kind == MessageKind.REQUEST ? 2 : kind == MessageKind.RESPONSE ? 4 : 0;
      case WEBSOCKET -> 5;
      default -> 0;
    };
  }

  /** A short name of the type, for text blocks. */
  public static String typeName(int type) {
    return switch (type) {
      case 1 -> "HTTP/1 request";
      case 2 -> "HTTP/2 request";
      case 3 -> "HTTP/1 response";
      case 4 -> "HTTP/2 response";
      case 5 -> "WebSocket";
      default -> "data";
    };
  }

  /** The module label: the protocol in lower case, {@code unknown} for raw data. */
  public static String module(ParsedMessage m) {
    Protocol p = m.getProtocol();
    return switch (p) {
      case HTTP1 -> "http1";
      case HTTP2 -> "http2";
      case GRPC -> "grpc";
      case WEBSOCKET -> "websocket";
      default -> "unknown";
    };
  }

  /** Every module name {@link #module} returns. */
  public static final java.util.Set<String> MODULES =
      java.util.Set.of("http1", "http2", "grpc", "websocket", "unknown");
}
