package io.ecapture.kafka.forwarder;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a stream goes, as {@code --events}/{@code --logs} (eCapture's {@code --eventaddr}/{@code
 * --logaddr}) spell it: a file path (or {@code file://PATH}), {@code tcp://HOST:PORT}, {@code
 * ws://}/{@code wss://} URL, or {@code http://}/{@code https://} URL (HTTP push; with {@code
 * --format http_proxy} the proxy's address).
 */
public record Target(Kind kind, String spec, Path file, URI uri) {
  public enum Kind { FILE, TCP, WEBSOCKET, HTTP }

  public static Target parse(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("empty target");
    }
    String s = spec.strip();
    String lower = s.toLowerCase(Locale.ROOT);
    if (lower.startsWith("file://")) {
      return new Target(Kind.FILE, s, Path.of(s.substring("file://".length())), null);
    }
    if (!lower.matches("^[a-z][a-z0-9+.-]*://.*")) {
      return new Target(Kind.FILE, s, Path.of(s), null);
    }
    URI uri;
    try {
      uri = new URI(s);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("target " + s + " is not a valid URL: " + e.getMessage());
    }
    Kind kind = switch (uri.getScheme().toLowerCase(Locale.ROOT)) {
      case "tcp" -> Kind.TCP;
      case "ws", "wss" -> Kind.WEBSOCKET;
      case "http", "https" -> Kind.HTTP;
      default -> throw new IllegalArgumentException("target " + s
          + ": unknown scheme (a file path, tcp://HOST:PORT, ws://, wss://, http:// or https://)");
    };
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("target " + s + " names no host");
    }
    if (kind == Kind.TCP && uri.getPort() < 0) {
      throw new IllegalArgumentException("target " + s + " needs a port: tcp://HOST:PORT");
    }
    return new Target(kind, s, null, uri);
  }

  /** The port, with the scheme's default when the URL has none. */
  public int port() {
    if (uri.getPort() >= 0) {
      return uri.getPort();
    }
    return switch (uri.getScheme().toLowerCase(Locale.ROOT)) {
      case "https", "wss" -> 443;
      default -> 80;
    };
  }

  /** The target for logs and status pages: user-info and query values of URLs masked. */
  public String display() {
    return uri == null ? spec : io.ecapture.kafka.forwarder.sink.HttpPushSink.masked(uri);
  }

  @Override
  public String toString() {
    return display();
  }
}
