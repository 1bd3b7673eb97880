package io.ecapture.kafka.collector.packets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.ecapture.kafka.bpf.BpfObjects;
import io.ecapture.kafka.collector.decode.MonotonicClock;
import io.ecapture.kafka.collector.libbpf.BpfObject;
import io.ecapture.kafka.collector.libbpf.LibBpf;
import io.ecapture.kafka.collector.libbpf.LibBpfException;
import io.ecapture.kafka.collector.libbpf.PerCpuCounters;
import io.ecapture.kafka.collector.libbpf.RingBufferReader;
import io.ecapture.kafka.collector.libbpf.TcFilter;
import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.PacketRecord;
import io.ecapture.kafka.proto.capture.Tuple;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The packets module running: packets.bpf.o loaded, its classifiers on the chosen interfaces'
 * clsact hooks (egress and ingress; egress only on loopback, where every frame passes both), one
 * thread draining its ring buffer into an {@link Output}.
 *
 * <p>TC filters outlive the process that attached them, so they carry a fixed handle and priority
 * ({@link #TC_HANDLE}, {@link #TC_PRIORITY}): {@link #start} first detaches every filter with that
 * pair on every interface of this network namespace (what a collector that died, even by SIGKILL,
 * left), and {@link #close} detaches its own. The clsact qdisc is left in place (other tools may
 * use it; an empty one costs nothing). One collector per network namespace may run the module.
 *
 * <p>The collector tells it about the connections its TLS probes decode ({@link #learn}): their
 * 4-tuples go to the kernel's flow map, their server ports to the port list.
 */
public final class PacketCapture implements AutoCloseable {
  /** The handle of our filters: "EC4" (eCapture). */
  public static final int TC_HANDLE = 0xEC4;
  /** The priority of our filters. */
  public static final int TC_PRIORITY = 0xEC4;
  static final String RING_MAP = "packets";
  static final String SCRATCH_MAP = "packet_scratch";
  static final String IFACES_MAP = "packet_ifaces";
  static final String PORTS_MAP = "packet_ports";
  static final String FLOWS_MAP = "packet_flows";
  static final String SETTINGS_MAP = "packet_settings";
  static final String COUNTS_MAP = "packet_counts";
  static final String INGRESS_PROGRAM = "packets_ingress";
  static final String EGRESS_PROGRAM = "packets_egress";
  /** sizeof(struct packet_flow). */
  static final int FLOW_KEY_SIZE = 40;
  private static final int POLL_MS = 100;
  private static final long WARN_EVERY_NS = 10_000_000_000L;

  /** Where decoded frames go, on the packets thread (must not block for long). */
  public interface Output {
    void publish(PacketRecord record);

    /** Records delivered, when the output knows. */
    default long sent() {
      return 0;
    }

    /** Records that could not be delivered, when the output knows. */
    default long sendErrors() {
      return 0;
    }
  }

  /** A classifier this capture attached. */
  public record Attached(String name, int index, TcFilter.Hook hook, int programId) {}

  private final PacketsConfig config;
  private final BpfObject object;
  private final Output output;
  private final Consumer<String> warnings;
  private final List<Attached> attached = new ArrayList<>();
  private final Set<Integer> ports = ConcurrentHashMap.newKeySet();
  private final LongAdder malformed = new LongAdder();
  private final LongAdder learnedFlows = new LongAdder();
  private PerCpuCounters counters;
  private long[] frozenCounters;
  private RingBufferReader ringBuffer;
  private PacketDecoder decoder;
  private int leftoversRemoved;
  private long lastWarningNs = System.nanoTime() - WARN_EVERY_NS;
  private volatile boolean closed;

  private PacketCapture(PacketsConfig config, BpfObject object, Output output, Consumer<String> warnings) {
    this.config = config;
    this.object = object;
    this.output = output;
    this.warnings = warnings;
  }

  /**
   * Loads the classifiers, removes leftover ones, attaches to {@code config.interfaces()} and
   * starts draining.
   *
   * @param info told what was attached and what leftovers were removed
   * @param warnings told (at most every 10 s) of malformed records
   * @throws IllegalArgumentException for an unknown interface
   * @throws LibBpfException when the kernel refuses (not root, verifier)
   */
  public static PacketCapture start(PacketsConfig config, String hostId, MonotonicClock clock, Output output,
      Consumer<String> info, Consumer<String> warnings) {
    List<NetInterface> interfaces = NetInterface.resolve(config.interfaces());
    if (interfaces.isEmpty()) {
      throw new IllegalArgumentException("no interface to capture packets on (" + config.interfaces() + ")");
    }
    BpfObject object = BpfObject.openExtracted("ecapture-bpf", BpfObjects.PACKETS::extract);
    PacketCapture capture = new PacketCapture(config, object, output, warnings);
    try {
      capture.load(interfaces, hostId, clock, info);
      return capture;
    } catch (RuntimeException e) {
      capture.close();
      throw e;
    }
  }

  private void load(List<NetInterface> interfaces, String hostId, MonotonicClock clock, Consumer<String> info) {
    object.setMaxEntries(RING_MAP, config.ringBufferBytes());
    int cpus = LibBpf.numPossibleCpus();
    object.setMaxEntries(SCRATCH_MAP, Math.max(1, cpus)); // one 64 KiB slot per CPU, not the object's 1024
    object.load();
    counters = new PerCpuCounters(object.mapFd(COUNTS_MAP));
    setting(0, config.snapLength());
    setting(1, (config.ports().isEmpty() && !config.learnPorts() ? 0 : 1) | (config.matchFlows() ? 2 : 0));
    for (int port : config.ports()) {
      addPort(port);
    }
    Map<Integer, NetInterface> byIndex = new LinkedHashMap<>();
    for (NetInterface iface : interfaces) {
      byIndex.put(iface.index(), iface);
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment key = arena.allocate(JAVA_INT);
        key.set(JAVA_INT, 0, iface.index());
        MemorySegment value = arena.allocate(8);
        value.set(JAVA_INT, 0, iface.l2Length());
        update(IFACES_MAP, key, value);
      }
    }
    decoder = new PacketDecoder(hostId, clock, byIndex);
    // a record whose handling threw (the output refused it) is counted with the malformed ones
    ringBuffer = RingBufferReader.builder(object.mapFd(RING_MAP), this::onRecord).thread("collector-packets")
        .pollMs(POLL_MS).onHandlerFailure(failure -> malformed.increment())
        .onPollFailure(failure -> warnings.accept("packets: ring buffer poll failed: " + failure.getMessage()))
        .build();
    leftoversRemoved = removeLeftovers(info);
    int ingress = object.programFd(INGRESS_PROGRAM);
    int egress = object.programFd(EGRESS_PROGRAM);
    for (NetInterface iface : interfaces) {
      TcFilter.ensureClsact(iface.index());
      attached.add(new Attached(iface.name(), iface.index(), TcFilter.Hook.EGRESS,
          TcFilter.attach(iface.index(), TcFilter.Hook.EGRESS, egress, TC_HANDLE, TC_PRIORITY)));
      if (!iface.loopback()) {
        attached.add(new Attached(iface.name(), iface.index(), TcFilter.Hook.INGRESS,
            TcFilter.attach(iface.index(), TcFilter.Hook.INGRESS, ingress, TC_HANDLE, TC_PRIORITY)));
      }
    }
    info.accept("packets: capturing TLS flows on " + attached.stream()
        .map(a -> a.name() + " " + a.hook().name().toLowerCase()).toList()
        + ", ports " + new TreeSet<>(ports) + (config.learnPorts() ? " and learned server ports" : "")
        + (config.matchFlows() ? ", and the flows the TLS probes decode" : "")
        + ", snap length " + config.snapLength());
    ringBuffer.start();
  }

  /**
   * Detaches every filter with our handle and priority from every interface of this network
   * namespace: what a collector that ended without {@link #close} left.
   *
   * @return how many were removed
   */
  public static int removeLeftovers(Consumer<String> info) {
    int removed = 0;
    for (NetInterface iface : NetInterface.all().values()) {
      for (TcFilter.Hook hook : TcFilter.Hook.values()) {
        OptionalInt program = TcFilter.query(iface.index(), hook, TC_HANDLE, TC_PRIORITY);
        if (program.isPresent() && TcFilter.detach(iface.index(), hook, TC_HANDLE, TC_PRIORITY)) {
          removed++;
          info.accept("packets: removed a leftover filter (program id " + program.getAsInt() + ") from "
              + iface.name() + " " + hook.name().toLowerCase() + ": an earlier collector ended without detaching it");
        }
      }
    }
    return removed;
  }

  /**
   * A connection the TLS probes decoded: its 4-tuple (both directions) joins the kernel's flow
   * map and, with {@link PacketsConfig#learnPorts()}, its server port the port list. Cheap to call
   * again; a tuple without addresses is ignored.
   *
   * @param accepted the local end accepted it (server side): then the local port is the server's
   */
  public void learn(Tuple tuple, boolean accepted) {
    if (closed) {
      return;
    }
    int serverPort = accepted ? tuple.getSrcPort() : tuple.getDstPort();
    if (config.learnPorts() && serverPort > 0 && !ports.contains(serverPort) && ports.size() < PacketsConfig.MAX_PORTS) {
      addPort(serverPort);
    }
    learnFlow(tuple);
  }

  /** Like {@link #learn} for a connection whose side is unknown: only its 4-tuple. */
  public void learnFlow(Tuple tuple) {
    if (closed) {
      return;
    }
    if (config.matchFlows()) {
      byte[][] keys = flowKeys(tuple);
      if (keys.length > 0) {
        for (byte[] key : keys) {
          try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(1);
            update(FLOWS_MAP, arena.allocateFrom(JAVA_BYTE, key), value);
          }
        }
        learnedFlows.increment();
      }
    }
  }

  /** A decoded connection ended: its 4-tuple leaves the flow map. */
  public void forget(Tuple tuple) {
    if (closed || !config.matchFlows()) {
      return;
    }
    for (byte[] key : flowKeys(tuple)) {
      try (Arena arena = Arena.ofConfined()) {
        LibBpf.mapDeleteElem(object.mapFd(FLOWS_MAP), arena.allocateFrom(JAVA_BYTE, key));
      }
    }
  }

  /** The two struct packet_flow keys (as sent, as received) of a socket's tuple; none without addresses. */
  static byte[][] flowKeys(Tuple tuple) {
    byte[] src = tuple.getSrcAddr().toByteArray();
    byte[] dst = tuple.getDstAddr().toByteArray();
    int family;
    if (src.length == 4 && dst.length == 4) {
      family = 4;
    } else if (src.length == 16 && dst.length == 16) {
      if (v4Mapped(src) && v4Mapped(dst)) { // a dual-stack socket talking IPv4: its frames are IPv4
        src = java.util.Arrays.copyOfRange(src, 12, 16);
        dst = java.util.Arrays.copyOfRange(dst, 12, 16);
        family = 4;
      } else {
        family = 6;
      }
    } else {
      return new byte[0][];
    }
    return new byte[][] {
      flowKey(src, tuple.getSrcPort(), dst, tuple.getDstPort(), family),
      flowKey(dst, tuple.getDstPort(), src, tuple.getSrcPort(), family)
    };
  }

  private static byte[] flowKey(byte[] saddr, int sport, byte[] daddr, int dport, int family) {
    byte[] key = new byte[FLOW_KEY_SIZE];
    System.arraycopy(saddr, 0, key, 0, saddr.length);
    System.arraycopy(daddr, 0, key, 16, daddr.length);
    MemorySegment segment = MemorySegment.ofArray(key);
    segment.set(JAVA_SHORT.withOrder(java.nio.ByteOrder.nativeOrder()).withByteAlignment(1), 32, (short) sport);
    segment.set(JAVA_SHORT.withOrder(java.nio.ByteOrder.nativeOrder()).withByteAlignment(1), 34, (short) dport);
    segment.set(JAVA_INT.withOrder(java.nio.ByteOrder.nativeOrder()).withByteAlignment(1), 36, family);
    return key;
  }

  private static boolean v4Mapped(byte[] address) {
    for (int i = 0; i < 10; i++) {
      if (address[i] != 0) {
        return false;
      }
    }
    return address[10] == (byte) 0xff && address[11] == (byte) 0xff;
  }

  private void addPort(int port) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(JAVA_SHORT);
      key.set(JAVA_SHORT, 0, (short) port);
      update(PORTS_MAP, key, arena.allocate(1));
    }
    ports.add(port);
  }

  private void setting(int index, int value) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(JAVA_INT);
      key.set(JAVA_INT, 0, index);
      MemorySegment v = arena.allocate(JAVA_INT);
      v.set(JAVA_INT, 0, value);
      update(SETTINGS_MAP, key, v);
    }
  }

  private void update(String map, MemorySegment key, MemorySegment value) {
    int rc = LibBpf.mapUpdateElem(object.mapFd(map), key, value, 0);
    if (rc < 0) {
      throw new LibBpfException("bpf_map_update_elem(" + map + ")", -rc);
    }
  }

  // ring-buffer upcall: never throws (RingBuffer counts what does)
  private void onRecord(MemorySegment record) {
    PacketRecord packet;
    try {
      packet = decoder.decode(record);
    } catch (PacketDecoder.MalformedPacketException e) {
      malformed.increment();
      long now = System.nanoTime();
      if (now - lastWarningNs >= WARN_EVERY_NS) {
        lastWarningNs = now;
        warnings.accept("packets: malformed ring-buffer record skipped (further ones counted): " + e.getMessage());
      }
      return;
    }
    output.publish(packet);
  }

  /** The classifiers attached now. */
  public List<Attached> attached() {
    return List.copyOf(attached);
  }

  /** What {@code /status} shows under {@code packets}. */
  public synchronized PacketsStatus status() {
    return new PacketsStatus(
        attached.stream().map(a -> new PacketsStatus.Hook(a.name(), a.index(), a.hook().name().toLowerCase(), a.programId()))
            .toList(),
        List.copyOf(new TreeSet<>(ports)), config.snapLength(), config.matchFlows(),
        counter(0), counter(1), counter(2), counter(3), counter(4), counter(5),
        malformed.sum(), output.sent(), output.sendErrors(), learnedFlows.sum(), leftoversRemoved);
  }

  private long counter(int index) {
    if (frozenCounters != null) {
      return frozenCounters[index];
    }
    if (counters == null) {
      return 0;
    }
    try {
      return counters.sum(index);
    } catch (LibBpfException e) {
      return -1;
    }
  }

  /** Stops draining, detaches the classifiers, drains what the kernel still holds, unloads. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (ringBuffer != null) {
      ringBuffer.stop();
    }
    for (Attached a : attached) {
      try {
        TcFilter.detach(a.index(), a.hook(), TC_HANDLE, TC_PRIORITY);
      } catch (RuntimeException e) {
        warnings.accept("packets: cannot detach from " + a.name() + " " + a.hook() + ": " + e.getMessage());
      }
    }
    synchronized (this) {
      if (counters != null) {
        long[] last = new long[6];
        for (int i = 0; i < last.length; i++) {
          last[i] = counter(i);
        }
        frozenCounters = last;
      }
    }
    if (ringBuffer != null) {
      ringBuffer.close(); // drains what the kernel still holds, then frees
    }
    object.close();
  }
}
