package io.ecapture.kafka.collector.packets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ecapture.kafka.collector.decode.MonotonicClock;
import io.ecapture.kafka.proto.capture.PacketDirection;
import io.ecapture.kafka.proto.capture.PacketRecord;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Ring-buffer records of packets.bpf.c to PacketRecords; malformed ones refused with the reason. */
class PacketDecoderTest {
  /** Ethernet + IPv4 + TCP 127.0.0.1:50000 -> 127.0.0.2:443, 3 payload bytes. */
  static final byte[] FRAME = HexFormat.of().parseHex(
      "000000000000" + "000000000000" + "0800"
          + "4500002b0001400040060000" + "7f000001" + "7f000002"
          + "c350" + "01bb" + "00000001" + "00000000" + "5018ffff" + "00000000"
          + "160301");

  private final PacketDecoder decoder = new PacketDecoder("h1", MonotonicClock.withOffset(1_000),
      Map.of(1, new NetInterface("lo", 1, true, 14, NetInterface.LINKTYPE_ETHERNET)));

  @Test
  void decodesHeaderFrameAndFlowKey() throws Exception {
    PacketRecord r = decoder.decode(record(5_000, 1, FRAME.length + 10, FRAME.length, 2, FRAME));
    assertEquals("h1", r.getHostId());
    assertEquals("lo", r.getInterfaceName());
    assertEquals(1, r.getInterfaceIndex());
    assertEquals(PacketDirection.EGRESS, r.getDirection());
    assertEquals(5_000, r.getKernelTimeNs());
    assertEquals(6_000, r.getWallTimeNs());
    assertEquals(FRAME.length + 10, r.getOriginalLength());
    assertEquals(FRAME.length, r.getData().size());
    assertEquals("h1/tcp/127.0.0.1:50000-127.0.0.2:443", r.getFlowKey());
    assertEquals(1, r.getLinkType());
  }

  @Test
  void bothDirectionsShareTheFlowKey() throws Exception {
    byte[] reply = FRAME.clone();
    System.arraycopy(FRAME, 26, reply, 30, 4); // swap addresses
    System.arraycopy(FRAME, 30, reply, 26, 4);
    System.arraycopy(FRAME, 34, reply, 36, 2); // swap ports
    System.arraycopy(FRAME, 36, reply, 34, 2);
    assertEquals("h1/tcp/127.0.0.1:50000-127.0.0.2:443",
        decoder.decode(record(1, 1, reply.length, reply.length, 1, reply)).getFlowKey());
  }

  @Test
  void malformedRecordsAreRefusedWithTheirReason() {
    assertThrows(PacketDecoder.MalformedPacketException.class, () -> decoder.decode(MemorySegment.ofArray(new byte[10])));
    // cap_len larger than what follows
    assertThrows(PacketDecoder.MalformedPacketException.class,
        () -> decoder.decode(record(1, 1, 100, 100, 2, FRAME)));
    // cap_len > orig_len
    assertThrows(PacketDecoder.MalformedPacketException.class,
        () -> decoder.decode(record(1, 1, 10, FRAME.length, 2, FRAME)));
    // an interface not attached
    assertThrows(PacketDecoder.MalformedPacketException.class,
        () -> decoder.decode(record(1, 7, FRAME.length, FRAME.length, 2, FRAME)));
    // an unknown direction
    assertThrows(PacketDecoder.MalformedPacketException.class,
        () -> decoder.decode(record(1, 1, FRAME.length, FRAME.length, 9, FRAME)));
  }

  static MemorySegment record(long ktime, int ifindex, int origLen, int capLen, int direction, byte[] frame) {
    ByteBuffer b = ByteBuffer.allocate(PacketDecoder.HEADER_SIZE + frame.length).order(ByteOrder.nativeOrder());
    b.putLong(ktime).putInt(ifindex).putInt(origLen).putInt(capLen).put((byte) direction).put(new byte[3]).put(frame);
    return MemorySegment.ofArray(b.array());
  }
}
