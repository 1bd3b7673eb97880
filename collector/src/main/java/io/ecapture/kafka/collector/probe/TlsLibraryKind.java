package io.ecapture.kafka.collector.probe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which TLS implementation a probed file carries. BoringSSL keeps OpenSSL's function names and
 * signatures (so the same uprobes capture its plaintext) but not OpenSSL's struct layout, so key
 * capture must stay off for it. BoringSSL builds embed the string "BoringSSL" (its version
 * string and error texts); OpenSSL builds do not.
 */
enum TlsLibraryKind {
  OPENSSL("openssl"),
  BORINGSSL("boringssl");

  private static final byte[] BORINGSSL_MARKER = "BoringSSL".getBytes(StandardCharsets.US_ASCII);

  private final String label;

  TlsLibraryKind(String label) {
    this.label = label;
  }

  /** Lower-case name, the prefix of {@code TlsData.tls_library}. */
  String label() {
    return label;
  }

  /** The kind of a file; OPENSSL when unreadable (the probes assume OpenSSL's signatures anyway). */
  static TlsLibraryKind of(Path file) {
    try {
      // found libraries are a few MiB and examined once
      return contains(Files.readAllBytes(file), BORINGSSL_MARKER) ? BORINGSSL : OPENSSL;
    } catch (IOException | OutOfMemoryError e) {
      return OPENSSL;
    }
  }

  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (haystack[i] != needle[0]) {
        continue;
      }
      for (int j = 1; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
