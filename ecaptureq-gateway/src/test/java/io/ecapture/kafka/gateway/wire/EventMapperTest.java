package io.ecapture.kafka.gateway.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.gateway.GatewayCounters;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventMapperTest {
  private final GatewayCounters counters = new GatewayCounters();
  private final EventMapper mapper = new EventMapper(64, counters);

  private static ParsedMessage.Builder base() {
    return ParsedMessage.newBuilder()
        .setPid(7)
        .setTid(8)
        .setComm("python3")
        .setFd(3)
        .setRendered(ByteString.copyFromUtf8("HTTP/1.1 200 OK\r\n\r\n"));
  }

  @Test
  void missingTupleUsesTheLoopbackPlaceholderLikeECaptureModulesWithoutOne() {
    Event e = mapper.map(base().setDirection(Direction.READ).build(), 42);
    assertEquals("127.0.0.1", e.getSrcIp());
    assertEquals(0, e.getSrcPort());
    assertEquals("127.0.0.1", e.getDstIp());
    assertEquals(0, e.getDstPort());
    assertEquals("7_8_python3_3_0_127.0.0.1:0-127.0.0.1:0", e.getUuid());
  }

  @Test
  void missingFirstByteTimeFallsBackToTheRecordTime() {
    assertEquals(42, mapper.map(base().build(), 42).getTimestamp());
    assertEquals(99, mapper.map(base().setFirstByteTimeNs(99).build(), 42).getTimestamp());
  }

  @Test
  void ipv6EndpointsAreBracketedInTheTupleOnly() {
    Event e =
        mapper.map(
            base()
                .setDirection(Direction.WRITE)
                .setSrc(Endpoint.newBuilder().setIp("::1").setPort(5000))
                .setDst(Endpoint.newBuilder().setIp("2001:db8::2").setPort(443))
                .build(),
            0);
    assertEquals("::1", e.getSrcIp());
    assertEquals("7_8_python3_3_1_[::1]:5000-[2001:db8::2]:443", e.getUuid());
  }

  @Test
  void pidAboveInt32IsNeutralised() {
    Event e = mapper.map(base().setPid(-5).build(), 0);
    assertEquals(0, e.getPid());
  }

  @Test
  void typeFollowsProtocolAndKindAsECaptureNumbersThem() {
    assertEquals(0, type(Protocol.PROTOCOL_UNKNOWN, MessageKind.DATA));
    assertEquals(1, type(Protocol.HTTP1, MessageKind.REQUEST));
    assertEquals(3, type(Protocol.HTTP1, MessageKind.RESPONSE));
    assertEquals(2, type(Protocol.HTTP2, MessageKind.REQUEST));
    assertEquals(4, type(Protocol.HTTP2, MessageKind.RESPONSE));
    assertEquals(0, type(Protocol.HTTP2, MessageKind.DATA));
    assertEquals(2, type(Protocol.GRPC, MessageKind.REQUEST));
    assertEquals(4, type(Protocol.GRPC, MessageKind.RESPONSE));
    assertEquals(5, type(Protocol.WEBSOCKET, MessageKind.DATA));
  }

  @Test
  void databaseProtocolsAreType0WithTheirRenderedTextAsPayload() {
    for (Protocol protocol : List.of(Protocol.POSTGRES, Protocol.MYSQL, Protocol.REDIS)) {
      for (MessageKind kind : List.of(MessageKind.REQUEST, MessageKind.RESPONSE, MessageKind.DATA)) {
        assertEquals(0, type(protocol, kind), protocol + " " + kind);
      }
    }
    String text = "postgres QUERY select 1 → SELECT 1 (0.4 ms)\n"; // within the test limit
    Event e = mapper.map(base().setProtocol(Protocol.POSTGRES).setKind(MessageKind.RESPONSE)
        .setRendered(ByteString.copyFromUtf8(text)).build(), 0);
    assertEquals(text, e.getPayload().toStringUtf8());
  }

  private int type(Protocol protocol, MessageKind kind) {
    return mapper.map(base().setProtocol(protocol).setKind(kind).build(), 0).getType();
  }

  @Test
  void lengthAlwaysEqualsPayloadSize() {
    Event e = mapper.map(base().build(), 0);
    assertEquals(e.getPayload().size(), e.getLength());
    assertEquals("HTTP/1.1 200 OK\r\n\r\n", e.getPayload().toStringUtf8());
  }

  @Test
  void oversizedPayloadIsCutAtAUtf8BoundaryWithAMarkerAndCounted() throws Exception {
    // 3-byte characters so most cut points fall inside a character
    ByteString big = ByteString.copyFromUtf8("€".repeat(100));
    Event e = mapper.map(base().setRendered(big).build(), 0);
    assertTrue(e.getPayload().size() <= 64, "size " + e.getPayload().size());
    assertEquals(e.getPayload().size(), e.getLength());
    String text = strictUtf8(e.getPayload());
    assertTrue(text.contains("payload cut, 300 bytes"), text);
    assertTrue(text.startsWith("€"), text);
    assertEquals(1, counters.truncatedPayloads.sum());
    // the notice states the size in total and how many of the first bytes are shown
    int shown = text.indexOf("\n[ecaptureq-gateway");
    assertTrue(text.endsWith("first " + text.substring(0, shown).getBytes(StandardCharsets.UTF_8).length
        + " shown]"), text);
  }

  @Test
  void anEightMiBBodyWithItsHeadFitsTheDefaultPayloadLimitWhole() {
    byte[] body = new byte[8 << 20];
    java.util.Arrays.fill(body, (byte) 'x');
    ByteString rendered = ByteString.copyFromUtf8("HTTP/1.1 200 OK\r\nContent-Length: 8388608\r\n"
        + "Content-Type: text/plain\r\n\r\n").concat(ByteString.copyFrom(body));
    GatewayCounters fresh = new GatewayCounters();
    Event e = new EventMapper(io.ecapture.kafka.gateway.GatewayConfig.DEFAULT_MAX_PAYLOAD_BYTES, fresh)
        .map(base().setRendered(rendered).build(), 0);
    assertEquals(rendered, e.getPayload());
    assertEquals(0, fresh.truncatedPayloads.sum());
  }

  @Test
  void ipv6AddressesOfOlderProcessorsAreWrittenInRfc5952Form() {
    Event e =
        mapper.map(
            base()
                .setDirection(Direction.READ)
                .setSrc(Endpoint.newBuilder().setIp("0:0:0:0:0:0:0:1").setPort(443))
                .setDst(Endpoint.newBuilder().setIp("2001:DB8:0:0:1:0:0:1").setPort(5000))
                .build(),
            0);
    assertEquals("::1", e.getSrcIp());
    assertEquals("2001:db8::1:0:0:1", e.getDstIp());
    assertEquals("7_8_python3_3_0_[::1]:443-[2001:db8::1:0:0:1]:5000", e.getUuid());
  }

  @Test
  void rawBytesWithoutRenderingBecomeAHexDumpInGosLayout() {
    Event e =
        new EventMapper(4096, counters).map(
            base().setRendered(ByteString.EMPTY).setRaw(ByteString.copyFrom(new byte[] {0x16, 0x03, 'A'})).build(),
            0);
    // Go's hex.Dump (what eCapture prints): an extra space after the 8th byte column, the last
    // line padded so its ASCII column lines up
    assertEquals("00000000  16 03 41" + " ".repeat(3 * 13 + 1) + "  |..A|\n", e.getPayload().toStringUtf8());
    assertEquals(e.getPayload().size(), e.getLength());
  }

  @Test
  void aLongRawPayloadIsDumpedInWholeLinesThatFitTheLimitAsGoDumpsThem() {
    byte[] raw = "GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    // 2 lines of 79 characters fit in 200 bytes, the third (of 30 bytes) does not
    Event e =
        new EventMapper(200, counters).map(
            base().setRendered(ByteString.EMPTY).setRaw(ByteString.copyFrom(raw)).build(), 0);
    assertEquals(
        "00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|\n"
            + "00000010  48 6f 73 74 3a 20 61 0d  0a 0d 0a                 |Host: a....|\n",
        e.getPayload().toStringUtf8());
    assertEquals(0, counters.truncatedPayloads.sum(), "whole lines, nothing cut");
    Event oneLine =
        new EventMapper(100, counters).map(
            base().setRendered(ByteString.EMPTY).setRaw(ByteString.copyFrom(raw)).build(), 0);
    assertEquals(
        "00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|\n",
        oneLine.getPayload().toStringUtf8());
  }

  private static String strictUtf8(ByteString bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes.toByteArray()))
        .toString();
  }
}
