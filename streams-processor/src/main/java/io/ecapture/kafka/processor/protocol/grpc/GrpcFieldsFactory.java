package io.ecapture.kafka.processor.protocol.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.ecapture.kafka.processor.protocol.http.BodyDecoder;
import io.ecapture.kafka.processor.protocol.http.DecodedBody;
import io.ecapture.kafka.proto.parsed.GrpcFields;
import io.ecapture.kafka.proto.parsed.GrpcMessage;
import io.ecapture.kafka.proto.parsed.Header;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The gRPC view of one HTTP/2 stream (gRPC over HTTP/2 protocol spec): service and method from
 * {@code :path}, length-prefixed messages from the body (compressed ones decoded with the
 * stream's {@code grpc-encoding}: gzip, deflate, zstd), status from the trailers. gRPC is not a
 * protocol of its own on the wire: the HTTP/2 handler asks for this view of every stream whose
 * {@code content-type} is {@code application/grpc*}.
 */
public final class GrpcFieldsFactory {
  private GrpcFieldsFactory() {}

  /** {@link #of(List, byte[], boolean, GrpcFrameParser, BodyDecoder, long)} without a budget. */
  public static GrpcFields of(List<Header> headers, byte[] body, boolean bodyComplete,
      GrpcFrameParser frames, BodyDecoder decoder) {
    return of(headers, body, bodyComplete, frames, decoder, Long.MAX_VALUE);
  }

  /**
   * The gRPC view of a stream's {@code body}.
   *
   * @param maxDataBytes the messages' data together (decompressed) stay within this (the body
   *     limit): once it is used up, later messages are listed without data and flagged truncated,
   *     and no more decompression work is done (many small compressed messages cannot multiply
   *     the body limit)
   */
  public static GrpcFields of(List<Header> headers, byte[] body, boolean bodyComplete,
      GrpcFrameParser frames, BodyDecoder decoder, long maxDataBytes) {
    GrpcFields.Builder grpc = GrpcFields.newBuilder();
    String encoding = "";
    for (Header field : headers) {
      switch (field.getName()) {
        case ":path" -> setServiceAndMethod(grpc, field.getValue());
        case "grpc-encoding" -> encoding = field.getValue().strip();
        case "grpc-status" -> {
          try {
            grpc.setStatus(Integer.parseInt(field.getValue().strip())).setHasStatus(true);
          } catch (NumberFormatException e) {
            grpc.setHasStatus(false);
          }
        }
        case "grpc-message" -> grpc.setStatusMessage(percentDecode(field.getValue()));
        default -> {}
      }
    }
    grpc.setEncoding(encoding);
    GrpcFrameParser.Split split = frames.split(body, bodyComplete);
    grpc.setMessagesTruncated(split.truncated());
    long room = maxDataBytes;
    for (GrpcFrame frame : split.frames()) {
      GrpcMessage.Builder message = GrpcMessage.newBuilder()
          .setCompressed(frame.compressed())
          .setLength((int) Math.min(Integer.MAX_VALUE, frame.length()))
          .setTruncated(frame.truncated());
      if (room <= 0) {
        grpc.addMessages(message.setTruncated(true).setDecoded(false));
        grpc.setMessagesTruncated(true);
        continue;
      }
      if (!frame.compressed()) {
        message.setData(ByteString.copyFrom(frame.payload())).setDecoded(true);
      } else {
        boolean known = !encoding.isEmpty() && !encoding.equalsIgnoreCase("identity");
        DecodedBody decoded = known ? decoder.decode(encoding, frame.payload()) : null;
        if (decoded != null && decoded.decoded()) {
          message.setData(UnsafeByteOperations.unsafeWrap(decoded.bytes())).setDecoded(true)
              .setTruncated(frame.truncated() || decoded.truncated());
        } else {
          message.setData(ByteString.copyFrom(frame.payload())).setDecoded(false);
        }
      }
      if (message.getData().size() > room) {
        message.setData(message.getData().substring(0, (int) room)).setTruncated(true);
        grpc.setMessagesTruncated(true);
      }
      room -= message.getData().size();
      grpc.addMessages(message);
    }
    return grpc.build();
  }

  /** The messages' bytes one after the other (decompressed where possible), for display. */
  public static byte[] messageBytes(GrpcFields grpc) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (GrpcMessage message : grpc.getMessagesList()) {
      out.writeBytes(message.getData().toByteArray());
    }
    return out.toByteArray();
  }

  private static void setServiceAndMethod(GrpcFields.Builder grpc, String path) {
    int slash = path.lastIndexOf('/');
    if (path.startsWith("/") && slash > 0) {
      grpc.setService(path.substring(1, slash)).setMethod(path.substring(slash + 1));
    }
  }

  /** grpc-message is percent-encoded UTF-8; a malformed escape is kept as it is. */
  static String percentDecode(String value) {
    if (value.indexOf('%') < 0) {
      return value;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '%' && i + 2 < value.length()
          && Character.digit(value.charAt(i + 1), 16) >= 0
          && Character.digit(value.charAt(i + 2), 16) >= 0) {
        out.write(Character.digit(value.charAt(i + 1), 16) << 4 | Character.digit(value.charAt(i + 2), 16));
        i += 2;
      } else {
        out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
