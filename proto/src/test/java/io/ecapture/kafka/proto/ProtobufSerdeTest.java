package io.ecapture.kafka.proto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.ProcessInfo;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsData;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.HttpFields;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class ProtobufSerdeTest {
  private static RawEvent sampleRaw() {
    return RawEvent.newBuilder()
        .setHostId("host-a")
        .setConnectionId("host-a/1234/5/99")
        .setProcess(ProcessInfo.newBuilder().setPid(1234).setTid(1235).setComm("curl"))
        .setFd(5)
        .setData(
            TlsData.newBuilder()
                .setDirection(Direction.WRITE)
                .setOffset(42)
                .setPayload(ByteString.copyFromUtf8("GET / HTTP/1.1\r\n\r\n"))
                .setOriginalLength(18))
        .build();
  }

  @Test
  void rawEventRoundTripsPlain() {
    RawEvent in = sampleRaw();
    byte[] bytes = Serdes.RAW_EVENT.serializer().serialize("t", in);
    assertArrayEquals(in.toByteArray(), bytes);
    assertEquals(in, Serdes.RAW_EVENT.deserializer().deserialize("t", bytes));
  }

  @Test
  void parsedMessageRoundTrips() {
    ParsedMessage in =
        ParsedMessage.newBuilder()
            .setConnectionId("c")
            .setHttp(
                HttpFields.newBuilder()
                    .setMethod("POST")
                    .addHeaders(Header.newBuilder().setName("a").setValue("1"))
                    .addHeaders(Header.newBuilder().setName("a").setValue("2")))
            .setPairId("c#1")
            .build();
    byte[] bytes = Serdes.PARSED_MESSAGE.serializer().serialize("t", in);
    ParsedMessage out = Serdes.PARSED_MESSAGE.deserializer().deserialize("t", bytes);
    assertEquals(in, out);
    assertEquals("2", out.getHttp().getHeaders(1).getValue());
  }

  @Test
  void confluentFramingIsWrittenAndReadBack() {
    ProtobufSerde<RawEvent> framed = new ProtobufSerde<>(RawEvent.parser(), "RawEvent", 7);
    RawEvent in = sampleRaw();
    byte[] bytes = framed.serializer().serialize("t", in);
    assertEquals(0, bytes[0]);
    assertEquals(7, bytes[4]);
    assertEquals(0, bytes[5]);
    // a plain deserializer understands framed values too
    assertEquals(in, Serdes.RAW_EVENT.deserializer().deserialize("t", bytes));
  }

  @Test
  void anAliasingSerdeDecodesTheSameValuesAndSharesTheInputArray() {
    RawEvent in = sampleRaw();
    byte[] bytes = in.toByteArray();
    ProtobufSerde<RawEvent> aliasing = Serdes.RAW_EVENT.aliasing();
    RawEvent out = aliasing.deserializer().deserialize("t", bytes);
    assertEquals(in, out);
    // the payload is a view of the input: a change to the array shows through (not a copy)
    int at = indexOf(bytes, "GET /".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    bytes[at] = 'P';
    assertEquals("PET / HTTP/1.1\r\n\r\n", out.getData().getPayload().toStringUtf8());
    RawEvent copied = Serdes.RAW_EVENT.deserializer().deserialize("t", in.toByteArray());
    assertEquals("GET / HTTP/1.1\r\n\r\n", copied.getData().getPayload().toStringUtf8());
    // framed values and garbage as before
    byte[] framed = new ProtobufSerde<>(RawEvent.parser(), "RawEvent", 7).serializer().serialize("t", in);
    assertEquals(in, aliasing.deserializer().deserialize("t", framed));
    assertThrows(SerializationException.class,
        () -> aliasing.deserializer().deserialize("t", new byte[] {(byte) 0xff, (byte) 0xff, 1}));
  }

  private static int indexOf(byte[] data, byte[] what) {
    outer:
    for (int i = 0; i + what.length <= data.length; i++) {
      for (int j = 0; j < what.length; j++) {
        if (data[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }

  @Test
  void nullStaysNull() {
    assertNull(Serdes.RAW_EVENT.serializer().serialize("t", null));
    assertNull(Serdes.RAW_EVENT.deserializer().deserialize("t", null));
  }

  @Test
  void garbageIsASerializationExceptionNamingTheType() {
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01};
    SerializationException e =
        assertThrows(
            SerializationException.class,
            () -> Serdes.RAW_EVENT.deserializer().deserialize("ecapture.raw", garbage));
    assertEquals(true, e.getMessage().contains("RawEvent"));
    assertThrows(
        SerializationException.class,
        () -> Serdes.RAW_EVENT.deserializer().deserialize("t", new byte[] {0, 0, 0}));
  }

  @Test
  void packetRecordRoundTrips() {
    io.ecapture.kafka.proto.capture.PacketRecord in = io.ecapture.kafka.proto.capture.PacketRecord.newBuilder()
        .setHostId("h").setInterfaceName("lo").setInterfaceIndex(1)
        .setDirection(io.ecapture.kafka.proto.capture.PacketDirection.EGRESS)
        .setKernelTimeNs(5).setWallTimeNs(6).setOriginalLength(3)
        .setData(ByteString.copyFrom(new byte[] {1, 2, 3})).setFlowKey("h/tcp/a-b").setLinkType(1).build();
    byte[] bytes = Serdes.PACKET_RECORD.serializer().serialize("t", in);
    assertEquals(in, Serdes.PACKET_RECORD.deserializer().deserialize("t", bytes));
    assertEquals(in, Topics.PACKETS.valueSerde().deserializer().deserialize("t", bytes));
  }
}
