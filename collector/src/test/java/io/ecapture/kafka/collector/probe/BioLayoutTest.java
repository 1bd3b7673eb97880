package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The socket-BIO layout learned from the accessors' machine code of real TLS libraries on this
 * machine, checked against the struct layouts of their sources: struct ssl_st begins {@code int
 * version; const SSL_METHOD *method; BIO *rbio; BIO *wbio; BIO *bbio} in 1.1.1 and 3.0 (rbio +16,
 * wbio +24); 3.2+'s SSL_CONNECTION starts with a struct ssl_st whose {@code int type} is at 0
 * and keeps {@code version} at 72 (OpenSslOffsets.OPENSSL_3_5), so rbio +80, wbio +88. struct
 * bio_st: 3.x {@code libctx, method, callback, callback_ex, cb_arg, init, shutdown, flags,
 * retry_reason, num, ptr, next_bio} (method +8, num +56, next +72); 1.1.1 has no libctx (method
 * +0, num +48, next +64); BoringSSL {@code method, ex_data, init, shutdown, flags, retry_reason,
 * num, references, ptr, next_bio} (num +32, next +48). BIO_METHOD's {@code type} is its first
 * field everywhere.
 */
class BioLayoutTest {
  @TempDir Path dir;

  @Test
  void systemOpenSsl30() {
    Path libssl = Path.of("/usr/lib/x86_64-linux-gnu/libssl.so.3");
    assertTrue(Files.isRegularFile(libssl), "Debian 12's libssl3 is installed");
    BioLayout layout = learned(libssl);
    assertEquals(new BioLayout(16, 24, 8, 0, 56, 72, BioLayout.NO_TYPE, layout.learnedFrom()), layout);
    assertTrue(layout.learnedFrom().contains("libcrypto.so.3"), layout.learnedFrom());
  }

  @Test
  void openSsl111w() {
    DebianOpenSsl.OPENSSL_1_1_1W.provision();
    BioLayout layout = learned(DebianOpenSsl.OPENSSL_1_1_1W.libsslPath());
    assertEquals(new BioLayout(16, 24, 0, 0, 48, 64, BioLayout.NO_TYPE, layout.learnedFrom()), layout);
  }

  @Test
  void openSsl35HasTheConnectionTypeCheck() {
    DebianOpenSsl.OPENSSL_3_5_9.provision();
    BioLayout layout = learned(DebianOpenSsl.OPENSSL_3_5_9.libsslPath());
    assertEquals(new BioLayout(80, 88, 8, 0, 56, 72, 0, layout.learnedFrom()), layout);
    assertEquals(OpenSslOffsets.OPENSSL_3_5.sslVersion() + 8, layout.sslRbio(), "rbio follows int version (+pad)");
  }

  @Test
  void nodeStaticOpenSsl() {
    Path node = Path.of("/usr/bin/node");
    assertTrue(Files.isRegularFile(node), "node is installed");
    BioLayout layout = learned(node);
    assertEquals(new BioLayout(16, 24, 8, 0, 56, 72, BioLayout.NO_TYPE, layout.learnedFrom()), layout);
    assertFalse(layout.learnedFrom().contains("libcrypto"), "one file: " + layout.learnedFrom());
  }

  @Test
  void boringSslInNettyTcnative() throws IOException {
    Path tcnative = dir.resolve("libnetty_tcnative_linux_x86_64.so");
    try (InputStream in = BioLayoutTest.class.getResourceAsStream("/META-INF/native/libnetty_tcnative_linux_x86_64.so")) {
      assertTrue(in != null, "netty-tcnative-boringssl-static (linux-x86_64) is on the test class path");
      Files.copy(in, tcnative, StandardCopyOption.REPLACE_EXISTING);
    }
    BioLayout layout = learned(tcnative);
    assertEquals(new BioLayout(24, 32, 0, 0, 32, 48, BioLayout.NO_TYPE, layout.learnedFrom()), layout);
  }

  @Test
  void ambiguousOrForeignCodeIsNotTrusted() {
    byte[] ret = {(byte) 0xc3};
    // BIO_test_flags and BIO_get_data disagree about num
    byte[] rbio = {0x48, (byte) 0x8b, 0x47, 0x10, (byte) 0xc3};
    byte[] flags = {(byte) 0x8b, 0x47, 0x30, 0x21, (byte) 0xf0, (byte) 0xc3};
    byte[] data = {0x48, (byte) 0x8b, 0x47, 0x48, (byte) 0xc3};
    byte[] methodType = {0x48, (byte) 0x8b, 0x47, 0x08, (byte) 0x8b, 0x00, (byte) 0xc3};
    BioLayout.Learned learned = BioLayout.fromCode(Map.of("SSL_get_rbio", rbio, "SSL_get_wbio", rbio,
        "BIO_method_type", methodType, "BIO_next", data, "BIO_test_flags", flags, "BIO_get_data", data), "test");
    assertTrue(learned.layout().isEmpty(), learned.toString());
    assertTrue(learned.reason().contains("num is ambiguous"), learned.reason());
    // a function that returns no field of its argument
    learned = BioLayout.fromCode(Map.of("SSL_get_rbio", ret, "SSL_get_wbio", rbio,
        "BIO_method_type", methodType, "BIO_next", data, "BIO_test_flags", flags, "BIO_get_data", data), "test");
    assertTrue(learned.layout().isEmpty(), learned.toString());
    // a file without the accessors
    assertTrue(BioLayout.learn(Path.of("/bin/true")).layout().isEmpty());
  }

  private static BioLayout learned(Path library) {
    BioLayout.Learned learned = BioLayout.learn(library);
    assertTrue(learned.layout().isPresent(), library + ": " + learned.reason());
    return learned.layout().get();
  }
}
