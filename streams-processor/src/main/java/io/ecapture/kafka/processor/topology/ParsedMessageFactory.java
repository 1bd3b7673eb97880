package io.ecapture.kafka.processor.topology;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.processor.protocol.grpc.GrpcFrameParser;
import io.ecapture.kafka.processor.protocol.http1.BodyDecoder;
import io.ecapture.kafka.processor.protocol.http1.DecodedBody;
import io.ecapture.kafka.processor.protocol.http1.HeaderField;
import io.ecapture.kafka.processor.protocol.http1.Http1Message;
import io.ecapture.kafka.processor.protocol.websocket.WebSocketFrame;
import io.ecapture.kafka.processor.protocol.websocket.WebSocketMessage;
import io.ecapture.kafka.processor.render.TextRenderer;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.Tuple;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.GrpcFields;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.HttpFields;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.processor.state.ProcessorHttp2Stream;
import io.ecapture.kafka.proto.parsed.Protocol;
import io.ecapture.kafka.proto.parsed.WebSocketFields;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Turns parser output plus connection identity into {@link ParsedMessage} records. */
final class ParsedMessageFactory {
  private final BodyDecoder bodyDecoder;
  private final GrpcFrameParser grpcFrames;
  private final int maxRenderedBytes;

  ParsedMessageFactory(BodyDecoder bodyDecoder, int maxBodyBytes, int maxRenderedBytes) {
    this.bodyDecoder = bodyDecoder;
    this.grpcFrames = new GrpcFrameParser(maxBodyBytes);
    this.maxRenderedBytes = maxRenderedBytes;
  }

  /** Where a message sits in its direction's stream and when its bytes were captured. */
  record Span(Direction direction, long streamOffset, int length, long firstByteNs, long lastByteNs,
      boolean gapBefore) {}

  ParsedMessage.Builder http1(String connectionId, RawEvent identity, Span span, Http1Message m) {
    DecodedBody decoded = bodyDecoder.decode(m.header("Content-Encoding"), m.body());
    HttpFields.Builder http = HttpFields.newBuilder()
        .setVersion(m.version())
        .setMethod(m.method())
        .setPath(m.target())
        .setStatus(m.status())
        .setReason(m.reason())
        .setBody(ByteString.copyFrom(decoded.bytes()))
        .setBodyTruncated(m.bodyTruncated() || decoded.truncated())
        .setBodyOriginalLength(m.bodyOriginalLength())
        .setBodyDecoded(decoded.decoded());
    String authority = m.header("Host");
    if (authority != null) {
      http.setAuthority(authority);
    }
    String encoding = m.header("Content-Encoding");
    if (encoding != null) {
      http.setContentEncoding(encoding);
    }
    for (HeaderField field : m.headers()) {
      http.addHeaders(Header.newBuilder().setName(field.name()).setValue(field.value()));
    }
    return common(connectionId, identity, span)
        .setProtocol(Protocol.HTTP1)
        .setKind(m.request() ? MessageKind.REQUEST : MessageKind.RESPONSE)
        .setHttp(http)
        .setRendered(ByteString.copyFrom(TextRenderer.http1(m, decoded.bytes(), maxRenderedBytes)));
  }

