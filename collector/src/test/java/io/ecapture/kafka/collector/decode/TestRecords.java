package io.ecapture.kafka.collector.decode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds struct tls_event records byte by byte, as the kernel writes them. */
public final class TestRecords {
  private TestRecords() {}

  public static ByteBuffer header(int kind) {
    ByteBuffer b = ByteBuffer.allocate(EventLayout.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(EventLayout.KIND, kind);
    b.putInt(EventLayout.PID, 4242);
    b.putInt(EventLayout.TID, 4243);
    b.putInt(EventLayout.UID, 1000);
    b.putLong(EventLayout.KTIME_NS, 5_000_000_000L);
    b.putLong(EventLayout.CONN_START_NS, 4_000_000_000L);
    b.putInt(EventLayout.FD, 7);
    b.putShort(EventLayout.FAMILY, (short) EventLayout.AF_INET);
    b.putShort(EventLayout.SPORT, (short) 54321);
    b.putShort(EventLayout.DPORT, (short) 443);
    b.put(EventLayout.SADDR, new byte[] {10, 0, 0, 1});
    b.put(EventLayout.DADDR, new byte[] {10, 0, 0, 2});
    byte[] comm = "curl".getBytes(StandardCharsets.UTF_8);
    b.put(EventLayout.COMM, comm);
    return b;
  }

  /** A DATA record: header + payload, call of callLen bytes, chunk at chunkOffset. */
  public static byte[] data(int direction, int function, long offset, byte[] payload, int callLen, int chunkOffset) {
    ByteBuffer h = header(EventLayout.KIND_DATA);
    h.putLong(EventLayout.OFFSET, offset);
    h.putInt(EventLayout.CALL_LEN, callLen);
    h.putInt(EventLayout.DATA_LEN, payload.length);
    h.put(EventLayout.DIRECTION, (byte) direction);
    h.put(EventLayout.FUNCTION, (byte) function);
    h.putInt(EventLayout.CHUNK_OFFSET, chunkOffset);
    byte[] record = new byte[EventLayout.HEADER_SIZE + payload.length];
    System.arraycopy(h.array(), 0, record, 0, EventLayout.HEADER_SIZE);
    System.arraycopy(payload, 0, record, EventLayout.HEADER_SIZE, payload.length);
    return record;
  }

  public static byte[] write(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    return data(2, 2, 100, payload, payload.length, 0);
  }

  /** A key record as the kernel writes it: header, then struct tls_keys (TLS 1.3, zero secrets). */
  public static byte[] tls13KeyRecord() {
    ByteBuffer header = header(EventLayout.KIND_KEYS);
    header.putInt(EventLayout.DATA_LEN, TlsKeyLog.SIZE);
    ByteBuffer record = ByteBuffer.allocate(EventLayout.HEADER_SIZE + TlsKeyLog.SIZE).order(ByteOrder.LITTLE_ENDIAN);
    record.put(header.array());
    record.putInt(EventLayout.HEADER_SIZE + TlsKeyLog.VERSION, TlsKeyLog.TLS1_3);
    record.putInt(EventLayout.HEADER_SIZE + TlsKeyLog.CIPHER_ID, TlsKeyLog.TLS_AES_256_GCM_SHA384);
    return record.array();
  }
}
