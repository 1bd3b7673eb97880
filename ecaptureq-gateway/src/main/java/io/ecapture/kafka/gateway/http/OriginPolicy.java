package io.ecapture.kafka.gateway.http;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which {@code Origin} a WebSocket handshake may carry. Browsers send the page's origin and let
 * any page open a WebSocket to 127.0.0.1, so without this check any web site could read the
 * captured plaintext (cross-site WebSocket hijacking). Non-browser clients send no Origin.
 */
final class OriginPolicy {
  private final Set<String> hosts;
  private final boolean anyHost;
  private final boolean allowMissing;

  OriginPolicy(List<String> hosts, boolean allowMissing) {
    this.hosts = hosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
    this.anyHost = this.hosts.contains("*");
    this.allowMissing = allowMissing;
  }

  /**
   * @param origin the header value, null when absent
   * @return null when allowed, else why not
   */
  String refusal(String origin) {
    if (origin == null || origin.isEmpty()) {
      return allowMissing ? null : "a handshake without Origin is not allowed";
    }
    if (anyHost) {
      return null;
    }
    String host;
    try {
      host = URI.create(origin.strip()).getHost();
    } catch (IllegalArgumentException e) {
      return "unparsable Origin " + origin;
    }
    if (host != null && hosts.contains(host.toLowerCase(Locale.ROOT))) {
      return null;
    }
    return "Origin " + origin + " is not allowed";
  }
}
