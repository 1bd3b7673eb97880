package io.ecapture.kafka.gateway.http;

import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.gateway.session.ClientOptions;
import io.ecapture.kafka.gateway.session.UnknownParameterException;
import java.util.Base64;

/**
 * Decides whether a WebSocket upgrade request may proceed, before Jetty sees it.
 *
 * <p>Two kinds of no: a <em>malformed</em> handshake (RFC 6455 section 4.2.1 not met: not GET,
 * no or bad {@code Sec-WebSocket-Key}, a version other than 13) gets 400, or 426 with the
 * supported version for a wrong version (section 4.4); a <em>refused</em> one (foreign Origin,
 * missing token, unparsable options) gets 403 as eCapture answers, except a URL naming an unknown
 * query parameter, which gets 400 with the list of known ones (an ignored filter would widen what
 * the client sees). Both kinds are counted.
 */
final class HandshakeGate {
  private final OriginPolicy origins;
  private final AccessToken token;

  HandshakeGate(GatewayConfig config) {
    this.origins = new OriginPolicy(config.allowedOriginHosts(), config.allowMissingOrigin());
    this.token = new AccessToken(config.token());
  }

  /** The outcome: {@code options} when admitted, else an HTTP status and the reason. */
  record Verdict(ClientOptions options, int status, String reason, boolean malformed) {
    static Verdict admit(ClientOptions options) {
      return new Verdict(options, 101, null, false);
    }

    /** A handshake breaking RFC 6455 (400, 426). */
    static Verdict deny(int status, String reason) {
      return new Verdict(null, status, reason, status == 400 || status == 426);
    }

    /** A well-formed handshake refused (403; 400 for an unknown parameter). */
    static Verdict refuse(int status, String reason) {
      return new Verdict(null, status, reason, false);
    }

    boolean admitted() {
      return options != null;
    }
  }

  /**
   * @param method the request method
   * @param target the request path and query
   * @param key the {@code Sec-WebSocket-Key} header, null when absent
   * @param version the {@code Sec-WebSocket-Version} header, null when absent
   * @param origin the {@code Origin} header, null when absent
   * @param authorization the {@code Authorization} header, null when absent
   */
  Verdict check(
      String method, String target, String key, String version, String origin, String authorization) {
    if (!"GET".equals(method)) {
      return Verdict.deny(400, "a WebSocket handshake must be a GET, was " + method);
    }
    if (version == null || !version.strip().equals("13")) {
      return Verdict.deny(426, "unsupported Sec-WebSocket-Version " + version + ", only 13");
    }
    if (!isValidKey(key)) {
      return Verdict.deny(400, "missing or malformed Sec-WebSocket-Key");
    }
    String refusal = origins.refusal(origin);
    if (refusal != null) {
      return Verdict.refuse(403, refusal);
    }
    if (!token.admits(target, authorization)) {
      return Verdict.refuse(403, "missing or wrong token");
    }
    try {
      return Verdict.admit(ClientOptions.parse(target));
    } catch (UnknownParameterException e) {
      return Verdict.refuse(400, e.getMessage());
    } catch (IllegalArgumentException e) {
      return Verdict.refuse(403, e.getMessage());
    }
  }

  /** Section 4.1: the key is 16 random bytes, base64-encoded. */
  static boolean isValidKey(String key) {
    if (key == null || key.strip().length() != 24) {
      return false;
    }
    try {
      return Base64.getDecoder().decode(key.strip()).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
