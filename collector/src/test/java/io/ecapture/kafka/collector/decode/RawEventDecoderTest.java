package io.ecapture.kafka.collector.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsFunction;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RawEventDecoderTest {
  private static final long WALL_OFFSET = 1_700_000_000_000_000_000L;
  private static final java.util.List<java.nio.file.Path> LIBRARIES =
      java.util.List.of(java.nio.file.Path.of("/lib/a/libssl.so.3"), java.nio.file.Path.of("/opt/b/libssl.so.3"));
  private final RawEventDecoder decoder = new RawEventDecoder("host-a", MonotonicClock.withOffset(WALL_OFFSET), LIBRARIES);

  @Test
  void decodesADataRecordWithProcessTupleOffsetsAndPayload() throws Exception {
    byte[] payload = "GET / HTTP/1.1\r\n".getBytes(StandardCharsets.UTF_8);
    byte[] record = TestRecords.data(2, 4, 100, payload, 1000, 16);

    RawEvent event = decoder.decode(MemorySegment.ofArray(record));

    assertEquals("host-a", event.getHostId());
    assertEquals("host-a/4242/7/4000000000", event.getConnectionId());
    assertEquals(4_000_000_000L, event.getConnectionStartNs());
    assertEquals(4242, event.getProcess().getPid());
    assertEquals(4243, event.getProcess().getTid());
    assertEquals(1000, event.getProcess().getUid());
    assertEquals("curl", event.getProcess().getComm());
    assertEquals(7, event.getFd());
    assertEquals(5_000_000_000L, event.getKernelTimeNs());
    assertEquals(WALL_OFFSET + 5_000_000_000L, event.getWallTimeNs());
    assertEquals(AddressFamily.INET, event.getTuple().getFamily());
    assertEquals(ByteString.copyFrom(new byte[] {10, 0, 0, 1}), event.getTuple().getSrcAddr());
    assertEquals(54321, event.getTuple().getSrcPort());
    assertEquals(ByteString.copyFrom(new byte[] {10, 0, 0, 2}), event.getTuple().getDstAddr());
    assertEquals(443, event.getTuple().getDstPort());
    assertEquals(Direction.WRITE, event.getData().getDirection());
    assertEquals(TlsFunction.SSL_WRITE_EX, event.getData().getFunction());
    assertEquals(100, event.getData().getOffset());
    assertEquals(1000, event.getData().getOriginalLength());
    assertEquals(16, event.getData().getChunkOffset());
    assertFalse(event.getData().getTruncated());
    assertEquals(ByteString.copyFrom(payload), event.getData().getPayload());
    assertEquals("openssl /lib/a/libssl.so.3", event.getData().getTlsLibrary());
  }

  @Test
  void theCgroupIdBecomesTheWorkloadAndZeroLeavesItUnset() throws Exception {
    byte[] record = TestRecords.write("x");
    assertFalse(decoder.decode(MemorySegment.ofArray(record)).hasWorkload(), "cgroup id 0: unknown");
    ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN).putLong(EventLayout.CGROUP_ID, 0x1_0000_0042L);
    assertEquals(0x1_0000_0042L, decoder.decode(MemorySegment.ofArray(record)).getWorkload().getCgroupId());
    java.util.List<Long> asked = new java.util.ArrayList<>();
    RawEventDecoder named = new RawEventDecoder("host-a", MonotonicClock.withOffset(WALL_OFFSET), LIBRARIES, (id, pid) -> {
      asked.add(id);
      asked.add(pid);
      return io.ecapture.kafka.proto.capture.Workload.newBuilder().setCgroupId(id).setPodName("web-0").build();
    });
    RawEvent event = named.decode(MemorySegment.ofArray(record));
    assertEquals("web-0", event.getWorkload().getPodName());
    assertEquals(java.util.List.of(0x1_0000_0042L, 4242L), asked, "asked with the id and the owner's pid");
  }

  @Test
  void aConnectionBoundLateKeepsTheIdItHadWithoutItsSocket() throws Exception {
    byte[] record = TestRecords.data(2, 4, 100, new byte[] {1}, 1, 0);
    ByteBuffer b = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(EventLayout.FLAGS, EventLayout.FLAG_BOUND_LATE);
    RawEvent event = decoder.decode(MemorySegment.ofArray(record));
    assertEquals("host-a/4242/-1/4000000000", event.getConnectionId(), "as its first, socketless events had it");
    assertEquals(7, event.getFd(), "the fd itself is reported");
    assertEquals(443, event.getTuple().getDstPort());
  }

  @Test
  void libraryIndexNamesTheProbedFileAndAnUnknownIndexIsMalformed() throws Exception {
    byte[] record = TestRecords.write("x");
    ByteBuffer b = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort(EventLayout.LIBRARY, (short) 1);
    assertEquals("openssl /opt/b/libssl.so.3", decoder.decode(MemorySegment.ofArray(record)).getData().getTlsLibrary());
    b.putShort(EventLayout.LIBRARY, (short) 2);
    assertThrows(MalformedEventException.class, () -> decoder.decode(MemorySegment.ofArray(record)));
  }

  @Test
  void openEventTellsWhetherTheSocketWasAccepted() throws Exception {
    ByteBuffer open = TestRecords.header(EventLayout.KIND_OPEN);
    assertFalse(decoder.decode(MemorySegment.ofArray(open.array())).getOpen().getIsAccept());
    open.put(EventLayout.ACCEPTED, (byte) 1);
    assertTrue(decoder.decode(MemorySegment.ofArray(open.array())).getOpen().getIsAccept());
  }

  @Test
  void decodesCloseWithByteTotalsAndOpen() throws Exception {
    ByteBuffer close = TestRecords.header(EventLayout.KIND_CLOSE);
    close.putLong(EventLayout.BYTES_READ, 1234);
    close.putLong(EventLayout.BYTES_WRITTEN, 56);
    RawEvent closed = decoder.decode(MemorySegment.ofArray(close.array()));
    assertTrue(closed.hasClose());
    assertEquals(1234, closed.getClose().getBytesRead());
    assertEquals(56, closed.getClose().getBytesWritten());

    assertTrue(decoder.decode(MemorySegment.ofArray(TestRecords.header(EventLayout.KIND_OPEN).array())).hasOpen());
  }

  @Test
  void handshakeRecordCarriesDurationAndVersionAndRejectsAWrongLength() throws Exception {
    ByteBuffer header = TestRecords.header(EventLayout.KIND_HANDSHAKE);
    header.putInt(EventLayout.DATA_LEN, EventLayout.HANDSHAKE_SIZE);
    ByteBuffer record = ByteBuffer.allocate(EventLayout.HEADER_SIZE + EventLayout.HANDSHAKE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    record.put(header.array());
    record.putLong(EventLayout.HEADER_SIZE + EventLayout.HANDSHAKE_DURATION_NS, 1_234_567);
    record.putInt(EventLayout.HEADER_SIZE + EventLayout.HANDSHAKE_VERSION, 0x0304);
    RawEvent event = decoder.decode(MemorySegment.ofArray(record.array()));
    assertTrue(event.hasHandshake());
    assertEquals(1_234_567, event.getHandshake().getDurationNs());
    assertEquals(0x0304, event.getHandshake().getTlsVersion());
    assertFalse(event.getHandshake().hasResumed(), "layout unknown: resumption unknown, not false");
    assertFalse(event.getHandshake().getImplicit());
    record.putInt(EventLayout.HEADER_SIZE + EventLayout.HANDSHAKE_FLAGS, EventLayout.HS_RESUMED_KNOWN);
    assertFalse(decoder.decode(MemorySegment.ofArray(record.array())).getHandshake().getResumed());
    assertTrue(decoder.decode(MemorySegment.ofArray(record.array())).getHandshake().hasResumed());
    record.putInt(EventLayout.HEADER_SIZE + EventLayout.HANDSHAKE_FLAGS,
        EventLayout.HS_RESUMED_KNOWN | EventLayout.HS_RESUMED | EventLayout.HS_IMPLICIT);
    RawEvent resumed = decoder.decode(MemorySegment.ofArray(record.array()));
    assertTrue(resumed.getHandshake().getResumed());
    assertTrue(resumed.getHandshake().getImplicit());
    // the payload cut short: refused, never read beyond the record
    assertThrows(MalformedEventException.class,
        () -> decoder.decode(MemorySegment.ofArray(java.util.Arrays.copyOf(record.array(), EventLayout.HEADER_SIZE + 8))));
  }

  @Test
  void ipv6TupleCarriesSixteenByteAddresses() throws Exception {
    byte[] record = TestRecords.write("x");
    ByteBuffer b = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort(EventLayout.FAMILY, (short) EventLayout.AF_INET6);
    byte[] loopback = new byte[16];
    loopback[15] = 1;
    b.put(EventLayout.SADDR, loopback);
    RawEvent event = decoder.decode(MemorySegment.ofArray(record));
    assertEquals(AddressFamily.INET6, event.getTuple().getFamily());
    assertEquals(ByteString.copyFrom(loopback), event.getTuple().getSrcAddr());
    assertEquals(16, event.getTuple().getDstAddr().size());
  }

  @Test
  void ipv4MappedIpv6TupleIsReportedAsIpv4() throws Exception {
    byte[] record = TestRecords.write("x");
    ByteBuffer b = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort(EventLayout.FAMILY, (short) EventLayout.AF_INET6);
    byte[] src = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1};
    byte[] dst = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 1, 2, 3};
    b.put(EventLayout.SADDR, src);
    b.put(EventLayout.DADDR, dst);
    RawEvent event = decoder.decode(MemorySegment.ofArray(record));
    assertEquals(AddressFamily.INET, event.getTuple().getFamily());
    assertEquals(ByteString.copyFrom(new byte[] {127, 0, 0, 1}), event.getTuple().getSrcAddr());
    assertEquals(ByteString.copyFrom(new byte[] {10, 1, 2, 3}), event.getTuple().getDstAddr());

    dst[10] = 0; // a real IPv6 peer: both ends stay IPv6
    b.put(EventLayout.DADDR, dst);
    assertEquals(AddressFamily.INET6, decoder.decode(MemorySegment.ofArray(record)).getTuple().getFamily());
  }

  @Test
  void unknownSocketFamilyAndMissingFdStillDecode() throws Exception {
    byte[] record = TestRecords.write("x");
    ByteBuffer b = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort(EventLayout.FAMILY, (short) 1); // AF_UNIX
    b.putInt(EventLayout.FD, -1);
    RawEvent event = decoder.decode(MemorySegment.ofArray(record));
    assertEquals(AddressFamily.FAMILY_UNKNOWN, event.getTuple().getFamily());
    assertEquals(0, event.getFd());
    assertEquals("host-a/4242/-1/4000000000", event.getConnectionId());
  }

  @Test
  void truncatedAndReadFaultFlagsMarkThePayloadIncomplete() throws Exception {
    for (int flag : new int[] {EventLayout.FLAG_TRUNCATED, EventLayout.FLAG_READ_FAULT}) {
      byte[] record = TestRecords.write("abc");
      ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN).putInt(EventLayout.FLAGS, flag);
      assertTrue(decoder.decode(MemorySegment.ofArray(record)).getData().getTruncated());
    }
  }

  @Test
  void commWithInvalidUtf8BecomesValidUtf8() throws Exception {
    byte[] record = TestRecords.write("x");
    record[EventLayout.COMM] = (byte) 0xff;
    record[EventLayout.COMM + 1] = (byte) 0xfe;
    String comm = decoder.decode(MemorySegment.ofArray(record)).getProcess().getComm();
    assertTrue(comm.startsWith("\uFFFD"), comm);
    assertEquals(comm, new String(comm.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
  }

  @Test
  void commFillingAllSixteenBytesHasNoTerminator() throws Exception {
    byte[] record = TestRecords.write("x");
    Arrays.fill(record, EventLayout.COMM, EventLayout.COMM + EventLayout.COMM_LEN, (byte) 'a');
    assertEquals("a".repeat(16), decoder.decode(MemorySegment.ofArray(record)).getProcess().getComm());
  }

  @Test
  void recordShorterThanTheHeaderIsMalformed() {
    byte[] record = Arrays.copyOf(TestRecords.write("x"), EventLayout.HEADER_SIZE - 1);
    assertThrows(MalformedEventException.class, () -> decoder.decode(MemorySegment.ofArray(record)));
  }

  @Test
  void dataLengthBeyondTheRecordIsMalformed() {
    byte[] record = TestRecords.write("hello");
    ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN).putInt(EventLayout.DATA_LEN, 6);
    MalformedEventException e =
        assertThrows(MalformedEventException.class, () -> decoder.decode(MemorySegment.ofArray(record)));
    assertTrue(e.getMessage().contains("data_len 6"), e.getMessage());
  }

  @Test
  void hugeDataLengthIsMalformedNotAnAllocation() {
    byte[] record = TestRecords.write("hello");
    ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN).putInt(EventLayout.DATA_LEN, -1);
    assertThrows(MalformedEventException.class, () -> decoder.decode(MemorySegment.ofArray(record)));
  }

  @Test
  void chunkBeyondTheCallLengthIsMalformed() {
    byte[] payload = "hello".getBytes(StandardCharsets.UTF_8);
    byte[] record = TestRecords.data(2, 2, 0, payload, 8, 4);
    assertThrows(MalformedEventException.class, () -> decoder.decode(MemorySegment.ofArray(record)));
  }

  @Test
  void unknownKindDirectionOrFunctionIsMalformed() {
    byte[] kind = TestRecords.write("x");
    kind[EventLayout.KIND] = 9;
    byte[] direction = TestRecords.write("x");
    direction[EventLayout.DIRECTION] = 3;
    byte[] function = TestRecords.write("x");
    function[EventLayout.FUNCTION] = 0;
    for (byte[] record : new byte[][] {kind, direction, function}) {
      assertThrows(MalformedEventException.class, () -> decoder.decode(MemorySegment.ofArray(record)));
    }
  }
}
