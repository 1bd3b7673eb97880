package io.ecapture.kafka.pcapng;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * NSS key-log lines by the client random they name ({@code LABEL <client random> <secret>}, 32
 * bytes in hex), so the lines of exactly the sessions written go into the file. Duplicates (the
 * client and the server of one session both report it) are kept once.
 */
public final class KeyLogIndex {
  private final Map<String, Set<String>> byRandom = new LinkedHashMap<>();
  private long malformed;

  /**
   * Adds a line.
   *
   * @return its client random (lower-case hex), or empty when the line is not a key-log line
   *     (counted in {@link #malformed()})
   */
  public Optional<String> add(String line) {
    String[] parts = line.strip().split(" ");
    if (parts.length != 3 || parts[1].length() != 64 || !isHex(parts[1]) || !isHex(parts[2]) || parts[0].isEmpty()) {
      malformed++;
      return Optional.empty();
    }
    String random = parts[1].toLowerCase(java.util.Locale.ROOT);
    byRandom.computeIfAbsent(random, r -> new LinkedHashSet<>()).add(String.join(" ", parts));
    return Optional.of(random);
  }

  /** The lines of a client random, in arrival order; empty when none. */
  public Set<String> lines(String clientRandom) {
    return byRandom.getOrDefault(clientRandom, Set.of());
  }

  /** Lines that were not key-log lines. */
  public long malformed() {
    return malformed;
  }

  /**
   * The client random of a TLS ClientHello at the start of a TCP payload (record type 22,
   * handshake type 1: random at byte 11, RFC 8446 §4.1.2), or empty.
   */
  public static Optional<String> clientHelloRandom(byte[] frame, int payloadOffset, int payloadLength) {
    if (payloadLength < 43 || frame[payloadOffset] != 0x16 || frame[payloadOffset + 1] != 0x03
        || frame[payloadOffset + 5] != 0x01) {
      return Optional.empty();
    }
    return Optional.of(HexFormat.of().formatHex(frame, payloadOffset + 11, payloadOffset + 43));
  }

  private static boolean isHex(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (Character.digit(s.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }
}
