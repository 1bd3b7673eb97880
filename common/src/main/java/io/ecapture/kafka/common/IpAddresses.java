package io.ecapture.kafka.common;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The one way the pipeline writes an IP address: IPv4 dotted decimal, IPv6 in RFC 5952's
 * canonical text form, as eCapture and every other tool print them ({@code ::1}, not Java's
 * {@code 0:0:0:0:0:0:0:1}).
 *
 * <p>RFC 5952 §4: leading zeros of a field suppressed, lower-case hex digits, the longest run of
 * two or more all-zero fields replaced by {@code ::} (the first one when runs tie; a single zero
 * field is never compressed). §5: an IPv4-mapped address ({@code ::ffff:0:0/96}) ends in dotted
 * decimal, {@code ::ffff:192.0.2.1}. No zone ids, no DNS: only bytes or literals go in.
 */
public final class IpAddresses {
  private IpAddresses() {}

  /**
   * The text of a 4-byte (IPv4) or 16-byte (IPv6) network-order address.
   *
   * @throws IllegalArgumentException for any other length
   */
  public static String format(byte[] address) {
    if (address.length == 4) {
      return ipv4(address, 0);
    }
    if (address.length != 16) {
      throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + address.length);
    }
    if (ipv4Mapped(address)) {
      return "::ffff:" + ipv4(address, 12);
    }
    int[] fields = new int[8];
    for (int i = 0; i < 8; i++) {
      fields[i] = (address[2 * i] & 0xff) << 8 | (address[2 * i + 1] & 0xff);
    }
    // the longest run of zero fields (first on ties), only if it spans at least two
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      if (fields[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && fields[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    if (bestStart < 0) {
      return hex(fields, 0, 8);
    }
    return hex(fields, 0, bestStart) + "::" + hex(fields, bestStart + bestLength, 8);
  }

  private static String hex(int[] fields, int from, int to) {
    StringBuilder out = new StringBuilder(5 * (to - from));
    for (int i = from; i < to; i++) {
      if (i > from) {
        out.append(':');
      }
      out.append(Integer.toHexString(fields[i]));
    }
    return out.toString();
  }

  /**
   * {@code text} rewritten in the canonical form when it is an IPv6 literal (e.g. {@code
   * 0:0:0:0:0:0:0:1} from an older writer becomes {@code ::1}); anything else (IPv4, empty, a
   * host name, garbage) is returned unchanged. Never resolves names.
   */
  public static String normalize(String text) {
    if (text == null || text.indexOf(':') < 0 || !looksLikeLiteral(text)) {
      return text;
    }
    InetAddress address;
    try {
      address = InetAddress.ofLiteral(text);
    } catch (IllegalArgumentException e) {
      return text;
    }
    if (address instanceof Inet4Address v4) {
      // the JDK turns ::ffff:a.b.c.d into an Inet4Address: keep it written as mapped
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(v4.getAddress(), 0, mapped, 12, 4);
      return format(mapped);
    }
    return format(address.getAddress());
  }

  /** {@code ip:port}, or {@code [ip]:port} for IPv6 so the port separator stays unambiguous. */
  public static String withPort(String ip, int port) {
    return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ':' + Integer.toUnsignedString(port);
  }

  /**
   * A socket address as {@code ip:port}, {@code [v6]:port} for IPv6 (RFC 5952 text, a scope as
   * {@code %id}), e.g. for a client's address in status documents and logs; an unresolved address
   * as {@code host:port}, anything else by its {@code toString}.
   */
  public static String format(java.net.SocketAddress address) {
    if (!(address instanceof java.net.InetSocketAddress inet)) {
      return String.valueOf(address);
    }
    if (inet.isUnresolved() || inet.getAddress() == null) {
      return withPort(inet.getHostString(), inet.getPort());
    }
    String ip = format(inet.getAddress().getAddress());
    if (inet.getAddress() instanceof java.net.Inet6Address v6 && v6.getScopeId() != 0) {
      ip += "%" + v6.getScopeId();
    }
    return withPort(ip, inet.getPort());
  }

  private static boolean ipv4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
  }

  private static String ipv4(byte[] a, int from) {
    return (a[from] & 0xff) + "." + (a[from + 1] & 0xff) + "." + (a[from + 2] & 0xff) + "."
        + (a[from + 3] & 0xff);
  }

  private static boolean looksLikeLiteral(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean ok = c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
          || (c >= 'A' && c <= 'F');
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
