package io.ecapture.kafka.processor.topology;

import static io.ecapture.kafka.processor.topology.TopologyBytes.concat;
import static io.ecapture.kafka.processor.topology.TopologyBytes.h2;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ecapture.kafka.processor.protocol.http2.Http2FrameParser;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * gRPC: an HTTP/2 stream whose content-type is application/grpc is a GRPC message.
 */
class GrpcTopologyTest extends HarnessTopologyTest {
  @Test
  void grpcCallsAreTaggedGrpc() {
    // literal fields without indexing (RFC 7541 §6.2.2): :method POST, :path, content-type
    java.io.ByteArrayOutputStream block = new java.io.ByteArrayOutputStream();
    block.write(0x83); // :method POST (static index 3)
    block.write(0x04); // :path, literal value follows
    byte[] path = "/pkg.Svc/Call".getBytes(StandardCharsets.US_ASCII);
    block.write(path.length);
    block.writeBytes(path);
    block.write(0x0f); // content-type is static index 31: 4-bit prefix 15 + 16
    block.write(0x10);
    byte[] type = "application/grpc".getBytes(StandardCharsets.US_ASCII);
    block.write(type.length);
    block.writeBytes(type);
    byte[] client = concat(Http2FrameParser.CLIENT_PREFACE,
        concat(h2(0x1, 0x4, 1, block.toByteArray()), h2(0x0, 0x1, 1, new byte[] {0, 0, 0, 0, 2, 8, 1})));
    harness.send(events.data(Direction.WRITE, 0, client, 0));
    ParsedMessage call = harness.parsed().readValue();
    assertEquals(Protocol.GRPC, call.getProtocol());
    assertEquals("/pkg.Svc/Call", call.getHttp().getPath());
    assertEquals(MessageKind.REQUEST, call.getKind());
    assertEquals(7, call.getHttp().getBody().size());
  }
}
