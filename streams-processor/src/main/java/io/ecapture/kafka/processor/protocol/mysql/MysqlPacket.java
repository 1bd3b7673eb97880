package io.ecapture.kafka.processor.protocol.mysql;

/**
 * One packet of the MySQL/MariaDB client/server protocol: a 3-byte little-endian payload length,
 * a sequence id, the payload.
 *
 * @param sequence the sequence id (0 on a command, counting up through its response)
 * @param payload the payload, at most the body limit
 * @param length the payload length announced
 * @param truncated fewer than {@code length} bytes are in {@code payload}
 */
public record MysqlPacket(int sequence, byte[] payload, int length, boolean truncated) {
  /** A payload of this length continues in the next packet. */
  public static final int MAX_PAYLOAD = 0xffffff;

  /** First payload byte, or -1 for an empty payload. */
  public int first() {
    return payload.length > 0 ? payload[0] & 0xff : -1;
  }
}
