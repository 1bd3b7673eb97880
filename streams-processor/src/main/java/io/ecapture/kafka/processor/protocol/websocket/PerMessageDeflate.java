package io.ecapture.kafka.processor.protocol.websocket;

import java.util.Locale;

/**
 * The permessage-deflate extension (RFC 7692) as a server accepted it in its
 * {@code Sec-WebSocket-Extensions} response header (§7.1): whether it is on and which side
 * resets its compression context after every message (§7.1.1). Window-bit parameters need no
 * handling: an inflater with the maximum window reads streams made with any smaller one.
 *
 * @param enabled the server accepted permessage-deflate
 * @param serverNoContextTakeover the server compresses each message on its own
 * @param clientNoContextTakeover the client compresses each message on its own
 */
public record PerMessageDeflate(boolean enabled, boolean serverNoContextTakeover,
    boolean clientNoContextTakeover) {

  public static final PerMessageDeflate OFF = new PerMessageDeflate(false, false, false);

  /**
   * Reads the accepted extension from a 101 response's header value (null = no header). Only
   * the first permessage-deflate entry counts: a server accepts at most one (§5).
   */
  public static PerMessageDeflate fromResponseHeader(String value) {
    if (value == null) {
      return OFF;
    }
    for (String extension : value.split(",")) {
      String[] parts = extension.split(";", -1); // -1: ";;" must not give an empty array
      if (!parts[0].strip().equalsIgnoreCase("permessage-deflate")) {
        continue;
      }
      boolean server = false;
      boolean client = false;
      for (int i = 1; i < parts.length; i++) {
        String name = parts[i].split("=", 2)[0].strip().toLowerCase(Locale.ROOT);
        server |= name.equals("server_no_context_takeover");
        client |= name.equals("client_no_context_takeover");
      }
      return new PerMessageDeflate(true, server, client);
    }
    return OFF;
  }
}
