package io.ecapture.kafka.collector.decode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A Go key-log record (gotls.h struct go_keylog after the tls_event header: what crypto/tls passed
 * to {@code (*Config).writeKeyLog}) as the NSS key-log line Go itself would write: {@code LABEL
 * <client random hex> <secret hex>}.
 */
final class GoKeyLog {
  static final int SIZE = 144;
  static final int LABEL_LEN = 0;
  static final int RANDOM_LEN = 4;
  static final int SECRET_LEN = 8;
  static final int LABEL = 16;
  static final int RANDOM = 48;
  static final int SECRET = 80;
  static final int MAX_LABEL = 32;
  static final int MAX_SECRET = 64;
  private static final Pattern LABEL_TEXT = Pattern.compile("[A-Z0-9_]+");
  private static final HexFormat HEX = HexFormat.of();
  private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;

  private GoKeyLog() {}

  static String line(MemorySegment record) throws MalformedEventException {
    long dataLen = Integer.toUnsignedLong(record.get(U32, EventLayout.DATA_LEN));
    if (dataLen != SIZE || EventLayout.HEADER_SIZE + SIZE > record.byteSize()) {
      throw new MalformedEventException("Go key-log record data_len " + dataLen + " in " + record.byteSize() + " bytes");
    }
    MemorySegment body = record.asSlice(EventLayout.HEADER_SIZE, SIZE);
    int labelLen = body.get(U32, LABEL_LEN);
    int randomLen = body.get(U32, RANDOM_LEN);
    int secretLen = body.get(U32, SECRET_LEN);
    if (labelLen <= 0 || labelLen > MAX_LABEL || randomLen != 32 || secretLen <= 0 || secretLen > MAX_SECRET) {
      throw new MalformedEventException("Go key-log lengths " + labelLen + "/" + randomLen + "/" + secretLen);
    }
    String label = new String(body.asSlice(LABEL, labelLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
    if (!LABEL_TEXT.matcher(label).matches()) {
      throw new MalformedEventException("Go key-log label is not a label");
    }
    return label + " " + HEX.formatHex(body.asSlice(RANDOM, 32).toArray(ValueLayout.JAVA_BYTE)) + " "
        + HEX.formatHex(body.asSlice(SECRET, secretLen).toArray(ValueLayout.JAVA_BYTE));
  }
}
