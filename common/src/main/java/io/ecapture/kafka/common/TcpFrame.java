package io.ecapture.kafka.common;

import java.util.Arrays;
import java.util.Optional;

/**
 * The IP and TCP headers of a captured frame: the 4-tuple, and where the TCP payload starts. Used
 * by the collector's packets module (the flow key of {@code ecapture.packets}) and by the PCAPNG
 * export (port filter, TLS ClientHello). Reads only what the frame holds: a frame cut by the snap
 * length parses as long as its headers are there, its payload is what was kept.
 *
 * @param srcAddr 4 (IPv4) or 16 (IPv6) bytes, network order
 * @param payloadOffset index of the first TCP payload byte in the frame
 * @param payloadLength TCP payload bytes present in the frame (after a cut, fewer than sent)
 */
public record TcpFrame(byte[] srcAddr, int srcPort, byte[] dstAddr, int dstPort, int payloadOffset, int payloadLength) {
  /** PCAP LINKTYPE_ETHERNET: an Ethernet header first (loopback frames have a zeroed one). */
  public static final int LINKTYPE_ETHERNET = 1;
  /** PCAP LINKTYPE_RAW: the IP header first. */
  public static final int LINKTYPE_RAW = 101;
  private static final int ETH_P_IP = 0x0800;
  private static final int ETH_P_IPV6 = 0x86DD;
  private static final int ETH_P_8021Q = 0x8100;
  private static final int IPPROTO_TCP = 6;

  /** The TCP headers of the frame, or empty for anything else (ARP, UDP, a frame cut inside its headers). */
  public static Optional<TcpFrame> parse(byte[] frame, int linkType) {
    int l3;
    int etherType;
    if (linkType == LINKTYPE_ETHERNET) {
      if (frame.length < 14) {
        return Optional.empty();
      }
      l3 = 14;
      etherType = u16(frame, 12);
      if (etherType == ETH_P_8021Q && frame.length >= 18) {
        etherType = u16(frame, 16);
        l3 = 18;
      }
    } else if (linkType == LINKTYPE_RAW) {
      if (frame.length < 1) {
        return Optional.empty();
      }
      l3 = 0;
      int version = (frame[0] & 0xff) >> 4;
      etherType = version == 4 ? ETH_P_IP : version == 6 ? ETH_P_IPV6 : 0;
    } else {
      return Optional.empty();
    }
    int l4;
    int end; // end of the IP packet in the frame (Ethernet pads short frames)
    byte[] src;
    byte[] dst;
    if (etherType == ETH_P_IP) {
      if (frame.length < l3 + 20 || (frame[l3] & 0xff) >> 4 != 4 || (frame[l3 + 9] & 0xff) != IPPROTO_TCP) {
        return Optional.empty();
      }
      l4 = l3 + (frame[l3] & 0x0f) * 4;
      int totalLength = u16(frame, l3 + 2);
      // a GSO frame may say 0 or less than it carries only in odd cases; trust what is there then
      end = totalLength >= 20 ? l3 + totalLength : frame.length;
      src = Arrays.copyOfRange(frame, l3 + 12, l3 + 16);
      dst = Arrays.copyOfRange(frame, l3 + 16, l3 + 20);
    } else if (etherType == ETH_P_IPV6) {
      if (frame.length < l3 + 40 || (frame[l3 + 6] & 0xff) != IPPROTO_TCP) {
        return Optional.empty();
      }
      l4 = l3 + 40;
      int payloadLength = u16(frame, l3 + 4);
      end = payloadLength > 0 ? l4 + payloadLength : frame.length;
      src = Arrays.copyOfRange(frame, l3 + 8, l3 + 24);
      dst = Arrays.copyOfRange(frame, l3 + 24, l3 + 40);
    } else {
      return Optional.empty();
    }
    if (frame.length < l4 + 20) {
      return Optional.empty();
    }
    int payload = l4 + ((frame[l4 + 12] & 0xff) >> 4) * 4;
    int available = Math.min(end, frame.length) - payload;
    return Optional.of(new TcpFrame(src, u16(frame, l4), dst, u16(frame, l4 + 2), payload, Math.max(0, available)));
  }

  /**
   * {@code <host>/tcp/<addr>:<port>-<addr>:<port>} with the lower endpoint (address bytes, then
   * port) first, so both directions of a connection have the same key.
   */
  public String flowKey(String hostId) {
    String a = IpAddresses.withPort(IpAddresses.format(srcAddr), srcPort);
    String b = IpAddresses.withPort(IpAddresses.format(dstAddr), dstPort);
    int order = Arrays.compareUnsigned(srcAddr, dstAddr);
    boolean srcFirst = order < 0 || (order == 0 && srcPort <= dstPort);
    return hostId + "/tcp/" + (srcFirst ? a + "-" + b : b + "-" + a);
  }

  /** True when either port is {@code port}. */
  public boolean hasPort(int port) {
    return srcPort == port || dstPort == port;
  }

  private static int u16(byte[] b, int at) {
    return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
  }
}
