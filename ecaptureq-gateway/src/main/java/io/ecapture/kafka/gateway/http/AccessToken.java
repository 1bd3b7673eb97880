package io.ecapture.kafka.gateway.http;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.regex.Pattern;

/**
 * The optional shared secret of {@link io.ecapture.kafka.gateway.GatewayConfig#token()},
 * presented as a {@code token} query parameter (what a WebSocket client in a browser can send) or
 * an {@code Authorization: Bearer} header. Compared in constant time.
 */
final class AccessToken {
  private static final Pattern TOKEN_PARAM = Pattern.compile("([?&]token=)[^&]*");
  private static final String BEARER = "bearer ";

  private final byte[] expected;

  AccessToken(String token) {
    this.expected = token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
  }

  boolean required() {
    return expected != null;
  }

  /**
   * @param target the request target, e.g. {@code /?token=abc}
   * @param authorization the Authorization header, null when absent
   */
  boolean admits(String target, String authorization) {
    if (expected == null) {
      return true;
    }
    String presented = fromHeader(authorization);
    if (presented == null) {
      presented = fromQuery(target);
    }
    return presented != null
        && MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.UTF_8));
  }

  /** The target with any token value replaced, for logs and status pages. */
  public static String redact(String target) {
    return target == null ? null : TOKEN_PARAM.matcher(target).replaceAll("$1***");
  }

  private static String fromHeader(String authorization) {
    if (authorization == null || authorization.length() <= BEARER.length()
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return null;
    }
    return authorization.substring(BEARER.length()).strip();
  }

  private static String fromQuery(String target) {
    int q = target == null ? -1 : target.indexOf('?');
    if (q < 0) {
      return null;
    }
    for (String pair : target.substring(q + 1).split("&")) {
      if (pair.startsWith("token=")) {
        try {
          return URLDecoder.decode(pair.substring("token=".length()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return null;
        }
      }
    }
    return null;
  }
}
