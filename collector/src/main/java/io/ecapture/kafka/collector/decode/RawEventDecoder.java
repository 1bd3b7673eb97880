package io.ecapture.kafka.collector.decode;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.ConnectionClose;
import io.ecapture.kafka.proto.capture.ConnectionOpen;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.ProcessInfo;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsData;
import io.ecapture.kafka.proto.capture.TlsFunction;
import io.ecapture.kafka.proto.capture.TlsHandshake;
import io.ecapture.kafka.proto.capture.Tuple;
import io.ecapture.kafka.proto.capture.Workload;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Decodes one ring-buffer record ({@code struct tls_event} + payload, see {@link EventLayout}) into
 * a {@link RawEvent}. Every length and enum is checked before use: a bad record raises {@link
 * MalformedEventException} and never reads outside the record. The header's cgroup id becomes the
 * event's {@link Workload} through a {@link WorkloadSource} (container and pod identity, see the
 * collector's identity package); id 0 (unknown) leaves the workload unset.
 */
public final class RawEventDecoder {
  private static final ValueLayout.OfInt U32 =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong U64 =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort U16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** Prefix of {@link TlsData#getTlsLibrary()}, followed by the probed file's path. */
  public static final String TLS_LIBRARY = "openssl";

  private final String hostId;
  private final MonotonicClock clock;
  private final List<String> libraryNames;
  /** Go binaries' names by library index (GO_LIBRARY_BASE + n). */
  private final java.util.Map<Integer, String> goNames = new java.util.concurrent.ConcurrentHashMap<>();
  /** Data events of Go binaries decoded (the gotls module's event count in /status). */
  private final java.util.concurrent.atomic.LongAdder goDataEvents = new java.util.concurrent.atomic.LongAdder();
  private final WorkloadSource workloads;

  /**
   * Events carry only the cgroup id in their workload.
   *
   * @param libraries the probed libssl files, in the order of the uprobes' bpf_cookie values
   */
  public RawEventDecoder(String hostId, MonotonicClock clock, List<Path> libraries) {
    this(hostId, clock, libraries, WorkloadSource.CGROUP_ID_ONLY);
  }

  /**
   * @param libraries the probed libssl files, in the order of the uprobes' bpf_cookie values
   * @param workloads the workload of a (non-zero) cgroup id, e.g. the identity package's resolver
   */
  public RawEventDecoder(String hostId, MonotonicClock clock, List<Path> libraries, WorkloadSource workloads) {
    this.hostId = hostId;
    this.clock = clock;
    this.workloads = workloads;
    this.libraryNames = new java.util.concurrent.CopyOnWriteArrayList<>(
        libraries.stream().map(path -> TLS_LIBRARY + " " + path).toList());
  }

  /**
   * Names the events of Go binary {@code libraryIndex} (at least {@link EventLayout#GO_LIBRARY_BASE}):
   * e.g. "go go1.19.8 /usr/local/bin/app". Call before attaching its uprobes.
   */
  public void nameGoBinary(int libraryIndex, String name) {
    goNames.put(libraryIndex, name);
  }

  /** Data events of Go binaries decoded so far. */
  public long goDataEvents() {
    return goDataEvents.sum();
  }

  /**
   * Registers a library probed later (process discovery); its index is the next one. Call before
   * attaching its uprobes so its first events decode.
   */
  public void addLibrary(Path library) {
    addLibrary(TLS_LIBRARY, library);
  }

  /** As {@link #addLibrary(Path)} for a library of another kind ("boringssl"): the name's prefix. */
  public void addLibrary(String kind, Path library) {
    libraryNames.add(kind + " " + library);
  }

  /**
   * Decodes a record. The segment is only read during this call (the payload is copied).
   *
   * @throws MalformedEventException when the record is short, its lengths disagree or an enum is
   *     out of range
   */
  public RawEvent decode(MemorySegment record) throws MalformedEventException {
    long size = record.byteSize();
    if (size < EventLayout.HEADER_SIZE) {
      throw new MalformedEventException("record of " + size + " bytes, header needs " + EventLayout.HEADER_SIZE);
    }
    int kind = record.get(U32, EventLayout.KIND);
    long pid = Integer.toUnsignedLong(record.get(U32, EventLayout.PID));
    int fd = record.get(U32, EventLayout.FD);
    long connStart = record.get(U64, EventLayout.CONN_START_NS);
    long ktime = record.get(U64, EventLayout.KTIME_NS);
    // a connection bound to its socket late keeps the id it had without one
    boolean boundLate = (record.get(U32, EventLayout.FLAGS) & EventLayout.FLAG_BOUND_LATE) != 0;

    RawEvent.Builder event =
        RawEvent.newBuilder()
            .setHostId(hostId)
            .setConnectionId(ConnectionId.of(hostId, pid, boundLate ? -1 : fd, connStart))
            .setConnectionStartNs(connStart)
            .setProcess(processInfo(record, pid))
            .setKernelTimeNs(ktime)
            .setWallTimeNs(clock.toUnixNanos(ktime))
            .setTuple(tuple(record));
    if (fd >= 0) {
      event.setFd(fd);
    }
    long cgroupId = record.get(U64, EventLayout.CGROUP_ID);
    if (cgroupId != 0) {
      event.setWorkload(workloads.workload(cgroupId, pid));
    }
    switch (kind) {
      case EventLayout.KIND_DATA -> event.setData(data(record, size, library(record)));
      case EventLayout.KIND_OPEN ->
          event.setOpen(
              ConnectionOpen.newBuilder()
                  .setIsAccept(record.get(ValueLayout.JAVA_BYTE, EventLayout.ACCEPTED) != 0)
                  .setTlsVersion(tlsVersion(record.get(ValueLayout.JAVA_BYTE, EventLayout.TLS_MINOR))));
      case EventLayout.KIND_CLOSE ->
          event.setClose(
              ConnectionClose.newBuilder()
                  .setBytesRead(record.get(U64, EventLayout.BYTES_READ))
                  .setBytesWritten(record.get(U64, EventLayout.BYTES_WRITTEN)));
      case EventLayout.KIND_HANDSHAKE -> event.setHandshake(handshake(record, size));
      default -> throw new MalformedEventException("unknown event kind " + kind);
    }
    return event.build();
  }

  private static TlsHandshake handshake(MemorySegment record, long size) throws MalformedEventException {
    long dataLen = Integer.toUnsignedLong(record.get(U32, EventLayout.DATA_LEN));
    if (dataLen != EventLayout.HANDSHAKE_SIZE || EventLayout.HEADER_SIZE + dataLen > size) {
      throw new MalformedEventException("handshake record data_len " + dataLen + " in a record of " + size + " bytes");
    }
    int flags = record.get(U32, EventLayout.HEADER_SIZE + EventLayout.HANDSHAKE_FLAGS);
    TlsHandshake.Builder handshake = TlsHandshake.newBuilder()
        .setDurationNs(record.get(U64, EventLayout.HEADER_SIZE + EventLayout.HANDSHAKE_DURATION_NS))
        .setTlsVersion(record.get(U32, EventLayout.HEADER_SIZE + EventLayout.HANDSHAKE_VERSION))
        .setImplicit((flags & EventLayout.HS_IMPLICIT) != 0);
    if ((flags & EventLayout.HS_RESUMED_KNOWN) != 0) {
      handshake.setResumed((flags & EventLayout.HS_RESUMED) != 0);
    }
    return handshake.build();
  }

  /** 0x03nn from the minor byte the kernel keeps; 0 stays unknown. */
  private static int tlsVersion(byte minor) {
    return minor == 0 ? 0 : 0x0300 | Byte.toUnsignedInt(minor);
  }

  private String library(MemorySegment record) throws MalformedEventException {
    int index = Short.toUnsignedInt(record.get(U16, EventLayout.LIBRARY));
    if (index >= EventLayout.GO_LIBRARY_BASE) {
      String go = goNames.get(index);
      if (go == null) {
        throw new MalformedEventException("Go binary index " + (index - EventLayout.GO_LIBRARY_BASE) + " not probed");
      }
      goDataEvents.increment();
      return go;
    }
    if (index >= libraryNames.size()) {
      throw new MalformedEventException("library index " + index + " of " + libraryNames.size() + " probed");
    }
    return libraryNames.get(index);
  }

  private static TlsData data(MemorySegment record, long size, String library) throws MalformedEventException {
    long dataLen = Integer.toUnsignedLong(record.get(U32, EventLayout.DATA_LEN));
    if (dataLen > EventLayout.MAX_CHUNK || EventLayout.HEADER_SIZE + dataLen > size) {
      throw new MalformedEventException("data_len " + dataLen + " does not fit a record of " + size + " bytes");
    }
    long callLen = Integer.toUnsignedLong(record.get(U32, EventLayout.CALL_LEN));
    long chunkOffset = Integer.toUnsignedLong(record.get(U32, EventLayout.CHUNK_OFFSET));
    if (chunkOffset + dataLen > callLen) {
      throw new MalformedEventException(
          "chunk at " + chunkOffset + "+" + dataLen + " beyond call length " + callLen);
    }
    int flags = record.get(U32, EventLayout.FLAGS);
    byte[] payload = record.asSlice(EventLayout.HEADER_SIZE, dataLen).toArray(ValueLayout.JAVA_BYTE);
    return TlsData.newBuilder()
        .setDirection(direction(record.get(ValueLayout.JAVA_BYTE, EventLayout.DIRECTION)))
        .setFunction(function(record.get(ValueLayout.JAVA_BYTE, EventLayout.FUNCTION)))
        .setOffset(record.get(U64, EventLayout.OFFSET))
        .setOriginalLength((int) callLen)
        .setChunkOffset((int) chunkOffset)
        .setTruncated((flags & (EventLayout.FLAG_TRUNCATED | EventLayout.FLAG_READ_FAULT)) != 0)
        // the array is fresh and never touched again: wrap instead of copying a second time
        .setPayload(UnsafeByteOperations.unsafeWrap(payload))
        .setTlsLibrary(library)
        .build();
  }

  private static Direction direction(byte value) throws MalformedEventException {
    return switch (value) {
      case 1 -> Direction.READ;
      case 2 -> Direction.WRITE;
      default -> throw new MalformedEventException("unknown direction " + value);
    };
  }

  private static TlsFunction function(byte value) throws MalformedEventException {
    return switch (value) {
      case 1 -> TlsFunction.SSL_READ;
      case 2 -> TlsFunction.SSL_WRITE;
      case 3 -> TlsFunction.SSL_READ_EX;
      case 4 -> TlsFunction.SSL_WRITE_EX;
      default -> throw new MalformedEventException("unknown TLS function " + value);
    };
  }

  private static ProcessInfo processInfo(MemorySegment record, long pid) {
    return ProcessInfo.newBuilder()
        .setPid((int) pid)
        .setTid(record.get(U32, EventLayout.TID))
        .setUid(record.get(U32, EventLayout.UID))
        .setComm(comm(record))
        .build();
  }

  /** The task name up to its NUL; invalid UTF-8 becomes U+FFFD so the proto string stays valid. */
  private static String comm(MemorySegment record) {
    int length = 0;
    while (length < EventLayout.COMM_LEN
        && record.get(ValueLayout.JAVA_BYTE, EventLayout.COMM + length) != 0) {
      length++;
    }
    byte[] bytes = record.asSlice(EventLayout.COMM, length).toArray(ValueLayout.JAVA_BYTE);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static Tuple tuple(MemorySegment record) {
    int family = Short.toUnsignedInt(record.get(U16, EventLayout.FAMILY));
    int addrLen;
    AddressFamily protoFamily;
    switch (family) {
      case 0 -> {
        return Tuple.getDefaultInstance();
      }
      case EventLayout.AF_INET -> {
        addrLen = 4;
        protoFamily = AddressFamily.INET;
      }
      case EventLayout.AF_INET6 -> {
        if (v4Mapped(record, EventLayout.SADDR) && v4Mapped(record, EventLayout.DADDR)) {
          // a dual-stack socket (Java, Go) talking IPv4: report what is on the wire, as its
          // AF_INET peer sees it
          return Tuple.newBuilder()
              .setFamily(AddressFamily.INET)
              .setSrcAddr(address(record, EventLayout.SADDR + V4_MAPPED_PREFIX, 4))
              .setSrcPort(Short.toUnsignedInt(record.get(U16, EventLayout.SPORT)))
              .setDstAddr(address(record, EventLayout.DADDR + V4_MAPPED_PREFIX, 4))
              .setDstPort(Short.toUnsignedInt(record.get(U16, EventLayout.DPORT)))
              .build();
        }
        addrLen = 16;
        protoFamily = AddressFamily.INET6;
      }
      default -> {
        // e.g. TLS over a unix socket: no IP tuple to report
        return Tuple.getDefaultInstance();
      }
    }
    return Tuple.newBuilder()
        .setFamily(protoFamily)
        .setSrcAddr(address(record, EventLayout.SADDR, addrLen))
        .setSrcPort(Short.toUnsignedInt(record.get(U16, EventLayout.SPORT)))
        .setDstAddr(address(record, EventLayout.DADDR, addrLen))
        .setDstPort(Short.toUnsignedInt(record.get(U16, EventLayout.DPORT)))
        .build();
  }

  /** Bytes before the IPv4 address in an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
  private static final int V4_MAPPED_PREFIX = 12;

  private static boolean v4Mapped(MemorySegment record, long offset) {
    for (int i = 0; i < 10; i++) {
      if (record.get(ValueLayout.JAVA_BYTE, offset + i) != 0) {
        return false;
      }
    }
    return record.get(ValueLayout.JAVA_BYTE, offset + 10) == (byte) 0xff
        && record.get(ValueLayout.JAVA_BYTE, offset + 11) == (byte) 0xff;
  }

  private static ByteString address(MemorySegment record, long offset, int length) {
    return UnsafeByteOperations.unsafeWrap(record.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
  }
}
