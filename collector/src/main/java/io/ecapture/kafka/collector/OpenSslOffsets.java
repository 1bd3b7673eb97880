package io.ecapture.kafka.collector;

import java.util.Map;
import java.util.Optional;

/**
 * Where an OpenSSL build keeps TLS secrets: byte offsets into its private structs (struct ssl_st,
 * ssl_session_st, ssl_cipher_st), one entry per supported release. Mirrors tlscapture.h struct
 * ssl_offsets. Versions not in the table get no key capture, said in the log and /status.
 *
 * <p>How the 3.0.x entry was obtained: {@code offsetof} of each field, compiled against
 * ssl/ssl_local.h of the Debian sources of 3.0.17 and 3.0.20 (x86-64); both gave identical values,
 * so the releases in between share them. The end-to-end test checks them against curl's own
 * SSLKEYLOGFILE output.
 */
public record OpenSslOffsets(
    int sslVersion,
    int sslSession,
    int sslClientRandom,
    int sslHandshakeSecret,
    int sslHandshakeTrafficHash,
    int sslClientAppSecret,
    int sslServerAppSecret,
    int sslExporterSecret,
    int sessionMasterKeyLength,
    int sessionMasterKey,
    int sessionCipher,
    int cipherId) {

  /** OpenSSL 3.0.17 - 3.0.20, x86-64. */
  static final OpenSslOffsets OPENSSL_3_0_17 =
      new OpenSslOffsets(0, 2328, 352, 1412, 1796, 1860, 1924, 1988, 8, 80, 760, 24);

  private static final Map<String, OpenSslOffsets> BY_VERSION =
      Map.of(
          "3.0.17", OPENSSL_3_0_17,
          "3.0.18", OPENSSL_3_0_17,
          "3.0.19", OPENSSL_3_0_17,
          "3.0.20", OPENSSL_3_0_17);

  /** The offsets of a release, or empty when it is not in the table. */
  public static Optional<OpenSslOffsets> forVersion(String version) {
    return Optional.ofNullable(BY_VERSION.get(version));
  }

  /** Field values in the order of struct ssl_offsets after {@code supported}. */
  int[] asArray() {
    return new int[] {
      sslVersion, sslSession, sslClientRandom, sslHandshakeSecret, sslHandshakeTrafficHash,
      sslClientAppSecret, sslServerAppSecret, sslExporterSecret, sessionMasterKeyLength,
      sessionMasterKey, sessionCipher, cipherId
    };
  }
}
