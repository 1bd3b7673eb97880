package io.ecapture.kafka.pcapng;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * PCAPNG blocks, encoded as draft-ietf-opsawg-pcapng describes them, little-endian (a reader
 * learns the byte order from the Section Header Block's magic). Every block is {@code type,
 * total length, body padded to 32 bits, options, total length}; an option is {@code code (16),
 * length (16), value padded to 32 bits}, a non-empty list ends with {@code opt_endofopt}.
 */
public final class Pcapng {
  /** Section Header Block (§4.1); also the file's magic. */
  public static final int SHB = 0x0A0D0D0A;
  /** Interface Description Block (§4.2). */
  public static final int IDB = 0x00000001;
  /** Enhanced Packet Block (§4.3). */
  public static final int EPB = 0x00000006;
  /** Decryption Secrets Block (§4.7). */
  public static final int DSB = 0x0000000A;
  public static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
  /** DSB secrets type: an NSS key log ("TLSK"). */
  public static final int SECRETS_TLS_KEY_LOG = 0x544C534B;
  static final short OPT_ENDOFOPT = 0;
  static final short OPT_COMMENT = 1;
  static final short SHB_USERAPPL = 4;
  static final short IF_NAME = 2;
  static final short IF_DESCRIPTION = 3;
  static final short IF_TSRESOL = 9;
  static final short EPB_FLAGS = 2;
  /** if_tsresol 9: timestamps in nanoseconds (10^-9 s). */
  static final byte TSRESOL_NANOSECONDS = 9;
  /** epb_flags direction bits (§4.3.1): 01 inbound, 10 outbound. */
  public static final int FLAGS_INBOUND = 1;
  public static final int FLAGS_OUTBOUND = 2;

  private Pcapng() {}

  /** A Section Header Block, version 1.0, section length unknown (-1), with shb_userappl. */
  public static byte[] sectionHeader(String userApplication) {
    ByteBuffer body = le(16);
    body.putInt(BYTE_ORDER_MAGIC).putShort((short) 1).putShort((short) 0).putLong(-1L);
    return block(SHB, body.array(), options().text(SHB_USERAPPL, userApplication).bytes());
  }

  /**
   * An Interface Description Block with if_name, if_description and if_tsresol 9 (nanoseconds).
   *
   * @param linkType PCAP LINKTYPE of the interface's packets (1 Ethernet, 101 raw IP)
   * @param snapLength the most bytes of a packet captured (0: no limit)
   */
  public static byte[] interfaceDescription(int linkType, int snapLength, String name, String description) {
    ByteBuffer body = le(8);
    body.putShort((short) linkType).putShort((short) 0).putInt(snapLength);
    return block(IDB, body.array(), options()
        .text(IF_NAME, name)
        .text(IF_DESCRIPTION, description)
        .value(IF_TSRESOL, new byte[] {TSRESOL_NANOSECONDS})
        .bytes());
  }

  /**
   * An Enhanced Packet Block.
   *
   * @param interfaceId the index of its interface's IDB in the section (0 for the first)
   * @param timestamp in the interface's resolution: nanoseconds since 1970 here
   * @param data the captured bytes (at most originalLength)
   * @param flags epb_flags ({@link #FLAGS_INBOUND}, {@link #FLAGS_OUTBOUND}); 0: none written
   */
  public static byte[] enhancedPacket(int interfaceId, long timestamp, byte[] data, int originalLength, int flags) {
    ByteBuffer header = le(20);
    header.putInt(interfaceId).putInt((int) (timestamp >>> 32)).putInt((int) timestamp)
        .putInt(data.length).putInt(originalLength);
    Options options = options();
    if (flags != 0) {
      options.value(EPB_FLAGS, le(4).putInt(flags).array());
    }
    return block(EPB, concat(header.array(), padded(data)), options.bytes());
  }

  /** A Decryption Secrets Block of the given type, e.g. {@link #SECRETS_TLS_KEY_LOG} with key-log lines. */
  public static byte[] decryptionSecrets(int secretsType, byte[] secrets) {
    ByteBuffer header = le(8);
    header.putInt(secretsType).putInt(secrets.length);
    return block(DSB, concat(header.array(), padded(secrets)), new byte[0]);
  }

  /** A DSB holding NSS key-log lines, each ended by a newline. */
  public static byte[] tlsKeyLog(Iterable<String> lines) {
    StringBuilder text = new StringBuilder();
    for (String line : lines) {
      text.append(line).append('\n');
    }
    return decryptionSecrets(SECRETS_TLS_KEY_LOG, text.toString().getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] block(int type, byte[] body, byte[] options) {
    int total = 12 + body.length + options.length;
    ByteBuffer b = le(total);
    b.putInt(type).putInt(total).put(body).put(options).putInt(total);
    return b.array();
  }

  static Options options() {
    return new Options();
  }

  /** An option list; empty when no option was added (no opt_endofopt then). */
  static final class Options {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Options text(short code, String value) {
      return value(code, value.getBytes(StandardCharsets.UTF_8));
    }

    Options value(short code, byte[] value) {
      if (value.length > 0xFFFF) {
        throw new IllegalArgumentException("option value of " + value.length + " bytes");
      }
      out.writeBytes(le(4).putShort(code).putShort((short) value.length).array());
      out.writeBytes(padded(value));
      return this;
    }

    byte[] bytes() {
      if (out.size() == 0) {
        return new byte[0];
      }
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      all.writeBytes(out.toByteArray());
      all.writeBytes(new byte[4]); // opt_endofopt: code 0, length 0
      return all.toByteArray();
    }
  }

  static byte[] padded(byte[] data) {
    int length = (data.length + 3) & ~3;
    return length == data.length ? data : java.util.Arrays.copyOf(data, length);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }
}
