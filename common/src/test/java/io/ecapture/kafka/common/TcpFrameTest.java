package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** IP and TCP headers of captured frames: Ethernet, 802.1Q, raw IP, IPv6, and what is not TCP. */
class TcpFrameTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final String ETH = "000000000000" + "000000000000";
  /** IPv4 10.0.0.2 -> 10.0.0.1, TCP 443 -> 50000, header length 32 (options), 2 payload bytes. */
  private static final String IPV4_TCP = "45000036" + "00004000" + "4006" + "0000" + "0a000002" + "0a000001"
      + "01bb" + "c350" + "00000001" + "00000001" + "8018ffff" + "00000000" + "0101080a0000000000000000" + "abcd";

  @Test
  void ethernetIpv4WithTcpOptions() {
    TcpFrame f = TcpFrame.parse(HEX.parseHex(ETH + "0800" + IPV4_TCP), TcpFrame.LINKTYPE_ETHERNET).orElseThrow();
    assertEquals(443, f.srcPort());
    assertEquals(50000, f.dstPort());
    assertEquals(14 + 20 + 32, f.payloadOffset());
    assertEquals(2, f.payloadLength());
    assertEquals("h/tcp/10.0.0.1:50000-10.0.0.2:443", f.flowKey("h"), "lower address first");
    assertTrue(f.hasPort(443) && f.hasPort(50000));
  }

  @Test
  void vlanTaggedAndRawIpFramesParseTheSame() {
    TcpFrame tagged = TcpFrame.parse(HEX.parseHex(ETH + "8100" + "0064" + "0800" + IPV4_TCP), TcpFrame.LINKTYPE_ETHERNET)
        .orElseThrow();
    TcpFrame raw = TcpFrame.parse(HEX.parseHex(IPV4_TCP), TcpFrame.LINKTYPE_RAW).orElseThrow();
    assertEquals(tagged.flowKey("h"), raw.flowKey("h"));
    assertEquals(2, raw.payloadLength());
    assertEquals(18 + 52, tagged.payloadOffset());
  }

  @Test
  void ipv6UsesRfc5952TextInTheKey() {
    String ipv6 = "60000000" + "0014" + "06" + "40" + "00000000000000000000000000000001" + "00000000000000000000000000000001"
        + "c350" + "01bb" + "00000001" + "00000001" + "5010ffff" + "00000000";
    TcpFrame f = TcpFrame.parse(HEX.parseHex(ETH + "86dd" + ipv6), TcpFrame.LINKTYPE_ETHERNET).orElseThrow();
    assertEquals("h/tcp/[::1]:443-[::1]:50000", f.flowKey("h"), "same address: lower port first");
    assertEquals(0, f.payloadLength());
  }

  @Test
  void notTcpOrCutInsideTheHeadersIsEmpty() {
    String udp = IPV4_TCP.substring(0, 18) + "11" + IPV4_TCP.substring(20);
    assertEquals(Optional.empty(), TcpFrame.parse(HEX.parseHex(ETH + "0800" + udp), TcpFrame.LINKTYPE_ETHERNET));
    assertEquals(Optional.empty(), TcpFrame.parse(HEX.parseHex(ETH + "0806" + IPV4_TCP), TcpFrame.LINKTYPE_ETHERNET));
    assertEquals(Optional.empty(), TcpFrame.parse(HEX.parseHex(ETH + "0800" + IPV4_TCP.substring(0, 60)),
        TcpFrame.LINKTYPE_ETHERNET));
    assertEquals(Optional.empty(), TcpFrame.parse(new byte[0], TcpFrame.LINKTYPE_RAW));
  }
}
