package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default libssl files: ldconfig's x86-64 OpenSSL 3 and 1.1, one entry per real file. */
class LibSslLocatorTest {
  @Test
  void locatorKeepsOneEntryPerRealFile(@TempDir Path dir) throws Exception {
    Path real = Files.createFile(dir.resolve("libssl.so.3"));
    Path link = Files.createSymbolicLink(dir.resolve("alias.so.3"), real);
    assertEquals(List.of(real), LibSslLocator.distinctExisting(List.of(real, link, dir.resolve("missing.so"))));
  }

  @Test
  void locatorReadsBothOpenSslGenerationsFromLdconfig() {
    List<Path> found = LibSslLocator.parseLdconfig(Stream.of(
        "1234 libs found in cache `/etc/ld.so.cache'",
        "\tlibssl.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so.3",
        "\tlibssl.so.1.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libssl.so.1.1",
        "\tlibssl.so.1.1 (libc6) => /usr/lib/i386-linux-gnu/libssl.so.1.1",
        "\tlibssl3.so (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl3.so",
        "\tlibssl.so (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so"));
    assertEquals(List.of(Path.of("/lib/x86_64-linux-gnu/libssl.so.3"), Path.of("/usr/lib/x86_64-linux-gnu/libssl.so.1.1")),
        found, "x86-64 OpenSSL 3 and 1.1 only: not NSS's libssl3.so, not the 32-bit copy, not the dev symlink");
    assertTrue(LibSslLocator.COMMON_PATHS.contains(Path.of("/usr/lib/x86_64-linux-gnu/libssl.so.1.1")));
  }
}
