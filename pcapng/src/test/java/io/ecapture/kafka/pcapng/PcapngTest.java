package io.ecapture.kafka.pcapng;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each block against the bytes draft-ietf-opsawg-pcapng lays out, written out by hand here
 * (little-endian): type, total length, body, options padded to 32 bits, opt_endofopt, total
 * length again.
 */
class PcapngTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void sectionHeaderBlock() {
    byte[] shb = Pcapng.sectionHeader("ab");
    assertEquals(
        "0a0d0d0a" + "28000000" // type, total length 40
            + "4d3c2b1a" + "0100" + "0000" // byte-order magic, major 1, minor 0
            + "ffffffffffffffff" // section length: not specified
            + "0400" + "0200" + "61620000" // shb_userappl "ab", padded
            + "00000000" // opt_endofopt
            + "28000000",
        HEX.formatHex(shb));
  }

  @Test
  void interfaceDescriptionBlockWithNameDescriptionAndNanosecondResolution() {
    byte[] idb = Pcapng.interfaceDescription(1, 65535, "h/lo", "lo x");
    assertEquals(
        "01000000" + "30000000" // type, total length 48
            + "0100" + "0000" + "ffff0000" // LINKTYPE_ETHERNET, reserved, snap length
            + "0200" + "0400" + "682f6c6f" // if_name "h/lo" (no padding needed)
            + "0300" + "0400" + "6c6f2078" // if_description "lo x"
            + "0900" + "0100" + "09000000" // if_tsresol 9, padded
            + "00000000"
            + "30000000",
        HEX.formatHex(idb));
  }

  @Test
  void enhancedPacketBlockSplitsTheTimestampAndPadsTheData() {
    long ts = 0x0000_0001_0000_0002L;
    byte[] epb = Pcapng.enhancedPacket(3, ts, new byte[] {1, 2, 3, 4, 5}, 60, Pcapng.FLAGS_OUTBOUND);
    assertEquals(
        "06000000" + "34000000" // type, total length 52
            + "03000000" // interface id
            + "01000000" + "02000000" // timestamp upper, lower
            + "05000000" + "3c000000" // captured 5, original 60
            + "0102030405000000" // data padded to 8
            + "0200" + "0400" + "02000000" // epb_flags: outbound
            + "00000000"
            + "34000000",
        HEX.formatHex(epb));
  }

  @Test
  void enhancedPacketBlockWithoutFlagsHasNoOptions() {
    byte[] epb = Pcapng.enhancedPacket(0, 7, new byte[] {9, 9, 9, 9}, 4, 0);
    assertEquals("06000000" + "24000000" + "00000000" + "00000000" + "07000000" + "04000000" + "04000000"
        + "09090909" + "24000000", HEX.formatHex(epb));
  }

  @Test
  void decryptionSecretsBlockHoldsTheKeyLogLines() {
    byte[] dsb = Pcapng.tlsKeyLog(List.of("A 1 2"));
    byte[] secrets = "A 1 2\n".getBytes(StandardCharsets.US_ASCII);
    assertEquals(
        "0a000000" + "1c000000" // type, total length 28
            + "4b534c54" // secrets type TLSK (0x544c534b)
            + "06000000" // secrets length, unpadded
            + HEX.formatHex(secrets) + "0000" // padded to 8, no options
            + "1c000000",
        HEX.formatHex(dsb));
  }

  @Test
  void everyBlockIsAMultipleOfFourBytesAndRepeatsItsLength() {
    for (int n = 0; n < 9; n++) {
      byte[] epb = Pcapng.enhancedPacket(0, 1, new byte[n], 100, Pcapng.FLAGS_INBOUND);
      assertEquals(0, epb.length % 4);
      assertArrayEquals(java.util.Arrays.copyOfRange(epb, 4, 8), java.util.Arrays.copyOfRange(epb, epb.length - 4, epb.length));
      assertTrue(epb.length >= 32 + n);
    }
  }
}
