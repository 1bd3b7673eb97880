package io.ecapture.kafka.pcapng;

import io.ecapture.kafka.proto.capture.PacketDirection;
import io.ecapture.kafka.proto.capture.PacketRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One PCAPNG section being written: the Section Header Block first, then an Interface Description
 * Block the first time a (host, interface, link type) appears, Enhanced Packet Blocks, and
 * Decryption Secrets Blocks wherever keys become known. Interface ids count IDBs in the order
 * written, as readers count them.
 */
public final class PcapngFile implements AutoCloseable {
  /** The IDB snap length: the collector's largest (packets.h PACKET_MAX_SNAP, 256 KiB). */
  static final int SNAP_LENGTH = 262144;

  private record InterfaceKey(String host, String name, int index, int linkType) {}

  private final OutputStream out;
  private final Map<InterfaceKey, Integer> interfaces = new LinkedHashMap<>();
  private long packets;
  private long secretsBlocks;

  public PcapngFile(OutputStream out) throws IOException {
    this.out = out;
    out.write(Pcapng.sectionHeader("ecapture-kafka pcap"));
  }

  /** Writes the packet (and its interface's IDB before it, the first time). */
  public void packet(PacketRecord record) throws IOException {
    InterfaceKey key = new InterfaceKey(record.getHostId(), record.getInterfaceName(), record.getInterfaceIndex(),
        record.getLinkType());
    Integer id = interfaces.get(key);
    if (id == null) {
      id = interfaces.size();
      interfaces.put(key, id);
      out.write(Pcapng.interfaceDescription(record.getLinkType(), SNAP_LENGTH,
          record.getHostId() + "/" + record.getInterfaceName(),
          record.getInterfaceName() + " (ifindex " + record.getInterfaceIndex() + ") on host " + record.getHostId()
              + ", captured by the ecapture-kafka collector"));
    }
    int flags = record.getDirection() == PacketDirection.INGRESS ? Pcapng.FLAGS_INBOUND
        : record.getDirection() == PacketDirection.EGRESS ? Pcapng.FLAGS_OUTBOUND : 0;
    byte[] data = record.getData().toByteArray();
    out.write(Pcapng.enhancedPacket(id, record.getWallTimeNs(), data,
        Math.max(data.length, record.getOriginalLength()), flags));
    packets++;
  }

  /** Writes a Decryption Secrets Block with these NSS key-log lines. */
  public void keyLog(Collection<String> lines) throws IOException {
    if (!lines.isEmpty()) {
      out.write(Pcapng.tlsKeyLog(lines));
      secretsBlocks++;
    }
  }

  public void flush() throws IOException {
    out.flush();
  }

  public int interfaceCount() {
    return interfaces.size();
  }

  public long packetCount() {
    return packets;
  }

  public long secretsBlockCount() {
    return secretsBlocks;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
