package io.ecapture.kafka.collector.probe;

import java.util.Map;
import java.util.Optional;

/**
 * Where an OpenSSL build keeps TLS secrets: byte offsets into its private structs (struct ssl_st,
 * ssl_session_st, ssl_cipher_st), one entry per supported release. Mirrors tlscapture.h struct
 * ssl_offsets. Versions not in the table get no key capture, said in the log and /status.
 *
 * <p>How the entries were obtained: {@code offsetof} of each field, compiled against
 * ssl/ssl_local.h of the Debian sources (x86-64, configured as Debian configures them).
 * 3.0.17 and 3.0.20 gave identical values, so the releases in between share them (likewise
 * 3.5.1 and 3.5.7, see {@link #OPENSSL_3_5}); 1.1.1w is Debian 11's libssl1.1. The end-to-end tests check them against the key logs curl (3.0) and
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
    int sslInInit,
    int sslType) {

  /** SSL_S3_EMBEDDED: struct ssl3_state_st is part of struct ssl_st (3.x). */
  static final int S3_EMBEDDED = 0xffffffff;

  /** SSL_NO_TYPE: releases before 3.2, whose SSL objects are all TLS connections. */
  static final int NO_TYPE = 0xffffffff;

  /** Fields of struct ssl_offsets after {@code supported}. */
  static final int FIELDS = 16;

  /** OpenSSL 3.0.17 - 3.0.20, x86-64. */
  static final OpenSslOffsets OPENSSL_3_0_17 =
      new OpenSslOffsets(0, 2328, 352, 1412, 1796, 1860, 1924, 1988, 8, 80, 760, 24, S3_EMBEDDED, 1232, 100, NO_TYPE);

  /** OpenSSL 1.1.1w (Debian 11), x86-64: client random at s3 (offset 168) + 184. */
  static final OpenSslOffsets OPENSSL_1_1_1W =
      new OpenSslOffsets(0, 1296, 184, 380, 764, 828, 892, 956, 8, 80, 496, 24, 168, 200, 100, NO_TYPE);

  /**
   * OpenSSL 3.5.1 - 3.5.9 (Debian 13), x86-64. Since 3.2 an SSL* is a struct ssl_connection_st
   * (SSL_CONNECTION) beginning with struct ssl_st, whose {@code type} (offset 0) tells a TLS
   * connection (0) from QUIC objects, which have another layout. Measured on 3.5.1 and 3.5.7
   * (identical, also with Debian's configuration: zlib/zstd certificate compression adds fields
   * only after these); 3.5.9, whose sources the mirror lacks, is verified end to end against
   * its own s_client key log.
   */
  static final OpenSslOffsets OPENSSL_3_5 =
      new OpenSslOffsets(72, 2304, 392, 1468, 1852, 1916, 1980, 2044, 8, 80, 760, 24, S3_EMBEDDED, 1288, 180, 0);

  private static final Map<String, OpenSslOffsets> BY_VERSION = byVersion();

  /** Each release range shares one layout: its measured ends were identical. */
  private static Map<String, OpenSslOffsets> byVersion() {
    Map<String, OpenSslOffsets> table = new java.util.HashMap<>();
    table.put("1.1.1w", OPENSSL_1_1_1W);
    for (int patch = 17; patch <= 20; patch++) {
      table.put("3.0." + patch, OPENSSL_3_0_17);
    }
    for (int patch = 1; patch <= 9; patch++) {
      table.put("3.5." + patch, OPENSSL_3_5);
    }
    return Map.copyOf(table);
  }

  /** The offsets of a release, or empty when it is not in the table. */
  public static Optional<OpenSslOffsets> forVersion(String version) {
    return Optional.ofNullable(BY_VERSION.get(version));
  }

  /** Field values in the order of struct ssl_offsets after {@code supported}. */
  int[] asArray() {
    return new int[] {
      sslVersion, sslSession, sslClientRandom, sslHandshakeSecret, sslHandshakeTrafficHash,
      sslClientAppSecret, sslServerAppSecret, sslExporterSecret, sessionMasterKeyLength,
      sessionMasterKey, sessionCipher, cipherId, sslS3, sslHit, sslInInit, sslType
    };
  }
}
