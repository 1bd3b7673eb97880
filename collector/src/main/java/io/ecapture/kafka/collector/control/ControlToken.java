package io.ecapture.kafka.collector.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;

/**
 * The secret a client must present as {@code Authorization: Bearer TOKEN} to change what the
 * collector captures ({@code POST /config} and eCapture's module endpoints of the {@link
 * StatusServer}). Either generated at start (32 bytes of {@link SecureRandom}, base64url without
 * padding: 43 characters) and written to a {@code 0600} file, or read from a file the operator
 * gives. Never taken from the command line (visible to every local user in /proc), never logged:
 * {@link #toString()} prints {@value #MASK}.
 */
public final class ControlToken {
  /** Name of the generated token file in the collector's data directory. */
  public static final String FILE_NAME = "collector.token";
  /** What {@link #toString()} and {@code /status} show instead of the token. */
  public static final String MASK = "***";
  private static final int RANDOM_BYTES = 32;
  private static final String BEARER = "bearer ";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] value;
  private final Path file;

  private ControlToken(byte[] value, Path file) {
    this.value = value;
    this.file = file;
  }

  /** A fresh random token, not written anywhere (tests; {@link #generate} writes it). */
  public static ControlToken random() {
    byte[] bytes = new byte[RANDOM_BYTES];
    RANDOM.nextBytes(bytes);
    String text = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    return new ControlToken(text.getBytes(StandardCharsets.US_ASCII), null);
  }

  /**
   * A fresh random token written to {@code file} ({@code 0600}, replacing any previous one, its
   * directory created {@code 0700} when missing).
   *
   * @throws IOException when the file cannot be written
   */
  public static ControlToken generate(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      PrivateFiles.directory(parent);
    }
    ControlToken token = random();
    PrivateFiles.writeAtomically(file, token.value() + "\n");
    return new ControlToken(token.value, file);
  }

  /**
   * The token in the first line of {@code file} (surrounding blanks ignored).
   *
   * @throws IOException when it cannot be read
   * @throws IllegalArgumentException when its first line is empty
   */
  public static ControlToken read(Path file) throws IOException {
    String first = Files.readAllLines(file, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
    if (first.isEmpty()) {
      throw new IllegalArgumentException("token file " + file + " has no token in its first line");
    }
    return new ControlToken(first.getBytes(StandardCharsets.UTF_8), file);
  }

  /** A token with a known value (tests, embedders that manage the secret themselves). */
  public static ControlToken of(String value) {
    Objects.requireNonNull(value, "value");
    if (value.isBlank()) {
      throw new IllegalArgumentException("empty token");
    }
    return new ControlToken(value.strip().getBytes(StandardCharsets.UTF_8), null);
  }

  /** The file holding the token, null when it has none. */
  public Path file() {
    return file;
  }

  /** The secret itself: for the client side only (tests, a launcher handing it on); never log it. */
  public String value() {
    return new String(value, StandardCharsets.UTF_8);
  }

  /**
   * Whether an {@code Authorization} header carries this token as {@code Bearer TOKEN} (scheme
   * case-insensitive, RFC 6750). Compared in constant time.
   *
   * @param authorization the header value, null when absent
   */
  public boolean admits(String authorization) {
    if (authorization == null || authorization.length() <= BEARER.length()
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return false;
    }
    byte[] presented = authorization.substring(BEARER.length()).strip().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(value, presented);
  }

  @Override
  public String toString() {
    return "ControlToken[" + MASK + (file == null ? "" : ", file=" + file) + "]";
  }
}
