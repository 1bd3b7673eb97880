package io.ecapture.kafka.collector;

import java.util.Map;
import java.util.Optional;

/**
 * Where an OpenSSL build keeps TLS secrets: byte offsets into its private structs (struct ssl_st,
 * ssl_session_st, ssl_cipher_st), one entry per supported release. Mirrors tlscapture.h struct
 * ssl_offsets. Versions not in the table get no key capture, said in the log and /status.
 *
 * <p>How the entries were obtained: {@code offsetof} of each field, compiled against
 * ssl/ssl_local.h of the Debian sources (x86-64, configured as Debian configures them).
 * 3.0.17 and 3.0.20 gave identical values, so the releases in between share them; 1.1.1w is
 * Debian 11's libssl1.1. The end-to-end tests check them against the key logs curl (3.0) and
 * openssl s_client (1.1.1w) write themselves.
 *
 * <p>In 1.1.x struct ssl3_state_st is reached through the pointer {@code SSL->s3}
 * ({@link #sslS3}), and {@link #sslClientRandom} is relative to it; since 3.0 it is embedded
 * ({@link #S3_EMBEDDED}) and the offset is relative to the SSL object.
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
    int cipherId,
    int sslS3,
    int sslHit,
    int sslInInit) {

  /** SSL_S3_EMBEDDED: struct ssl3_state_st is part of struct ssl_st (3.x). */
  static final int S3_EMBEDDED = 0xffffffff;

  /** Fields of struct ssl_offsets after {@code supported}. */
  static final int FIELDS = 15;

  /** OpenSSL 3.0.17 - 3.0.20, x86-64. */
  static final OpenSslOffsets OPENSSL_3_0_17 =
      new OpenSslOffsets(0, 2328, 352, 1412, 1796, 1860, 1924, 1988, 8, 80, 760, 24, S3_EMBEDDED, 1232, 100);

  /** OpenSSL 1.1.1w (Debian 11), x86-64: client random at s3 (offset 168) + 184. */
  static final OpenSslOffsets OPENSSL_1_1_1W =
      new OpenSslOffsets(0, 1296, 184, 380, 764, 828, 892, 956, 8, 80, 496, 24, 168, 200, 100);

  private static final Map<String, OpenSslOffsets> BY_VERSION =
      Map.of(
          "1.1.1w", OPENSSL_1_1_1W,
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
      sessionMasterKey, sessionCipher, cipherId, sslS3, sslHit, sslInInit
    };
  }
}
