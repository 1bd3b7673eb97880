package io.ecapture.kafka.collector.probe.gotls;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.ecapture.kafka.bpf.BpfObjects;
import io.ecapture.kafka.collector.libbpf.BpfLink;
import io.ecapture.kafka.collector.libbpf.BpfObject;
import io.ecapture.kafka.collector.libbpf.LibBpf;
import io.ecapture.kafka.collector.libbpf.LibBpfException;
import io.ecapture.kafka.collector.probe.TlsProbes;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Go crypto/tls capture module: finds Go executables (given ones and those processes run),
 * reads their function table and Go version ({@link GoBinary}), and attaches gotls.bpf.c's
 * uprobes: {@code (*Conn).writeRecordLocked} and {@code (*Config).writeKeyLog} at entry, {@code
 * (*Conn).Read} at entry and at each of its RET instructions ({@link X86Instructions}), never a
 * uretprobe. Its BPF object shares tlscapture's ring buffer and filter maps, so its records reach
 * the same decoder and sink. Lifecycle: {@link #start}, {@link #rescan} (also on a timer, {@link
 * #startRescans}), {@link #status}, {@link #close}.
 */
public final class GoTlsModule implements AutoCloseable {
  public static final String WRITE_RECORD = "crypto/tls.(*Conn).writeRecordLocked";
  public static final String READ = "crypto/tls.(*Conn).Read";
  public static final String WRITE_KEYLOG = "crypto/tls.(*Config).writeKeyLog";
  static final Set<String> FUNCTIONS = Set.of(WRITE_RECORD, READ, WRITE_KEYLOG);
  /** tls_event.library of binary index i (gotls.h GO_LIBRARY_BASE). */
  public static final int GO_LIBRARY_BASE = 0x8000;
  public static final int MAX_GO_BINARIES = 256;
  static final String OFFSETS_MAP = "go_offsets";
  /** gotls.h struct go_offsets: size and member offsets (GoTlsLayoutTest checks them against BTF). */
  static final int OFFSETS_SIZE = 24;
  static final int OFF_SUPPORTED = 0;
  static final int OFF_CONN_CONN_DATA = 4;
  static final int OFF_CONN_IS_CLIENT = 8;
  static final int OFF_TCPCONN_FD = 12;
  static final int OFF_NETFD_SYSFD = 16;
  static final int OFF_CONN_VERS = 20;
  /** Maps of tlscapture.bpf.o this object uses as its own (same definitions in gotls.bpf.c). */
  static final List<String> SHARED_MAPS = List.of("events", "drop_counts", "capture_filter", "filter_pids",
      "filter_uids", "filter_comms", "filter_cgroups", "consumer_sleeping");

  private static final Logger LOG = LoggerFactory.getLogger(GoTlsModule.class);

  /** Names a Go binary's events: (library index, name) before its probes attach. */
  @FunctionalInterface
  public interface Naming {
    void name(int libraryIndex, String name);
  }

  /**
   * One Go executable as {@code /status} lists it under {@code gotls.binaries}.
   *
   * @param path the file probed
   * @param goVersion from its build information ("" unknown)
   * @param stripped no .symtab: functions found through .gopclntab alone
   * @param offsets where the tls.Conn → socket offsets came from, or why there are none
   * @param attached what was probed: function (entry) and "N RET" for Read
   * @param error why it was not (fully) probed, "" when it was
   * @param origin {@code configured} or {@code discovered}
   * @param pids processes running it at the last scan (discovered ones)
   */
  @JsonPropertyOrder({"path", "goVersion", "stripped", "offsets", "attached", "error", "origin", "pids"})
  public record BinaryStatus(String path, String goVersion, boolean stripped, String offsets,
      List<String> attached, String error, String origin, List<Integer> pids) {}

  /** {@code /status}'s {@code gotls} object. */
  @JsonPropertyOrder({"enabled", "binaries"})
  public record Status(boolean enabled, List<BinaryStatus> binaries) {}

  private final BpfObject object;
  private final Naming naming;
  private final Consumer<String> info;
  private final Consumer<String> warn;
  private final Path proc;
  private final long ownPid = ProcessHandle.current().pid();
  private final List<BpfLink> links = new ArrayList<>();
  private final List<BinaryStatus> binaries = new CopyOnWriteArrayList<>();
  /** fileKey -> index in binaries, or -1 for a file that is not a Go executable. */
  private final Map<Object, Integer> examined = new HashMap<>();
  private ScheduledExecutorService rescanTimer;
  private boolean closed;

  private GoTlsModule(BpfObject object, Naming naming, Consumer<String> info, Consumer<String> warn, Path proc) {
    this.object = object;
    this.naming = naming;
    this.info = info;
    this.warn = warn;
    this.proc = proc;
  }

  /**
   * Loads gotls.bpf.o on {@code probes}' shared maps and probes {@code configured} binaries (a
   * configured file that is not a probeable Go binary is reported in the status, not fatal).
   *
   * @throws LibBpfException when the object cannot load
   */
  public static GoTlsModule start(TlsProbes probes, List<Path> configured, Naming naming, Consumer<String> info,
      Consumer<String> warn) {
    return start(probes, configured, naming, info, warn, Path.of("/proc"));
  }

  static GoTlsModule start(TlsProbes probes, List<Path> configured, Naming naming, Consumer<String> info,
      Consumer<String> warn, Path proc) {
    BpfObject object = BpfObject.openExtracted("ecapture-gotls", BpfObjects.GOTLS::extract);
    try {
      for (String map : SHARED_MAPS) {
        object.reuseMap(map, probes.sharedMapFd(map));
      }
      object.load();
      GoTlsModule module = new GoTlsModule(object, naming, info, warn, proc);
      module.links.add(object.attach("go_sock_set_state"));
      for (Path path : configured) {
        module.probe(path, "configured", List.of());
      }
      return module;
    } catch (RuntimeException e) {
      object.close();
      throw e;
    }
  }

  /**
   * Scans running processes' executables once for Go binaries not probed yet and probes them.
   *
   * @return the number of binaries newly probed
   */
  public synchronized int rescan() {
    if (closed) {
      return 0;
    }
    Map<Object, Path> found = new LinkedHashMap<>();
    Map<Object, Set<Integer>> pids = new HashMap<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc, p -> p.getFileName().toString().matches("\\d+"))) {
      for (Path entry : entries) {
        int pid = Integer.parseInt(entry.getFileName().toString());
        if (pid == ownPid) {
          continue;
        }
        Path exe = entry.resolve("exe");
        Object key;
        try {
          key = Files.readAttributes(exe, BasicFileAttributes.class).fileKey();
        } catch (IOException | SecurityException e) {
          continue; // kernel thread, gone, or not ours to read
        }
        if (key == null) {
          continue;
        }
        pids.computeIfAbsent(key, k -> new TreeSet<>()).add(pid);
        found.putIfAbsent(key, exe);
      }
    } catch (IOException e) {
      warn.accept("Go binary discovery: cannot list " + proc + ": " + e.getMessage());
      return 0;
    }
    int probed = 0;
    for (Map.Entry<Object, Path> candidate : found.entrySet()) {
      Integer known = examined.get(candidate.getKey());
      if (known != null) {
        if (known >= 0) {
          BinaryStatus old = binaries.get(known);
          if ("discovered".equals(old.origin())) {
            binaries.set(known, new BinaryStatus(old.path(), old.goVersion(), old.stripped(), old.offsets(),
                old.attached(), old.error(), old.origin(), List.copyOf(pids.get(candidate.getKey()))));
          }
        }
        continue;
      }
      Path exe = candidate.getValue();
      if (!GoBinary.isGoExecutable(exe)) {
        examined.put(candidate.getKey(), -1);
        continue;
      }
      Path shown = displayPath(exe);
      if (probe(shown, "discovered", List.copyOf(pids.get(candidate.getKey())))) {
        probed++;
      }
    }
    return probed;
  }

  /** The file behind /proc/PID/exe as the collector can open it (through the process's root). */
  private static Path displayPath(Path exe) {
    try {
      Path target = Files.readSymbolicLink(exe);
      Path viaRoot = exe.resolveSibling("root").resolve(target.toString().substring(1));
      Object want = Files.readAttributes(exe, BasicFileAttributes.class).fileKey();
      for (Path candidate : List.of(target, viaRoot)) {
        if (Files.isRegularFile(candidate)
            && want.equals(Files.readAttributes(candidate, BasicFileAttributes.class).fileKey())) {
          return candidate;
        }
      }
    } catch (IOException | RuntimeException e) {
      // keep the /proc path
    }
    return exe;
  }

  /** Reads and probes one binary; its outcome goes to the status. Returns whether it attached. */
  private synchronized boolean probe(Path path, String origin, List<Integer> pids) {
    Object key;
    try {
      key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      binaries.add(new BinaryStatus(path.toString(), "", false, "none", List.of(), "unreadable: " + e.getMessage(),
          origin, pids));
      return false;
    }
    if (key != null && examined.containsKey(key)) {
      return false;
    }
    GoBinary binary;
    try {
      binary = GoBinary.read(path, FUNCTIONS);
    } catch (IOException | RuntimeException e) {
      record(key, new BinaryStatus(path.toString(), "", false, "none", List.of(), "not probed: " + e.getMessage(),
          origin, pids));
      return false;
    }
    int[] version = binary.versionNumbers();
    java.util.Optional<GoTlsOffsets> tableOffsets = GoTlsOffsets.forVersion(version[0], version[1]);
    String why = null;
    if (version[0] == 0) {
      why = "no Go version in the build information";
    } else if (tableOffsets.isEmpty()) {
      why = binary.goVersion() + " predates the register ABI (Go 1.17): not probed";
    } else if (binary.function(READ).isEmpty() || binary.function(WRITE_RECORD).isEmpty()) {
      why = "no crypto/tls in it (no " + (binary.function(READ).isEmpty() ? READ : WRITE_RECORD) + ")";
    } else if (binaries.size() >= MAX_GO_BINARIES) {
      why = "already " + MAX_GO_BINARIES + " Go binaries probed";
    }
    if (why != null) {
      record(key, new BinaryStatus(path.toString(), binary.goVersion(), binary.stripped(), "none", List.of(), why,
          origin, pids));
      return false;
    }
    GoTlsOffsets offsets = binary.hasDwarf()
        ? GoDwarf.offsets(path).orElse(tableOffsets.get())
        : tableOffsets.get();
    int index = binaries.size();
    List<String> attached = new ArrayList<>();
    String error = "";
    List<BpfLink> made = new ArrayList<>();
    try {
      List<Integer> rets = X86Instructions.returns(binary.function(READ).get().code());
      if (rets.isEmpty()) {
        throw new IllegalStateException("no RET found in " + READ);
      }
      writeOffsets(index, offsets);
      naming.name(GO_LIBRARY_BASE + index, "go " + binary.goVersion() + " " + path);
      GoBinary.Function write = binary.function(WRITE_RECORD).get();
      GoBinary.Function read = binary.function(READ).get();
      made.add(object.attachUprobeAt("go_write_record", path, write.fileOffset(), false, index));
      attached.add(WRITE_RECORD);
      made.add(object.attachUprobeAt("go_read_entry", path, read.fileOffset(), false, index));
      attached.add(READ);
      for (int ret : rets) {
        made.add(object.attachUprobeAt("go_read_return", path, read.fileOffset() + ret, false, index));
      }
      attached.add(READ + " " + rets.size() + " RET");
      java.util.Optional<GoBinary.Function> keylog = binary.function(WRITE_KEYLOG);
      if (keylog.isPresent()) {
        made.add(object.attachUprobeAt("go_write_keylog", path, keylog.get().fileOffset(), false, index));
        attached.add(WRITE_KEYLOG);
      } else {
        error = "no " + WRITE_KEYLOG + ": no key log";
      }
      links.addAll(made);
    } catch (X86Instructions.UndecodableException | RuntimeException e) {
      for (BpfLink link : made) {
        link.close();
      }
      attached.clear();
      error = "not probed: " + e.getMessage();
    }
    BinaryStatus status = new BinaryStatus(path.toString(), binary.goVersion(), binary.stripped(),
        offsets.source(), List.copyOf(attached), error, origin, pids);
    binaries.add(status);
    if (key != null) {
      examined.put(key, index);
    }
    if (attached.isEmpty()) {
      warn.accept("Go binary " + path + " (" + binary.goVersion() + ") " + error);
      return false;
    }
    info.accept("Go crypto/tls probed in " + path + " (" + binary.goVersion() + (binary.stripped() ? ", stripped" : "")
        + ", offsets from " + offsets.source() + "): " + String.join(", ", attached));
    return true;
  }

  private void record(Object key, BinaryStatus status) {
    // kept in the status, with a slot of its own: indexes of probed binaries stay their cookies
    int index = binaries.size();
    binaries.add(status);
    if (key != null) {
      examined.put(key, index);
    }
    LOG.info("Go binary {}: {}", status.path(), status.error());
  }

  private void writeOffsets(int index, GoTlsOffsets offsets) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
      key.set(ValueLayout.JAVA_INT, 0, index);
      MemorySegment value = arena.allocate(OFFSETS_SIZE);
      value.set(ValueLayout.JAVA_INT, OFF_SUPPORTED, 1);
      value.set(ValueLayout.JAVA_INT, OFF_CONN_CONN_DATA, offsets.connConnData());
      value.set(ValueLayout.JAVA_INT, OFF_CONN_IS_CLIENT, offsets.connIsClient());
      value.set(ValueLayout.JAVA_INT, OFF_TCPCONN_FD, offsets.tcpConnFd());
      value.set(ValueLayout.JAVA_INT, OFF_NETFD_SYSFD, offsets.netFdSysfd());
      value.set(ValueLayout.JAVA_INT, OFF_CONN_VERS, offsets.connVers());
      int rc = LibBpf.mapUpdateElem(object.mapFd(OFFSETS_MAP), key, value, 0);
      if (rc < 0) {
        throw new LibBpfException("bpf_map_update_elem(" + OFFSETS_MAP + ")", -rc);
      }
    }
  }

  /** Rescans every {@code interval} on a daemon thread; zero: never. */
  public synchronized void startRescans(Duration interval) {
    if (interval.isZero() || closed) {
      return;
    }
    rescanTimer = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("collector-gotls-discovery").daemon().factory());
    rescanTimer.scheduleWithFixedDelay(() -> {
      try {
        rescan();
      } catch (RuntimeException e) {
        LOG.warn("Go binary discovery failed: {}", e.toString());
      }
    }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  public Status status() {
    return new Status(true, List.copyOf(binaries));
  }

  /** Detaches the uprobes (the shared maps stay with tlscapture's object). */
  public void detach() {
    synchronized (this) {
      closed = true;
    }
    if (rescanTimer != null) {
      rescanTimer.shutdownNow();
      try {
        rescanTimer.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (this) {
      for (int i = links.size() - 1; i >= 0; i--) {
        links.get(i).close();
      }
      links.clear();
    }
  }

  @Override
  public void close() {
    detach();
    object.close();
  }
}
