package io.ecapture.kafka.collector.packets;

import io.ecapture.kafka.collector.decode.MonotonicClock;
import io.ecapture.kafka.common.TcpFrame;
import io.ecapture.kafka.proto.capture.PacketDirection;
import io.ecapture.kafka.proto.capture.PacketRecord;
import com.google.protobuf.ByteString;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;

/**
 * Turns a {@code packets} ring-buffer record (struct packet_event of packets.h, then the frame)
 * into a {@link PacketRecord}: interface by ifindex, wall-clock time from the kernel's monotonic
 * one, the flow key from the frame's TCP headers.
 */
public final class PacketDecoder {
  /** sizeof(struct packet_event). */
  public static final int HEADER_SIZE = 24;
  static final int KTIME_NS = 0;
  static final int IFINDEX = 8;
  static final int ORIG_LEN = 12;
  static final int CAP_LEN = 16;
  static final int DIRECTION = 20;
  private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
  private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

  /** A record that does not describe a frame of an attached interface. */
  public static final class MalformedPacketException extends Exception {
    MalformedPacketException(String message) {
      super(message);
    }
  }

  private final String hostId;
  private final MonotonicClock clock;
  private final Map<Integer, NetInterface> interfaces;

  /** @param interfaces the attached interfaces by ifindex */
  public PacketDecoder(String hostId, MonotonicClock clock, Map<Integer, NetInterface> interfaces) {
    this.hostId = hostId;
    this.clock = clock;
    this.interfaces = Map.copyOf(interfaces);
  }

  public PacketRecord decode(MemorySegment record) throws MalformedPacketException {
    if (record.byteSize() < HEADER_SIZE) {
      throw new MalformedPacketException("packet record of " + record.byteSize() + " bytes, header is " + HEADER_SIZE);
    }
    long capLen = Integer.toUnsignedLong(record.get(U32, CAP_LEN));
    long origLen = Integer.toUnsignedLong(record.get(U32, ORIG_LEN));
    if (capLen == 0 || HEADER_SIZE + capLen != record.byteSize()) {
      throw new MalformedPacketException("cap_len " + capLen + " does not fit a record of " + record.byteSize() + " bytes");
    }
    if (capLen > origLen) {
      throw new MalformedPacketException("cap_len " + capLen + " > orig_len " + origLen);
    }
    int ifindex = record.get(U32, IFINDEX);
    NetInterface iface = interfaces.get(ifindex);
    if (iface == null) {
      throw new MalformedPacketException("frame of ifindex " + ifindex + ", not an attached interface");
    }
    int direction = record.get(ValueLayout.JAVA_BYTE, DIRECTION);
    PacketDirection dir = switch (direction) {
      case 1 -> PacketDirection.INGRESS;
      case 2 -> PacketDirection.EGRESS;
      default -> throw new MalformedPacketException("direction " + direction);
    };
    byte[] data = record.asSlice(HEADER_SIZE, capLen).toArray(ValueLayout.JAVA_BYTE);
    long ktime = record.get(U64, KTIME_NS);
    String flowKey = TcpFrame.parse(data, iface.linkType())
        .map(f -> f.flowKey(hostId))
        .orElse(hostId + "/" + iface.name() + "/other");
    return PacketRecord.newBuilder()
        .setHostId(hostId)
        .setInterfaceName(iface.name())
        .setInterfaceIndex(ifindex)
        .setDirection(dir)
        .setKernelTimeNs(ktime)
        .setWallTimeNs(clock.toUnixNanos(ktime))
        .setOriginalLength((int) origLen)
        .setData(ByteString.copyFrom(data))
        .setFlowKey(flowKey)
        .setLinkType(iface.linkType())
        .build();
  }
}
