package io.ecapture.kafka.collector.probe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OpenSSL release of a probed library, read from the version string OpenSSL compiles in
 * ({@code "OpenSSL 3.0.19 27 Jan 2026"}, what {@code OpenSSL_version} returns). libssl itself
 * usually lacks it (it lives in libcrypto), so the libcrypto next to the libssl is read too;
 * a statically linked binary carries it in the binary.
 */
public final class OpenSslVersion {
  private static final Pattern VERSION = Pattern.compile("OpenSSL (\\d+\\.\\d+\\.\\d+[a-z]?)\\s+\\d{1,2} \\w{3} \\d{4}");

  private OpenSslVersion() {}

  /** The version (e.g. "3.0.19"), or empty when no version string is found. */
  public static Optional<String> of(Path library) {
    Optional<String> own = scan(library);
    if (own.isPresent()) {
      return own;
    }
    Path dir = library.toAbsolutePath().getParent();
    if (dir == null) {
      return Optional.empty();
    }
    // libssl.so.1.1 sits next to libcrypto.so.1.1, libssl.so.3 next to libcrypto.so.3
    String name = library.getFileName().toString();
    if (name.startsWith("libssl")) {
      Optional<String> sibling = scan(dir.resolve("libcrypto" + name.substring("libssl".length())));
      if (sibling.isPresent()) {
        return sibling;
      }
    }
    return scan(dir.resolve("libcrypto.so.3"));
  }

  /** The first OpenSSL version string in a file (read whole: libraries are a few MiB). */
  static Optional<String> scan(Path file) {
    try {
      if (!Files.isRegularFile(file)) {
        return Optional.empty();
      }
      // ISO-8859-1 maps every byte to one char: offsets and ASCII text survive
      Matcher matcher = VERSION.matcher(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
      return matcher.find() ? Optional.of(matcher.group(1)) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
