package io.ecapture.kafka.gateway;

import java.net.InetSocketAddress;

/** Parses the {@code HOST:PORT} notation of the command line into a bindable address. */
final class HostPort {
  private HostPort() {}

  /**
   * Accepts {@code host:port}, {@code [ipv6]:port} and {@code :port} (all interfaces).
   *
   * @throws IllegalArgumentException naming the bad input when it is not one of those forms or
   *     the port is outside 0..65535
   */
  static InetSocketAddress parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty address, expected HOST:PORT");
    }
    String s = text.strip();
    int colon = s.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("no port in '" + s + "', expected HOST:PORT");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      throw new IllegalArgumentException("IPv6 host in '" + s + "' must be in brackets: [addr]:port");
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port in '" + s + "'", e);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range in '" + s + "'");
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }
}
