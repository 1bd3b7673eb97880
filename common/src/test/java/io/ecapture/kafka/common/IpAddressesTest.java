package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpAddressesTest {

  /** RFC 5952 §4 and §5: each example's input (any valid form) and the one canonical text. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    // §4.1 leading zeros suppressed ("2001:db8::0001" -> "2001:db8::1")
    "2001:0db8:0000:0000:0000:0000:0000:0001 | 2001:db8::1",
    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001 | 2001:db8:aaaa:bbbb:cccc:dddd:eeee:1",
    // §4.2.1 "::" used to its maximum capability
    "2001:db8:0:0:0:0:2:1 | 2001:db8::2:1",
    "2001:db8::0:1 | 2001:db8::1",
    // §4.2.2 "::" never shortens a single 16-bit 0 field
    "2001:db8:0:1:1:1:1:1 | 2001:db8:0:1:1:1:1:1",
    // §4.2.3 the longest run is shortened; of equal runs the first
    "2001:0:0:1:0:0:0:1 | 2001:0:0:1::1",
    "2001:db8:0:0:1:0:0:1 | 2001:db8::1:0:0:1",
    // §4.3 lower case
    "2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:AAAA | 2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa",
    // loopback, unspecified, runs at either end
    "0:0:0:0:0:0:0:1 | ::1",
    "0:0:0:0:0:0:0:0 | ::",
    "fe80:0:0:0:0:0:0:0 | fe80::",
    "fe80:0:0:0:1:0:0:0 | fe80::1:0:0:0",
    "1:0:1:0:1:0:1:0 | 1:0:1:0:1:0:1:0",
    // §5 IPv4-mapped addresses end in dotted decimal
    "::ffff:c000:0201 | ::ffff:192.0.2.1",
    "0:0:0:0:0:FFFF:1.2.3.4 | ::ffff:1.2.3.4",
  })
  void rfc5952Examples(String input, String canonical) throws Exception {
    byte[] bytes = InetAddress.getByName(input).getAddress();
    if (bytes.length == 4) { // the JDK hands a mapped address back as IPv4: map it again
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(bytes, 0, mapped, 12, 4);
      bytes = mapped;
    }
    assertEquals(canonical, IpAddresses.format(bytes));
    assertEquals(canonical, IpAddresses.normalize(input));
    assertEquals(canonical, IpAddresses.normalize(canonical), "canonical text is kept");
  }

  @Test
  void ipv4IsDottedDecimal() {
    assertEquals("127.0.0.1", IpAddresses.format(new byte[] {127, 0, 0, 1}));
    assertEquals("255.0.10.200",
        IpAddresses.format(new byte[] {(byte) 255, 0, 10, (byte) 200}));
  }

  @Test
  void whatIsNotAnIpv6LiteralIsLeftAlone() {
    assertEquals("", IpAddresses.normalize(""));
    assertEquals("10.0.0.1", IpAddresses.normalize("10.0.0.1"));
    assertEquals("localhost", IpAddresses.normalize("localhost"));
    assertEquals("cafe::zz", IpAddresses.normalize("cafe::zz"));
    assertEquals("1:2:3", IpAddresses.normalize("1:2:3"));
    assertEquals(null, IpAddresses.normalize(null));
  }

  @Test
  void otherLengthsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> IpAddresses.format(new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> IpAddresses.format(new byte[6]));
  }

  @Test
  void socketAddressesAreWrittenLikeTuples() throws Exception {
    assertEquals("[::1]:5000", IpAddresses.format(
        new java.net.InetSocketAddress(InetAddress.getByName("0:0:0:0:0:0:0:1"), 5000)));
    assertEquals("127.0.0.1:443", IpAddresses.format(
        new java.net.InetSocketAddress(InetAddress.getByName("127.0.0.1"), 443)));
    assertEquals("example.test:80",
        IpAddresses.format(java.net.InetSocketAddress.createUnresolved("example.test", 80)));
    assertEquals("null", IpAddresses.format((java.net.SocketAddress) null));
  }

  @Test
  void portsOfIpv6AddressesAreBracketed() {
    assertEquals("[::1]:443", IpAddresses.withPort("::1", 443));
    assertEquals("10.0.0.1:8080", IpAddresses.withPort("10.0.0.1", 8080));
  }
}
