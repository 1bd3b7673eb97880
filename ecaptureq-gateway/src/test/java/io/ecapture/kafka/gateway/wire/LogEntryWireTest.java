package io.ecapture.kafka.gateway.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.gateway.GatewayCounters;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The frames the gateway builds, compared byte for byte with encodings written out by hand from
 * eCapture's field numbers (LogEntry: log_type=1, event_payload=2, heartbeat_payload=3, run_log=4;
 * Heartbeat: timestamp=1, count=2, message=3; Event: timestamp=1 ... payload=11). If a field number
 * or type in ecaptureq.proto drifted, eCaptureQ would misread us and this test fails.
 */
class LogEntryWireTest {

  @Test
  void heartbeatAtConnectIsEncodedAsECaptureDoes() {
    byte[] expected =
        bytes(
            // LogEntry.log_type HEARTBEAT = 0 is proto3's default: not on the wire
            0x1A, 0x13, // field 3 heartbeat_payload, LEN, 19 bytes
            0x08, 0x80, 0xE2, 0xCF, 0xAA, 0x06, // Heartbeat.timestamp varint 1700000000 (seconds)
            // count 0: default, absent
            0x1A, 0x0B, "heartbeat:0"); // Heartbeat.message, LEN 11
    assertArrayEquals(expected, LogEntries.frame(LogEntries.heartbeat(1_700_000_000L, 0)));
  }

  @Test
  void periodicHeartbeatCarriesItsCount() {
    byte[] expected =
        bytes(
            0x1A, 0x15,
            0x08, 0x80, 0xE2, 0xCF, 0xAA, 0x06,
            0x10, 0x03, // Heartbeat.count varint 3
            0x1A, 0x0B, "heartbeat:3");
    assertArrayEquals(expected, LogEntries.frame(LogEntries.heartbeat(1_700_000_000L, 3)));
  }

  @Test
  void processLogIsRunLogString() {
    byte[] expected =
        bytes(
            0x08, 0x01, // log_type PROCESS_LOG
            0x22, 0x05, "hello"); // field 4 run_log, LEN 5
    assertArrayEquals(expected, LogEntries.frame(LogEntries.runLog("hello")));
  }

  @Test
  void eventFromAParsedRequestIsEncodedAsECaptureDoes() {
    String uuid = "1234_1235_curl_5_1_10.0.0.1:40000-93.184.216.34:443";
    byte[] expected =
        bytes(
            0x08, 0x02, // log_type EVENT
            0x12, 0x80, 0x01, // field 2 event_payload, LEN 128 (two-byte varint)
            0x08, 0x95, 0x9A, 0x97, 0xEC, 0xE3, 0x9F, 0xE7, 0xCB, 0x17, // timestamp ns
            0x12, 51, uuid, // uuid
            0x1A, 0x08, "10.0.0.1", // src_ip
            0x20, 0xC0, 0xB8, 0x02, // src_port 40000
            0x2A, 0x0D, "93.184.216.34", // dst_ip
            0x30, 0xBB, 0x03, // dst_port 443
            0x38, 0xD2, 0x09, // pid 1234 (int64 varint)
            0x42, 0x04, "curl", // pname
            0x48, 0x01, // type 1: HTTP/1.x request
            0x50, 0x12, // length 18
            0x5A, 0x12, "GET / HTTP/1.1\r\n\r\n"); // payload bytes
    ParsedMessage parsed =
        ParsedMessage.newBuilder()
            .setHostId("host-a")
            .setPid(1234)
            .setTid(1235)
            .setComm("curl")
            .setFd(5)
            .setDirection(Direction.WRITE)
            .setSrc(Endpoint.newBuilder().setIp("10.0.0.1").setPort(40000))
            .setDst(Endpoint.newBuilder().setIp("93.184.216.34").setPort(443))
            .setFirstByteTimeNs(1_700_000_000_123_456_789L)
            .setProtocol(Protocol.HTTP1).setKind(MessageKind.REQUEST)
            .setRendered(ByteString.copyFromUtf8("GET / HTTP/1.1\r\n\r\n"))
            .build();
    EventMapper mapper = new EventMapper(1 << 20, new GatewayCounters());
    assertArrayEquals(expected, LogEntries.frame(LogEntries.event(mapper.map(parsed, 0))));
  }

  @Test
  void hostAnnotationIsAnExtraFieldThatReferenceDecodersSkip() throws Exception {
    byte[] plain = LogEntries.frame(LogEntries.runLog("line"));
    byte[] annotated = LogEntries.withHost(plain, "web-1");
    io.ecapture.kafka.proto.ecaptureq.LogEntry decoded =
        io.ecapture.kafka.proto.ecaptureq.LogEntry.parseFrom(annotated);
    assertEquals("line", decoded.getRunLog());
    assertEquals("web-1",
        decoded.getUnknownFields().getField(LogEntries.HOST_FIELD).getLengthDelimitedList().get(0).toStringUtf8());
    // the original bytes are a prefix: nothing eCaptureQ reads changed
    assertEquals(java.util.Arrays.toString(plain),
        java.util.Arrays.toString(java.util.Arrays.copyOf(annotated, plain.length)));
  }

  @Test
  void pairAnnotationCarriesPairIdLatencyAndAuthorityAsExtraFields() throws Exception {
    byte[] plain = LogEntries.frame(LogEntries.runLog("line"));
    ParsedMessage response = ParsedMessage.newBuilder().setPairId("h/1/5/9#0")
        .setLatencyNs(1_234_567)
        .setHttp(io.ecapture.kafka.proto.parsed.HttpFields.newBuilder().setAuthority("shop.example"))
        .build();
    byte[] annotated = LogEntries.withPair(plain, response);
    // field 17 LEN "h/1/5/9#0", field 18 varint 1234567, field 19 LEN "shop.example"
    assertArrayEquals(bytes(0x08, 0x01, 0x22, 0x04, "line", 0x8A, 0x01, 0x09, "h/1/5/9#0",
        0x90, 0x01, 0x87, 0xAD, 0x4B, 0x9A, 0x01, 0x0C, "shop.example"), annotated);
    io.ecapture.kafka.proto.ecaptureq.LogEntry decoded =
        io.ecapture.kafka.proto.ecaptureq.LogEntry.parseFrom(annotated);
    assertEquals("line", decoded.getRunLog());
    assertEquals(1_234_567L,
        decoded.getUnknownFields().getField(LogEntries.LATENCY_FIELD).getVarintList().get(0));
    // a request without latency or authority gets only its pair id
    byte[] request = LogEntries.withPair(plain,
        ParsedMessage.newBuilder().setPairId("h/1/5/9#0").build());
    assertArrayEquals(bytes(0x08, 0x01, 0x22, 0x04, "line", 0x8A, 0x01, 0x09, "h/1/5/9#0"), request);
    assertArrayEquals(plain, LogEntries.withPair(plain, ParsedMessage.getDefaultInstance()));
  }

  /** Ints are single bytes, strings their ASCII bytes. */
  private static byte[] bytes(Object... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object part : parts) {
      if (part instanceof Integer b) {
        out.write(b);
      } else {
        out.writeBytes(((String) part).getBytes(StandardCharsets.US_ASCII));
      }
    }
    return out.toByteArray();
  }
}
