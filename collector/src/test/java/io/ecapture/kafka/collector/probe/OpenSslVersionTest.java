package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The OpenSSL release of a probed file, and which releases have measured struct offsets. */
class OpenSslVersionTest {
  @Test
  void versionStringIsFoundInTheLibraryOrItsLibcrypto(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path lib = java.nio.file.Files.write(dir.resolve("libssl.so.3"), new byte[] {0x7f, 'E', 'L', 'F'});
    assertTrue(OpenSslVersion.of(lib).isEmpty());
    java.nio.file.Files.write(dir.resolve("libcrypto.so.3"),
        "\0junk\0OpenSSL 3.0.19 27 Jan 2026\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertEquals(java.util.Optional.of("3.0.19"), OpenSslVersion.of(lib));
    assertTrue(OpenSslOffsets.forVersion("3.0.19").isPresent());
    assertTrue(OpenSslOffsets.forVersion("3.2.1").isEmpty(), "not in the table: key capture off");
    assertTrue(OpenSslOffsets.forVersion("3.0.16").isEmpty(), "outside the measured 3.0 range");
    assertTrue(OpenSslOffsets.forVersion("3.5.10").isEmpty(), "outside the measured 3.5 range");
    assertEquals(OpenSslOffsets.OPENSSL_3_5, OpenSslOffsets.forVersion("3.5.4").orElseThrow());
    assertEquals(OpenSslOffsets.OPENSSL_1_1_1W, OpenSslOffsets.forVersion("1.1.1w").orElseThrow());
    assertTrue(OpenSslOffsets.forVersion("1.1.1k").isEmpty(), "other 1.1.1 letters are not measured");
  }
}
