package io.ecapture.kafka.collector.decode;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.DatabaseQuery;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.ProcessInfo;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.ShellCommand;
import io.ecapture.kafka.proto.capture.TlsData;
import io.ecapture.kafka.proto.capture.TlsFunction;
import io.ecapture.kafka.proto.capture.Tuple;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Records of the modules ring buffer (modules.h struct module_event + payload) to {@link RawEvent}s:
 * shell lines as {@link ShellCommand}, server queries as {@link DatabaseQuery}, GnuTLS/NSS plaintext
 * as {@link TlsData} (like OpenSSL's, with the library named). Offsets: {@link ModuleEventLayout}.
 */
public final class ModuleEventDecoder {
  static final int SHELL = 1;
  static final int QUERY = 2;
  static final int DATA = 3;
  static final int KEY = 4;
  // modules.h struct module_key
  static final int KEY_LABEL = 0;
  static final int KEY_LABEL_LEN = 64;
  static final int KEY_RANDOM = 64;
  static final int KEY_RANDOM_LEN = 32;
  static final int KEY_SECRET = 96;
  static final int KEY_SECRET_LEN = 64;
  static final int KEY_SIZE = 160;
  static final int FLAG_TRUNCATED = 1;
  static final int FLAG_NO_SOCKET = 2;
  static final int FLAG_READ_FAULT = 4;
  static final int FLAG_HAS_RESULT = 8;

  private record Target(String kind, String binary, String function) {}

  private final String hostId;
  private final MonotonicClock clock;
  private final WorkloadSource workloads;
  private final Map<Integer, Target> targets = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  public ModuleEventDecoder(String hostId, MonotonicClock clock, WorkloadSource workloads) {
    this.hostId = hostId;
    this.clock = clock;
    this.workloads = workloads;
  }

  /** Names the probed file of cookie {@code index}: its module ({@code kind}), path and function. */
  public void addTarget(int index, String kind, String binary, String function) {
    targets.put(index, new Target(kind, binary, function));
  }

  /** Events decoded for module {@code kind}. */
  public long events(String kind) {
    LongAdder count = counts.get(kind);
    return count == null ? 0 : count.sum();
  }

  /**
   * The NSS key-log line of a key record ({@code LABEL hex(client random) hex(secret)}, as GnuTLS
   * writes to SSLKEYLOGFILE), or null when {@code record} is not one (or is cut short or garbled).
   */
  public String keyLogLine(MemorySegment record) {
    if (record.byteSize() < ModuleEventLayout.HEADER_SIZE + KEY_SIZE
        || record.get(ModuleEventLayout.U32, ModuleEventLayout.KIND) != KEY) {
      return null;
    }
    int secretLen = record.get(ModuleEventLayout.U32, ModuleEventLayout.CALL_LEN);
    int flags = Byte.toUnsignedInt(record.get(ValueLayout.JAVA_BYTE, ModuleEventLayout.FLAGS));
    String label = cString(record, ModuleEventLayout.HEADER_SIZE + KEY_LABEL, KEY_LABEL_LEN);
    if (secretLen <= 0 || secretLen > KEY_SECRET_LEN || (flags & FLAG_TRUNCATED) != 0
        || !label.matches("[A-Z0-9_]{1,63}")) {
      return null;
    }
    Target target = targets.get(Short.toUnsignedInt(record.get(ModuleEventLayout.U16, ModuleEventLayout.TARGET)));
    if (target != null) {
      counts.computeIfAbsent(target.kind() + "-keylog", k -> new LongAdder()).increment();
    }
    java.util.HexFormat hex = java.util.HexFormat.of();
    return label + " "
        + hex.formatHex(record.asSlice(ModuleEventLayout.HEADER_SIZE + KEY_RANDOM, KEY_RANDOM_LEN).toArray(ValueLayout.JAVA_BYTE))
        + " " + hex.formatHex(record.asSlice(ModuleEventLayout.HEADER_SIZE + KEY_SECRET, secretLen).toArray(ValueLayout.JAVA_BYTE));
  }

  /**
   * One record as an event, or null for a record of an unknown kind or target.
   *
   * @throws IllegalArgumentException when the record is shorter than its header says
   */
  public RawEvent decode(MemorySegment record) {
    if (record.byteSize() < ModuleEventLayout.HEADER_SIZE) {
      throw new IllegalArgumentException("module record of " + record.byteSize() + " bytes");
    }
    int kind = record.get(ModuleEventLayout.U32, ModuleEventLayout.KIND);
    int dataLen = record.get(ModuleEventLayout.U32, ModuleEventLayout.DATA_LEN);
    if (dataLen < 0 || ModuleEventLayout.HEADER_SIZE + (long) dataLen > record.byteSize()) {
      throw new IllegalArgumentException("module record payload " + dataLen + " past its end");
    }
    Target target = targets.get(Short.toUnsignedInt(record.get(ModuleEventLayout.U16, ModuleEventLayout.TARGET)));
    if (target == null) {
      return null;
    }
    byte[] payload = record.asSlice(ModuleEventLayout.HEADER_SIZE, dataLen).toArray(ValueLayout.JAVA_BYTE);
    int pid = record.get(ModuleEventLayout.U32, ModuleEventLayout.PID);
    int flags = Byte.toUnsignedInt(record.get(ValueLayout.JAVA_BYTE, ModuleEventLayout.FLAGS));
    long ktime = record.get(ModuleEventLayout.U64, ModuleEventLayout.KTIME);
    long cgroup = record.get(ModuleEventLayout.U64, ModuleEventLayout.CGROUP_ID);
    RawEvent.Builder event = RawEvent.newBuilder()
        .setHostId(hostId)
        .setProcess(ProcessInfo.newBuilder()
            .setPid(pid)
            .setTid(record.get(ModuleEventLayout.U32, ModuleEventLayout.TID))
            .setUid(record.get(ModuleEventLayout.U32, ModuleEventLayout.UID))
            .setComm(cString(record, ModuleEventLayout.COMM, 16)))
        .setKernelTimeNs(ktime)
        .setWallTimeNs(clock.toUnixNanos(ktime));
    if (cgroup != 0) {
      event.setWorkload(workloads.workload(cgroup, Integer.toUnsignedLong(pid)));
    }
    boolean truncated = (flags & (FLAG_TRUNCATED | FLAG_READ_FAULT)) != 0;
    switch (kind) {
      case SHELL -> {
        ShellCommand.Builder shell = ShellCommand.newBuilder()
            .setShell(target.kind())
            .setLine(stripNewline(new String(payload, StandardCharsets.UTF_8)))
            .setTty(cString(record, ModuleEventLayout.TTY, 32))
            .setTruncated(truncated)
            .setBinary(target.binary())
            .setDurationNs(record.get(ModuleEventLayout.U64, ModuleEventLayout.DURATION));
        if ((flags & FLAG_HAS_RESULT) != 0) {
          shell.setReturnCode((int) record.get(ModuleEventLayout.U64, ModuleEventLayout.RETVAL));
        }
        event.setConnectionId(hostId + "/" + Integer.toUnsignedLong(pid) + "/-1/0").setFd(-1).setShell(shell);
      }
      case QUERY -> {
        DatabaseQuery.Builder query = DatabaseQuery.newBuilder()
            .setServer(target.kind())
            .setQuery(new String(payload, StandardCharsets.UTF_8))
            .setCommand(Byte.toUnsignedInt(record.get(ValueLayout.JAVA_BYTE, ModuleEventLayout.COMMAND)))
            .setDurationNs(record.get(ModuleEventLayout.U64, ModuleEventLayout.DURATION))
            .setTruncated(truncated)
            .setFunction(target.function())
            .setBinary(target.binary());
        if ((flags & FLAG_HAS_RESULT) != 0) {
          query.setResult(record.get(ModuleEventLayout.U64, ModuleEventLayout.RETVAL));
        }
        event.setConnectionId(hostId + "/" + Integer.toUnsignedLong(pid) + "/-1/0").setFd(-1).setQuery(query);
      }
      case DATA -> {
        int fd = record.get(ModuleEventLayout.U32, ModuleEventLayout.FD);
        long start = record.get(ModuleEventLayout.U64, ModuleEventLayout.CONN_START);
        int direction = Byte.toUnsignedInt(record.get(ValueLayout.JAVA_BYTE, ModuleEventLayout.DIRECTION));
        event.setConnectionId(hostId + "/" + Integer.toUnsignedLong(pid) + "/" + fd + "/" + start)
            .setFd(fd)
            .setConnectionStartNs(start)
            .setData(TlsData.newBuilder()
                .setDirection(direction == 2 ? Direction.WRITE : Direction.READ)
                .setOffset(record.get(ModuleEventLayout.U64, ModuleEventLayout.OFFSET))
                .setPayload(ByteString.copyFrom(payload))
                .setOriginalLength(record.get(ModuleEventLayout.U32, ModuleEventLayout.CALL_LEN))
                .setFunction(direction == 2 ? TlsFunction.SSL_WRITE : TlsFunction.SSL_READ)
                .setTlsLibrary(target.kind() + " " + target.binary() + ":" + target.function())
                .setTruncated(truncated));
        if ((flags & FLAG_NO_SOCKET) == 0) {
          event.setTuple(tuple(record));
        }
      }
      default -> {
        return null;
      }
    }
    counts.computeIfAbsent(target.kind(), k -> new LongAdder()).increment();
    return event.build();
  }

  private static Tuple tuple(MemorySegment record) {
    int family = Short.toUnsignedInt(record.get(ModuleEventLayout.U16, ModuleEventLayout.FAMILY));
    int length = family == 2 ? 4 : family == 10 ? 16 : 0;
    Tuple.Builder tuple = Tuple.newBuilder()
        .setFamily(family == 2 ? AddressFamily.INET : family == 10 ? AddressFamily.INET6 : AddressFamily.FAMILY_UNKNOWN)
        .setSrcPort(Short.toUnsignedInt(record.get(ModuleEventLayout.U16, ModuleEventLayout.SPORT)))
        .setDstPort(Short.toUnsignedInt(record.get(ModuleEventLayout.U16, ModuleEventLayout.DPORT)));
    if (length > 0) {
      tuple.setSrcAddr(ByteString.copyFrom(record.asSlice(ModuleEventLayout.SADDR, length).toArray(ValueLayout.JAVA_BYTE)))
          .setDstAddr(ByteString.copyFrom(record.asSlice(ModuleEventLayout.DADDR, length).toArray(ValueLayout.JAVA_BYTE)));
    }
    return tuple.build();
  }

  private static String stripNewline(String line) {
    return line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
  }

  private static String cString(MemorySegment record, long offset, int max) {
    byte[] bytes = record.asSlice(offset, max).toArray(ValueLayout.JAVA_BYTE);
    int end = 0;
    while (end < bytes.length && bytes[end] != 0) {
      end++;
    }
    return new String(bytes, 0, end, StandardCharsets.UTF_8);
  }
}
