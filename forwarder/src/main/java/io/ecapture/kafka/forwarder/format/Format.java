package io.ecapture.kafka.forwarder.format;

import java.util.Locale;

/** How events and logs are written to a target ({@code --format}). */
public enum Format {
  /** One human-readable block per event, as eCapture's text mode prints it; one line per log. */
  TEXT,
  /** One JSON object per line (NDJSON) with every parsed field; HTTP push posts a JSON array. */
  JSON,
  /**
   * Protobuf: HTTP push posts a {@code ForwardBatch} ({@code application/x-protobuf}); files and
   * TCP get length-delimited messages (a varint size, then the {@code ParsedMessage} or {@code
   * ProcessLog}); WebSocket one binary message per record.
   */
  PROTOBUF,
  /** Each captured HTTP request re-sent through the HTTP proxy of the target (Burp Suite). */
  HTTP_PROXY;

  /** {@code text}, {@code json}, {@code protobuf}, {@code http_proxy} (any case; {@code -} for {@code _}). */
  public static Format parse(String text) {
    try {
      return valueOf(text.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown format '" + text + "': text, json, protobuf or http_proxy");
    }
  }

  /** The name as the command line and {@code /config} spell it. */
  public String spelling() {
    return name().toLowerCase(Locale.ROOT);
  }
}
