package io.ecapture.kafka.processor.protocol.http2;

import com.google.protobuf.UnsafeByteOperations;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.protocol.Span;
import io.ecapture.kafka.processor.protocol.grpc.GrpcFieldsFactory;
import io.ecapture.kafka.processor.protocol.grpc.GrpcFrameParser;
import io.ecapture.kafka.processor.protocol.http.BodyDecoder;
import io.ecapture.kafka.processor.protocol.http.DecodedBody;
import io.ecapture.kafka.processor.render.RenderedText;
import io.ecapture.kafka.processor.state.ProcessorHttp2Stream;
import io.ecapture.kafka.proto.parsed.GrpcFields;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.HttpFields;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;

/**
 * One HTTP/2 stream's message (RFC 9113 §8.1). Pseudo-headers fill method/path/authority/status;
 * the header list keeps every field as decoded (pseudo-headers first, §8.3). A stream whose
 * {@code content-type} is {@code application/grpc*} is a gRPC call: protocol GRPC, with the gRPC
 * view of its body ({@link GrpcFieldsFactory}); the body field keeps the wire form.
 */
final class Http2Messages {
  private final BodyDecoder bodyDecoder;
  private final GrpcFrameParser grpcFrames;
  private final int maxRenderedBytes;
  private final int maxBodyBytes;

  Http2Messages(BodyDecoder bodyDecoder, GrpcFrameParser grpcFrames, int maxRenderedBytes,
      int maxBodyBytes) {
    this.bodyDecoder = bodyDecoder;
    this.grpcFrames = grpcFrames;
    this.maxRenderedBytes = maxRenderedBytes;
    this.maxBodyBytes = maxBodyBytes;
  }

  ParsedMessage.Builder of(ConnectionSession session, Span span, ProcessorHttp2Stream stream,
      boolean truncated) {
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
    // DATA past the body limit is counted, not kept (Http2StreamAssembler)
    boolean wireCut = stream.getBodyLength() > raw.length && raw.length >= maxBodyBytes;
    boolean decodedCut = decoded.truncated() && decoded.bytes().length >= maxBodyBytes;
    http.setBody(UnsafeByteOperations.unsafeWrap(decoded.bytes()))
        .setBodyTruncated(truncated || decoded.truncated() || wireCut)
        .setBodyOriginalLength(stream.getBodyLength())
        .setBodyDecoded(decoded.decoded() && !stream.getHpackFailed())
        .setBodyLimitExceeded(wireCut || decodedCut);
    if (encoding != null) {
      http.setContentEncoding(encoding);
    }
    MessageKind kind = request ? MessageKind.REQUEST : response ? MessageKind.RESPONSE : MessageKind.DATA;
    ParsedMessage.Builder out = session.newMessage(span);
    byte[] shown = decoded.bytes();
    if (grpc) {
      GrpcFields fields = GrpcFieldsFactory.of(stream.getHeadersList(), raw,
          !truncated && raw.length == stream.getBodyLength(), grpcFrames, bodyDecoder,
          maxBodyBytes);
      out.setGrpc(fields);
      shown = GrpcFieldsFactory.messageBytes(fields); // decompressed messages, prefixes removed
    }
    RenderedText text = Http2Text.head(http.build(), stream.getHpackFailed(), shown);
    // HTTP/2 shows http.body (not repeated in the text when shown whole); gRPC its messages
    if (grpc) {
      text.body(shown, maxRenderedBytes);
    } else {
      text.httpBody(shown, maxRenderedBytes);
    }
    if (decodedCut && !wireCut) {
      text.bodyCut(true, decoded.bytes().length, stream.getBodyLength(), true);
    } else if (http.getBodyTruncated()) {
      text.bodyCut(wireCut, raw.length, stream.getBodyLength(), false);
    }
    return text.build().applyTo(out
        .setProtocol(grpc ? Protocol.GRPC : Protocol.HTTP2)
        .setKind(kind)
        .setHttp(http)
        .setHttp2StreamId(stream.getStreamId()));
  }

  private static int parseStatus(String value) {
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
