package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.fail;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.ExternalCommand;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * An OpenSSL release as a Debian release ships it (its libssl and openssl packages, plus what
 * they need to run here), fetched from a Debian mirror (checksums pinned: the mirror is plain
 * HTTP) into ~/.cache/ecapture-kafka/debian and unpacked with dpkg-deb. Its openssl binary is a
 * real process of that OpenSSL on this machine, whatever the machine's own OpenSSL is.
 *
 * @param version the OpenSSL version the packages carry
 * @param name the unpack directory's name
 * @param libssl the library inside the unpacked tree
 * @param ownLoader run the binary through the unpacked glibc's ld.so (the packages need a newer
 *     glibc than this machine's) instead of LD_LIBRARY_PATH
 * @param packages pool paths and SHA-256 of the .debs
 */
record DebianOpenSsl(String version, String name, String libssl, boolean ownLoader, List<Package> packages) {
  record Package(String path, String sha256) {}

  /** Debian 11 (bullseye): OpenSSL 1.1.1w; runs with LD_LIBRARY_PATH on Debian 12. */
  static final DebianOpenSsl OPENSSL_1_1_1W = new DebianOpenSsl("1.1.1w", "openssl-1.1.1w", "libssl.so.1.1", false, List.of(
      new Package("pool/main/o/openssl/libssl1.1_1.1.1w-0+deb11u1_amd64.deb",
          "aadf8b4b197335645b230c2839b4517aa444fd2e8f434e5438c48a18857988f7"),
      new Package("pool/main/o/openssl/openssl_1.1.1w-0+deb11u1_amd64.deb",
          "04873d74cbe86bad3a9901f6e57f1150040eba9891b443c5c975a72a97238e35")));

  /** Debian 13 (trixie): OpenSSL 3.5.9 with trixie's glibc 2.41, zlib and zstd beside it. */
  static final DebianOpenSsl OPENSSL_3_5_9 = new DebianOpenSsl("3.5.9", "openssl-3.5.9", "libssl.so.3", true, List.of(
      new Package("pool/main/o/openssl/libssl3t64_3.5.9-1~deb13u1_amd64.deb",
          "ffefb9af363e0e4592251b2533eb06453c8e470f7772e40263c4b2129251a6d5"),
      new Package("pool/main/o/openssl/openssl_3.5.9-1~deb13u1_amd64.deb",
          "faf53a993766c81f94f35b6a31202f0dcd936e1529791790a393aa59f41c0993"),
      new Package("pool/main/g/glibc/libc6_2.41-12+deb13u5_amd64.deb",
          "b59b0625cd1a791375d40dab23a4d5d3d0641e3d0a773501becdc3725b7f99cf"),
      new Package("pool/main/libz/libzstd/libzstd1_1.5.7+dfsg-1_amd64.deb",
          "2f6a2aeacfc925eba8b00ac9139bc4bfccf8cacb09eb93de067074b26948eef9"),
      new Package("pool/main/z/zlib/zlib1g_1.3.dfsg+really1.3.1-1+deb13u1_amd64.deb",
          "8c27c342230503b73dfde629642c3b352e87b554e06d60cf58772f236a305ceb")));

  private static final String MIRROR =
      System.getenv().getOrDefault("ECAPTURE_DEBIAN_MIRROR", "http://deb.debian.org/debian");
  private static final Path CACHE = Path.of(System.getProperty("user.home"), ".cache", "ecapture-kafka", "debian");

  /** Downloads (once) and unpacks the packages; skips, or fails under CI, when that is impossible. */
  Path provision() {
    Path root = CACHE.resolve(name);
    try {
      synchronized (DebianOpenSsl.class) {
        if (!Files.isExecutable(root.resolve("usr/bin/openssl"))) {
          EbpfEnvironment.requireTool("dpkg-deb");
          Files.createDirectories(CACHE);
          Path staging = Files.createTempDirectory(CACHE, "unpack");
          for (Package pkg : packages) {
            Path deb = fetch(pkg);
            ExternalCommand.run(CACHE, List.of("dpkg-deb", "-x", deb.toString(), staging.toString()));
          }
          Files.move(staging, root, StandardCopyOption.ATOMIC_MOVE);
        }
      }
      return root;
    } catch (IOException e) {
      String message = "OpenSSL " + version + " from " + MIRROR + " unavailable: " + e.getMessage();
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
    return CACHE.resolve(name).resolve("usr/lib/x86_64-linux-gnu");
  }

  Path libsslPath() {
    return libDir().resolve(libssl);
  }

  /** The command line that runs this release's openssl with {@code args}. */
  List<String> openssl(List<String> args) {
    List<String> command = new ArrayList<>();
    if (ownLoader) {
      command.addAll(List.of(libDir().resolve("ld-linux-x86-64.so.2").toString(), "--library-path", libDir().toString()));
    }
    command.add(CACHE.resolve(name).resolve("usr/bin/openssl").toString());
    command.addAll(args);
    return command;
  }

  Map<String, String> environment() {
    return ownLoader ? Map.of() : Map.of("LD_LIBRARY_PATH", libDir().toString());
  }

  private Path fetch(Package pkg) throws IOException, InterruptedException {
    Path file = CACHE.resolve(pkg.path().substring(pkg.path().lastIndexOf('/') + 1));
    if (Files.exists(file) && sha256(Files.readAllBytes(file)).equals(pkg.sha256())) {
      return file;
    }
    try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
        .followRedirects(HttpClient.Redirect.NORMAL).build()) {
      HttpResponse<byte[]> response = client.send(
          HttpRequest.newBuilder(URI.create(MIRROR + "/" + pkg.path())).timeout(Duration.ofMinutes(2)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new IOException("HTTP " + response.statusCode() + " for " + pkg.path());
      }
      String actual = sha256(response.body());
      if (!actual.equals(pkg.sha256())) {
        throw new IOException(pkg.path() + " has sha256 " + actual + ", expected " + pkg.sha256());
      }
      Files.write(file, response.body());
      return file;
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
