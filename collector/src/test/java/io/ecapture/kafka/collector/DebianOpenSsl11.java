package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * OpenSSL 1.1.1w as Debian 11 ships it: the libssl1.1 and openssl packages, fetched from a Debian
 * mirror (checksums pinned: the mirror is plain HTTP) into ~/.cache/ecapture-kafka/debian and
 * unpacked with dpkg-deb. The openssl binary runs on newer systems with LD_LIBRARY_PATH set to
 * the unpacked libraries, which makes it a real OpenSSL 1.1 process to capture on a machine
 * whose own OpenSSL is 3.x.
 */
record DebianOpenSsl11(Path root) {
  static final String VERSION = "1.1.1w";
  private static final String MIRROR =
      System.getenv().getOrDefault("ECAPTURE_DEBIAN_MIRROR", "http://deb.debian.org/debian");
  private static final List<String[]> PACKAGES = List.of(
      new String[] {"pool/main/o/openssl/libssl1.1_1.1.1w-0+deb11u1_amd64.deb",
          "aadf8b4b197335645b230c2839b4517aa444fd2e8f434e5438c48a18857988f7"},
      new String[] {"pool/main/o/openssl/openssl_1.1.1w-0+deb11u1_amd64.deb",
          "04873d74cbe86bad3a9901f6e57f1150040eba9891b443c5c975a72a97238e35"});

  /** Downloads (once) and unpacks the packages; skips, or fails under CI, when that is impossible. */
  static synchronized DebianOpenSsl11 provision() {
    Path cache = Path.of(System.getProperty("user.home"), ".cache", "ecapture-kafka", "debian");
    Path root = cache.resolve("openssl-" + VERSION);
    try {
      if (!Files.isExecutable(root.resolve("usr/bin/openssl"))) {
        EbpfEnvironment.requireTool("dpkg-deb");
        Files.createDirectories(cache);
        Path staging = Files.createTempDirectory(cache, "unpack");
        for (String[] pkg : PACKAGES) {
          Path deb = fetch(cache, pkg[0], pkg[1]);
          ExternalCommand.run(cache, List.of("dpkg-deb", "-x", deb.toString(), staging.toString()));
        }
        Files.move(staging, root, StandardCopyOption.ATOMIC_MOVE);
      }
      return new DebianOpenSsl11(root);
    } catch (IOException e) {
      String message = "OpenSSL " + VERSION + " from " + MIRROR + " unavailable: " + e.getMessage();
      if (System.getenv("CI") != null) {
        fail(message + " (CI is set: the runner must reach Debian's mirror)");
      }
      Assumptions.abort(message);
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  Path libDir() {
    return root.resolve("usr/lib/x86_64-linux-gnu");
  }

  Path libssl() {
    return libDir().resolve("libssl.so.1.1");
  }

  Path opensslBinary() {
    return root.resolve("usr/bin/openssl");
  }

  private static Path fetch(Path cache, String path, String sha256) throws IOException, InterruptedException {
    Path file = cache.resolve(path.substring(path.lastIndexOf('/') + 1));
    if (Files.exists(file) && sha256(Files.readAllBytes(file)).equals(sha256)) {
      return file;
    }
    try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
        .followRedirects(HttpClient.Redirect.NORMAL).build()) {
      HttpResponse<byte[]> response = client.send(
          HttpRequest.newBuilder(URI.create(MIRROR + "/" + path)).timeout(Duration.ofMinutes(2)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new IOException("HTTP " + response.statusCode() + " for " + path);
      }
      String actual = sha256(response.body());
      if (!actual.equals(sha256)) {
        throw new IOException(path + " has sha256 " + actual + ", expected " + sha256);
      }
      Files.write(file, response.body());
      return file;
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
