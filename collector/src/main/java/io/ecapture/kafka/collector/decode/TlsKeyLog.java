package io.ecapture.kafka.collector.decode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Turns a KEYS ring-buffer record (struct tls_keys after the tls_event header) into NSS key-log
 * lines, the format of SSLKEYLOGFILE that Wireshark reads: TLS 1.2 {@code CLIENT_RANDOM}; TLS 1.3
 * the handshake and application traffic secrets and the exporter secret. OpenSSL 3.0 does not
 * keep the handshake traffic secrets, only the handshake secret and the transcript hash they come
 * from, so they are derived here (RFC 8446 7.1 Derive-Secret).
 */
final class TlsKeyLog {
  static final int SIZE = 416;
  static final int VERSION = 0;
  static final int CIPHER_ID = 4;
  static final int MASTER_KEY_LENGTH = 8;
  static final int CLIENT_RANDOM = 16;
  static final int MASTER_KEY = 48;
  static final int HANDSHAKE_SECRET = 96;
  static final int HANDSHAKE_TRAFFIC_HASH = 160;
  static final int CLIENT_APP_SECRET = 224;
  static final int SERVER_APP_SECRET = 288;
  static final int EXPORTER_SECRET = 352;

  static final int TLS1_2 = 0x0303;
  static final int TLS1_3 = 0x0304;
  /** TLS_AES_256_GCM_SHA384: the one TLS 1.3 suite of OpenSSL 3.0 hashing with SHA-384. */
  static final int TLS_AES_256_GCM_SHA384 = 0x03001302;
  private static final HexFormat HEX = HexFormat.of();
  private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;

  private TlsKeyLog() {}

  /**
   * Key-log lines of one session.
   *
   * @param keys the struct tls_keys bytes
   * @throws MalformedEventException when the size is wrong or the TLS version is neither 1.2 nor 1.3
   */
  static List<String> lines(MemorySegment keys) throws MalformedEventException {
    if (keys.byteSize() != SIZE) {
      throw new MalformedEventException("key record of " + keys.byteSize() + " bytes, expected " + SIZE);
    }
    int version = keys.get(U32, VERSION);
    String random = hex(keys, CLIENT_RANDOM, 32);
    List<String> lines = new ArrayList<>(5);
    if (version == TLS1_2) {
      int length = keys.get(U32, MASTER_KEY_LENGTH);
      if (length != 48) {
        throw new MalformedEventException("TLS 1.2 master key length " + length);
      }
      lines.add("CLIENT_RANDOM " + random + " " + hex(keys, MASTER_KEY, 48));
      return lines;
    }
    if (version != TLS1_3) {
      throw new MalformedEventException("TLS version 0x" + Integer.toHexString(version) + " has no key-log format");
    }
    boolean sha384 = keys.get(U32, CIPHER_ID) == TLS_AES_256_GCM_SHA384;
    int hashLength = sha384 ? 48 : 32;
    byte[] handshakeSecret = bytes(keys, HANDSHAKE_SECRET, hashLength);
    byte[] transcript = bytes(keys, HANDSHAKE_TRAFFIC_HASH, hashLength);
    String mac = sha384 ? "HmacSHA384" : "HmacSHA256";
    lines.add("SERVER_HANDSHAKE_TRAFFIC_SECRET " + random + " "
        + HEX.formatHex(expandLabel(mac, handshakeSecret, "s hs traffic", transcript, hashLength)));
    lines.add("CLIENT_HANDSHAKE_TRAFFIC_SECRET " + random + " "
        + HEX.formatHex(expandLabel(mac, handshakeSecret, "c hs traffic", transcript, hashLength)));
    lines.add("SERVER_TRAFFIC_SECRET_0 " + random + " " + hex(keys, SERVER_APP_SECRET, hashLength));
    lines.add("CLIENT_TRAFFIC_SECRET_0 " + random + " " + hex(keys, CLIENT_APP_SECRET, hashLength));
    lines.add("EXPORTER_SECRET " + random + " " + hex(keys, EXPORTER_SECRET, hashLength));
    return lines;
  }

  /** HKDF-Expand-Label (RFC 8446 7.1) for outputs of at most one hash block. */
  static byte[] expandLabel(String macAlgorithm, byte[] secret, String label, byte[] context, int length) {
    byte[] fullLabel = ("tls13 " + label).getBytes(StandardCharsets.US_ASCII);
    byte[] info = new byte[2 + 1 + fullLabel.length + 1 + context.length + 1];
    int at = 0;
    info[at++] = (byte) (length >>> 8);
    info[at++] = (byte) length;
    info[at++] = (byte) fullLabel.length;
    System.arraycopy(fullLabel, 0, info, at, fullLabel.length);
    at += fullLabel.length;
    info[at++] = (byte) context.length;
    System.arraycopy(context, 0, info, at, context.length);
    at += context.length;
    info[at] = 1; // HKDF-Expand block counter T(1)
    try {
      Mac mac = Mac.getInstance(macAlgorithm);
      mac.init(new SecretKeySpec(secret, macAlgorithm));
      byte[] block = mac.doFinal(info);
      return java.util.Arrays.copyOf(block, length);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(macAlgorithm + " unavailable", e);
    }
  }

  private static byte[] bytes(MemorySegment keys, long offset, int length) {
    return keys.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
  }

  private static String hex(MemorySegment keys, long offset, int length) {
    return HEX.formatHex(bytes(keys, offset, length));
  }
}