  /**
   * One HTTP/2 stream's message. Pseudo-headers fill method/path/authority/status; the header
   * list keeps every field as decoded (pseudo-headers first, RFC 9113 §8.3).
   */
  ParsedMessage.Builder http2(String connectionId, RawEvent identity, Span span,
      ProcessorHttp2Stream stream, boolean truncated) {
    HttpFields.Builder http = HttpFields.newBuilder().setVersion("HTTP/2");
    String encoding = null;
    boolean grpc = false;
    boolean request = false;
    boolean response = false;
    for (Header field : stream.getHeadersList()) {
      switch (field.getName()) {
        case ":method" -> {
          http.setMethod(field.getValue());
          request = true;
        }
        case ":path" -> http.setPath(field.getValue());
        case ":authority" -> http.setAuthority(field.getValue());
        case ":status" -> {
          http.setStatus(parseStatus(field.getValue()));
          response = true;
        }
        case "content-encoding" -> encoding = field.getValue();
        case "content-type" -> grpc = field.getValue().startsWith("application/grpc");
        default -> {}
      }
      http.addHeaders(field);
    }
    byte[] raw = stream.getBody().toByteArray();
    DecodedBody decoded = bodyDecoder.decode(encoding, raw);
    http.setBody(ByteString.copyFrom(decoded.bytes()))
        .setBodyTruncated(truncated || decoded.truncated())
        .setBodyOriginalLength(stream.getBodyLength())
        .setBodyDecoded(decoded.decoded() && !stream.getHpackFailed());
    if (encoding != null) {
      http.setContentEncoding(encoding);
    }
    MessageKind kind = request ? MessageKind.REQUEST : response ? MessageKind.RESPONSE : MessageKind.DATA;
    ParsedMessage.Builder out = common(connectionId, identity, span);
    byte[] shown = decoded.bytes();
    if (grpc) {
      GrpcFields fields = GrpcFieldsFactory.of(stream.getHeadersList(), raw,
          !truncated && raw.length == stream.getBodyLength(), grpcFrames, bodyDecoder);
      out.setGrpc(fields);
      shown = GrpcFieldsFactory.messageBytes(fields); // decompressed messages, prefixes removed
    }
    return out
        // gRPC rides on HTTP/2; the body field keeps the wire form
        .setProtocol(grpc ? Protocol.GRPC : Protocol.HTTP2)
        .setKind(kind)
        .setHttp(http)
        .setHttp2StreamId(stream.getStreamId())
        .setRendered(ByteString.copyFrom(TextRenderer.http2(http.build(), stream.getStreamId(),
            stream.getHpackFailed(), shown, maxRenderedBytes)));
  }

  private static int parseStatus(String value) {
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  ParsedMessage.Builder webSocket(String connectionId, RawEvent identity, Span span,
      WebSocketMessage message) {
    WebSocketFrame frame = message.asFrame();
    WebSocketFields.Builder ws = WebSocketFields.newBuilder()
        .setFin(message.fin())
        .setOpcode(message.opcode())
        .setOpcodeName(frame.opcodeName())
        .setMasked(message.masked())
        .setCompressed(message.compressed())
        .setPayloadLength(message.payloadLength())
        .setPayload(ByteString.copyFrom(message.payload()))
        .setPayloadTruncated(message.truncated())
        .setCloseCode(frame.closeCode())
        .setFrames(message.frames())
        .setInflated(message.inflated())
        .setInflateFailed(message.inflateFailed());
    return common(connectionId, identity, span)
        .setProtocol(Protocol.WEBSOCKET)
        .setKind(MessageKind.DATA)
        .setWebsocket(ws)
        .setRendered(ByteString.copyFrom(TextRenderer.webSocket(frame, maxRenderedBytes)));
  }

  ParsedMessage.Builder unknown(String connectionId, RawEvent identity, Span span, byte[] raw) {
    return common(connectionId, identity, span)
        .setProtocol(Protocol.PROTOCOL_UNKNOWN)
        .setKind(MessageKind.DATA)
        .setRaw(ByteString.copyFrom(raw))
        .setRendered(ByteString.copyFrom(TextRenderer.unknown(raw, maxRenderedBytes)));
  }

  private static ParsedMessage.Builder common(String connectionId, RawEvent identity, Span span) {
    ParsedMessage.Builder out = ParsedMessage.newBuilder()
        .setConnectionId(connectionId)
        .setHostId(identity.getHostId())
        .setPid(identity.getProcess().getPid())
        .setTid(identity.getProcess().getTid())
        .setComm(identity.getProcess().getComm())
        .setFd(identity.getFd())
        .setDirection(span.direction())
        .setStreamOffset(span.streamOffset())
        .setLength(span.length())
        .setFirstByteTimeNs(span.firstByteNs())
        .setLastByteTimeNs(span.lastByteNs())
        .setGapBefore(span.gapBefore());
    if (identity.hasTuple()) {
      Tuple tuple = identity.getTuple();
      out.setFamily(tuple.getFamily())
          .setSrc(endpoint(tuple.getSrcAddr(), tuple.getSrcPort()))
          .setDst(endpoint(tuple.getDstAddr(), tuple.getDstPort()));
    }
    return out;
  }

  /** Renders 4- or 16-byte network-order addresses; anything else becomes an empty ip. */
  static Endpoint endpoint(ByteString address, int port) {
    Endpoint.Builder endpoint = Endpoint.newBuilder().setPort(port);
    if (address.size() == 4 || address.size() == 16) {
      try {
        endpoint.setIp(InetAddress.getByAddress(address.toByteArray()).getHostAddress());
      } catch (UnknownHostException e) {
        // unreachable for 4 or 16 bytes; leave the ip empty
      }
    }
    return endpoint.build();
  }
}
