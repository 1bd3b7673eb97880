package io.ecapture.kafka.collector.probe;

import io.ecapture.kafka.bpf.BpfObjects;
import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.collector.control.SocketDiscoveryStatus;
import io.ecapture.kafka.collector.decode.EventLayout;
import io.ecapture.kafka.collector.identity.CgroupMount;
import io.ecapture.kafka.collector.libbpf.BpfLink;
import io.ecapture.kafka.collector.libbpf.BpfObject;
import io.ecapture.kafka.collector.libbpf.LibBpf;
import io.ecapture.kafka.collector.libbpf.LibBpfException;
import io.ecapture.kafka.collector.libbpf.MapKeys;
import io.ecapture.kafka.collector.libbpf.PerCpuCounters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loaded tlscapture BPF object and its attachments: syscall/sock raw tracepoints once, and an
 * entry + return uprobe on each OpenSSL function for every libssl file. Closing detaches all
 * probes (reverse order) and unloads the object. Which files get uprobes, and for which processes,
 * is decided by {@link LibraryRegistry} and {@link ProcessFilter}.
 */
public final class TlsProbes implements AutoCloseable {
  static final String EVENTS_MAP = "events";
  static final String DROP_COUNTS_MAP = "drop_counts";
  /** LRU hash of the connections the kernel tracks, keyed by a 64-bit struct sock pointer. */
  static final String CONNECTIONS_MAP = "connections";
  /** Array of __u64 filters (tlscapture.h enum filter_key). */
  static final String CAPTURE_FILTER_MAP = "capture_filter";
  static final int FILTER_NETNS = 0;
  /** Array of struct ssl_offsets by library index (tlscapture.h). */
  static final String SSL_OFFSETS_MAP = "ssl_offsets";
  /** Array of struct bio_layout by library index (tlscapture.h): bio-fd socket discovery. */
  static final String BIO_LAYOUTS_MAP = "bio_layouts";
  /** One flag: the consumer sleeps on the ring buffer, wake it for the next record. */
  static final String CONSUMER_SLEEPING_MAP = "consumer_sleeping";
  /** MAX_LIBRARIES of tlscapture.h: the most files that can be probed (bpf_cookie range). */
  public static final int MAX_LIBRARIES = 256;
  /** MAX_CONNECTIONS of tlscapture.h: the size of the kernel's connection map. */
  static final long MAX_TRACKED_CONNECTIONS = 65536;

  /**
   * Raw tracepoints every kernel we support has (attach by name, no tracefs mount needed): TCP
   * state changes (server side, connection end) and socket destruction. They fire on TCP events
   * only, never on system calls.
   */
  static final List<String> TCP_PROGRAMS = List.of("inet_sock_set_state", "tcp_destroy_sock");

  /**
   * How the socket of an SSL call is found on this kernel: a socket send or receive made by the
   * calling thread during the call names it.
   */
  public enum SocketHooks {
    /** sock_send_length / sock_recv_length (Linux >= 6.3): fire on socket I/O only. */
    SOCKET_TRACEPOINTS("socket tracepoints (sock_send_length, sock_recv_length): processes that do"
        + " no TLS pay nothing", List.of("sock_send_length", "sock_recv_length")),
    /** raw_tp/sys_enter and sys_exit: every system call of every process runs them. */
    SYSCALL_FALLBACK("raw syscall tracepoints (this kernel lacks the socket tracepoints of Linux"
        + " 6.3): every system call of every process pays", List.of("sys_enter", "sys_exit"));

    private final String description;
    private final List<String> programs;

    SocketHooks(String description, List<String> programs) {
      this.description = description;
      this.programs = programs;
    }

    /** What {@code /status} says. */
    public String description() {
      return description;
    }

    /** The raw tracepoint programs this mode attaches. */
    public List<String> programs() {
      return programs;
    }
  }

  /**
   * An OpenSSL function and the programs for its entry and return (null: entry only), and a
   * uprobe-session program serving both that may skip the return (null: none).
   */
  record Hook(String function, String entryProgram, String returnProgram, String sessionProgram) {
    Hook(String function, String entryProgram, String returnProgram) {
      this(function, entryProgram, returnProgram, null);
    }

    /** uprobe links this hook makes per library (and per process with a pid filter). */
    int links() {
      return returnProgram == null ? 1 : 2;
    }
  }

  static final List<Hook> HOOKS =
      List.of(
          new Hook("SSL_write", "ssl_write_entry", "ssl_write_return", "ssl_write_session"),
          new Hook("SSL_read", "ssl_read_entry", "ssl_read_return"),
          new Hook("SSL_write_ex", "ssl_write_ex_entry", "ssl_write_ex_return", "ssl_write_ex_session"),
          new Hook("SSL_read_ex", "ssl_read_ex_entry", "ssl_read_ex_return"),
          // SSL_connect / SSL_accept end in SSL_do_handshake: one hook sees every handshake
          new Hook("SSL_do_handshake", "ssl_handshake_entry", "ssl_handshake_return"),
          // forgets per-SSL kernel state before the address can be reused
          new Hook("SSL_free", "ssl_free_entry", null));

  /** The session programs: loaded for BPF_TRACE_UPROBE_SESSION, or not at all (older kernels). */
  static final List<String> SESSION_PROGRAMS =
      HOOKS.stream().map(Hook::sessionProgram).filter(java.util.Objects::nonNull).toList();

  private static final Logger LOG = LoggerFactory.getLogger(TlsProbes.class);

  private final BpfObject object;
  private SocketHooks socketHooks;
  /** Whether the kernel took the uprobe-session write programs (Linux 6.13+). */
  private boolean sessionWrites;
  /** Library indexes whose socket-BIO layout is known (bio-fd): their writes may use sessions. */
  private final java.util.Set<Integer> bioLibraries = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Tracepoint links, then uprobe links: closed in reverse order. */
  private final List<BpfLink> links = new ArrayList<>();
  private final List<BpfLink> uprobeLinks = new ArrayList<>();

  private TlsProbes(BpfObject object) {
    this.object = object;
  }

  /**
   * Loads the object with a ring buffer of {@code ringBufferBytes} and attaches the tracepoints.
   *
   * @throws LibBpfException when the kernel refuses (not root, no BTF, verifier rejection)
   */
  public static TlsProbes load(int ringBufferBytes) {
    Path dir;
    try {
      dir = Files.createTempDirectory("ecapture-bpf");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path file = BpfObjects.TLSCAPTURE.extract(dir);
    TlsProbes probes;
    boolean sessions = true;
    try {
      BpfObject first = BpfObject.open(file);
      try {
        first.setMaxEntries(EVENTS_MAP, ringBufferBytes);
        for (String program : SESSION_PROGRAMS) {
          first.setExpectedAttachType(program, BpfObject.TRACE_UPROBE_SESSION);
        }
        first.load();
        probes = new TlsProbes(first);
      } catch (LibBpfException noSessions) {
        first.close();
        LOG.info("uprobe sessions unavailable ({}): every write keeps its return probe", noSessions.getMessage());
        sessions = false;
        BpfObject plain = BpfObject.open(file);
        try {
          plain.setMaxEntries(EVENTS_MAP, ringBufferBytes);
          for (String program : SESSION_PROGRAMS) {
            try {
              plain.setAutoload(program, false);
            } catch (LibBpfException absent) {
              // an object built without the session programs
            }
          }
          plain.load();
        } catch (RuntimeException e) {
          plain.close();
          throw e;
        }
        probes = new TlsProbes(plain);
      }
    } finally {
      deleteQuietly(file, dir); // libbpf has read the file into memory
    }
    probes.sessionWrites = sessions;
    BpfObject object = probes.object;
    try {
      for (String program : TCP_PROGRAMS) {
        probes.links.add(object.attach(program));
      }
      probes.socketHooks = probes.attachSocketHooks();
      return probes;
    } catch (RuntimeException e) {
      probes.close();
      throw e;
    }
  }

  /** The socket tracepoints where the kernel has them, else the syscall fallback. */
  private SocketHooks attachSocketHooks() {
    List<BpfLink> attached = new ArrayList<>();
    try {
      for (String program : SocketHooks.SOCKET_TRACEPOINTS.programs()) {
        attached.add(object.attach(program));
      }
      links.addAll(attached);
      return SocketHooks.SOCKET_TRACEPOINTS;
    } catch (LibBpfException missing) {
      attached.forEach(BpfLink::close);
      LOG.warn("socket tracepoints unavailable ({}): falling back to raw syscall tracepoints, which"
          + " every system call of every process runs", missing.getMessage());
    }
    for (String program : SocketHooks.SYSCALL_FALLBACK.programs()) {
      links.add(object.attach(program));
    }
    return SocketHooks.SYSCALL_FALLBACK;
  }

  /** Whether writes of bio-fd libraries use uprobe sessions (return probe only when needed). */
  public boolean sessionWrites() {
    return sessionWrites;
  }

  /** Which hooks find the socket of an SSL call on this kernel. */
  public SocketHooks socketHooks() {
    return socketHooks;
  }

  /**
   * Attaches every hook to one libssl file for every process; events from it carry {@code index}
   * (the bpf_cookie).
   *
   * @return one line per hook: attached, or why not (a library may lack the _ex functions)
   */
  List<String> attachLibssl(Path libssl, int index, List<String> failures) {
    return attachLibssl(libssl, index, -1, failures, uprobeLinks);
  }

  private List<String> attachLibssl(Path libssl, int index, int pid, List<String> failures, List<BpfLink> into) {
    return attachLibssl(libssl, index, pid, failures, into, null);
  }

  /** @param known the hooks' file offsets when already read, null: read them here */
  private List<String> attachLibssl(Path libssl, int index, int pid, List<String> failures, List<BpfLink> into,
      java.util.Map<String, Long> known) {
    List<String> report = new ArrayList<>();
    String target = libssl + (pid < 0 ? "" : " (pid " + pid + ")");
    // every hook's offset in one pass over the ELF file (by name, libbpf parses it per probe)
    java.util.Map<String, Long> offsets = known != null && !known.isEmpty() ? known
        : ElfSymbols.functionOffsets(libssl, HOOK_FUNCTIONS);
    // writes of a library with a learned BIO layout: one uprobe-session link at the same offset
    boolean sessions = sessionWrites && bioLibraries.contains(index);
    for (Hook hook : HOOKS) {
      Long sessionAt = sessions && hook.sessionProgram() != null ? offsets.get(hook.function()) : null;
      if (sessionAt != null) {
        try {
          into.add(object.attachUprobeSession(hook.sessionProgram(), libssl, sessionAt, index, pid));
          report.add("attached " + target + ":" + hook.function() + " (session: return probe only when needed)");
          continue;
        } catch (LibBpfException e) {
          LOG.info("uprobe session on {}:{} failed ({}): entry and return probes instead", target, hook.function(),
              e.getMessage());
        }
      }
      try {
        BpfLink entry = attach(hook.entryProgram(), libssl, hook.function(), offsets, false, index, pid);
        if (hook.returnProgram() == null) {
          into.add(entry);
          report.add("attached " + target + ":" + hook.function());
          continue;
        }
        try {
          into.add(attach(hook.returnProgram(), libssl, hook.function(), offsets, true, index, pid));
        } catch (LibBpfException e) {
          entry.close(); // an entry without its return would leave calls pending forever
          throw e;
        }
        into.add(entry);
        report.add("attached " + target + ":" + hook.function());
      } catch (LibBpfException e) {
        failures.add(target + ":" + hook.function() + ": " + e.getMessage());
      }
    }
    return report;
  }

  /** The functions of {@link #HOOKS}. */
  static final java.util.Set<String> HOOK_FUNCTIONS =
      java.util.Set.copyOf(HOOKS.stream().map(Hook::function).toList());

  /** At the function's file offset when it was resolved, else by name (libbpf resolves it). */
  private BpfLink attach(String program, Path file, String function, java.util.Map<String, Long> offsets,
      boolean retprobe, int index, int pid) {
    Long offset = offsets.get(function);
    return offset != null
        ? object.attachUprobeAt(program, file, offset, retprobe, index, pid)
        : object.attachUprobe(program, file, function, retprobe, index, pid);
  }

  /**
   * Replaces every uprobe: attached per process for each of {@code pids} (other processes then
   * never trap into the kernel), or for every process when {@code pids} is empty. The new probes
   * are attached before the old ones go, so no call is missed (a call seen by both entry probes
   * is still captured once: the second return finds no pending call).
   *
   * @return how many functions were attached
   */
  int reattach(List<Path> libraries, Collection<Integer> pids, List<String> report, List<String> failures) {
    List<BpfLink> fresh = new ArrayList<>();
    int reportedBefore = report.size();
    for (int index = 0; index < libraries.size(); index++) {
      if (pids.isEmpty()) {
        report.addAll(attachLibssl(libraries.get(index), index, -1, failures, fresh));
      } else {
        for (int pid : pids) {
          report.addAll(attachLibssl(libraries.get(index), index, pid, failures, fresh));
        }
      }
    }
    for (int i = uprobeLinks.size() - 1; i >= 0; i--) {
      uprobeLinks.get(i).close();
    }
    uprobeLinks.clear();
    uprobeLinks.addAll(fresh);
    return report.size() - reportedBefore; // one line per attached function
  }

  /**
   * Adds the hooks of one more library (found by process discovery) without touching the others:
   * for every process, or for each of {@code pids}.
   *
   * @return one line per attached hook
   */
  List<String> attachLibrary(Path library, int index, Collection<Integer> pids, List<String> failures) {
    return attachLibrary(library, index, pids, failures, java.util.Map.of());
  }

  /** As above with the hooks' file offsets already read ({@link #HOOK_FUNCTIONS}; empty: read them). */
  List<String> attachLibrary(Path library, int index, Collection<Integer> pids, List<String> failures,
      java.util.Map<String, Long> offsets) {
    if (pids.isEmpty()) {
      return attachLibssl(library, index, -1, failures, uprobeLinks, offsets);
    }
    List<String> report = new ArrayList<>();
    for (int pid : pids) {
      report.addAll(attachLibssl(library, index, pid, failures, uprobeLinks, offsets));
    }
    return report;
  }

  /** Number of uprobe links (entry and return count separately). */
  int uprobeCount() {
    return uprobeLinks.size();
  }

  /**
   * Tells the kernel where library {@code index} keeps its TLS secrets; empty turns key capture off
   * for it (unknown OpenSSL version).
   */
  void configureKeyCapture(int index, java.util.Optional<OpenSslOffsets> offsets) {
    int[] fields = offsets.map(OpenSslOffsets::asArray).orElse(new int[OpenSslOffsets.FIELDS]);
    writeLibraryEntry(SSL_OFFSETS_MAP, index, offsets.isPresent(), fields);
  }

  /**
   * Tells the kernel where library {@code index}'s SSL objects keep their socket BIO's fd
   * (bio-fd), or that it does not know (its calls find their socket through the socket hooks).
   *
   * @return what {@code /status} says about the library's socket discovery
   */
  SocketDiscoveryStatus configureSocketDiscovery(int index, BioLayout.Learned learned) {
    int[] fields = learned.layout().map(BioLayout::asArray).orElse(new int[BioLayout.FIELDS]);
    writeLibraryEntry(BIO_LAYOUTS_MAP, index, learned.layout().isPresent(), fields);
    if (learned.layout().isPresent()) {
      bioLibraries.add(index);
    } else {
      bioLibraries.remove(index);
    }
    String hooks = socketHooks == SocketHooks.SYSCALL_FALLBACK ? "syscall-fallback" : "socket-tracepoint";
    if (learned.layout().isPresent()) {
      BioLayout layout = learned.layout().get();
      return new SocketDiscoveryStatus("bio-fd", layout.offsets(), layout.learnedFrom(),
          "the entry probe reads the fd of the SSL object's socket BIO and goes fd -> struct sock in the"
              + " kernel; calls whose BIO is no descriptor BIO (a memory BIO, the application's own BIO) use "
              + hooks);
    }
    return new SocketDiscoveryStatus(hooks, null, null, learned.reason()
        + (socketHooks == SocketHooks.SYSCALL_FALLBACK
            ? "; this kernel lacks sock_send_length/sock_recv_length (Linux 6.3)" : ""));
  }

  private void writeLibraryEntry(String map, int index, boolean supported, int[] fields) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
      key.set(ValueLayout.JAVA_INT, 0, index);
      MemorySegment value = arena.allocate(ValueLayout.JAVA_INT, 1 + fields.length);
      value.setAtIndex(ValueLayout.JAVA_INT, 0, supported ? 1 : 0);
      for (int i = 0; i < fields.length; i++) {
        value.setAtIndex(ValueLayout.JAVA_INT, i + 1, fields[i]);
      }
      int rc = LibBpf.mapUpdateElem(object.mapFd(map), key, value, 0);
      if (rc < 0) {
        throw new LibBpfException("bpf_map_update_elem(" + map + ")", -rc);
      }
    }
  }

  /**
   * Writes the process filter into the kernel maps; its cgroup paths are resolved below {@code
   * cgroupMount} first, so a path that is no cgroup changes nothing.
   *
   * @throws IllegalArgumentException when a cgroup path cannot be resolved (the reason says why)
   */
  void applyFilter(CaptureFilter filter, java.util.Optional<CgroupMount> cgroupMount) {
    new ProcessFilterMaps(object).apply(filter, cgroupMount);
  }

  /** The ring buffer map the events arrive in (for a {@code RingBuffer}). */
  public int eventsMapFd() {
    return object.mapFd(EVENTS_MAP);
  }

  /**
   * The kernel's counters, read live: the per-CPU counters of tlscapture.h enum drop_counter
   * (summed), and the number of tracked connections (a walk of the connection map).
   */
  public CollectorStats.KernelCounters kernelCounters() {
    PerCpuCounters counters = new PerCpuCounters(dropCountsMapFd());
    MapKeys connections = new MapKeys(connectionsMapFd(), Long.BYTES);
    return counter -> switch (counter) {
      case DROPPED_RECORDS -> counters.sum(EventLayout.DROP_RECORDS);
      case DROPPED_BYTES -> counters.sum(EventLayout.DROP_BYTES);
      case READ_FAULTS -> counters.sum(EventLayout.DROP_READ_FAULTS);
      case TRUNCATED_CALLS -> counters.sum(EventLayout.DROP_TRUNCATED);
      case FILTERED_CALLS -> counters.sum(EventLayout.DROP_FILTERED);
      case ENTRY_HITS -> counters.sum(EventLayout.COUNT_ENTRY_HITS);
      case RETURN_HITS -> counters.sum(EventLayout.COUNT_RETURN_HITS);
      case HANDSHAKES -> counters.sum(EventLayout.COUNT_HANDSHAKES);
      case BIO_SOCKET_CALLS -> counters.sum(EventLayout.COUNT_BIO_SOCKETS);
      case ENTRY_ONLY_WRITES -> counters.sum(EventLayout.COUNT_ENTRY_WRITES);
      case TRACKED_CONNECTIONS -> connections.count(MAX_TRACKED_CONNECTIONS);
    };
  }

  /**
   * Captures only processes in the network namespace {@code netns} (a path such as
   * /var/run/netns/NAME or /proc/PID/ns/net).
   *
   * @return the namespace's inode
   * @throws IOException when the path cannot be read
   * @throws UnsupportedOperationException when the file system has no inodes to read
   */
  public long filterNetns(Path netns) throws IOException {
    long inode = (Long) Files.getAttribute(netns, "unix:ino");
    filterNetns(inode);
    return inode;
  }

  /**
   * Captures only processes in the network namespace with this inode (0: every namespace).
   * Effective for SSL calls that start after it returns.
   */
  void filterNetns(long inode) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
      key.set(ValueLayout.JAVA_INT, 0, FILTER_NETNS);
      MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
      value.set(ValueLayout.JAVA_LONG, 0, inode);
      int rc = LibBpf.mapUpdateElem(object.mapFd(CAPTURE_FILTER_MAP), key, value, 0);
      if (rc < 0) {
        throw new LibBpfException("bpf_map_update_elem(capture_filter)", -rc);
      }
    }
  }

  /**
   * Tells the BPF programs whether the ring-buffer consumer sleeps (a long poll): then every
   * record wakes it; otherwise only a ring 1/8 full does, and the consumer drains on its own
   * short poll timeout.
   */
  public void consumerSleeping(boolean sleeping) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
      MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
      value.set(ValueLayout.JAVA_INT, 0, sleeping ? 1 : 0);
      int rc = LibBpf.mapUpdateElem(object.mapFd(CONSUMER_SLEEPING_MAP), key, value, 0);
      if (rc < 0) {
        throw new LibBpfException("bpf_map_update_elem(" + CONSUMER_SLEEPING_MAP + ")", -rc);
      }
    }
  }

  /**
   * The fd of one of the object's maps, for another module's BPF object that shares it (the Go
   * module writes into "events" and reads the filter maps).
   */
  public int sharedMapFd(String mapName) {
    return object.mapFd(mapName);
  }

  int connectionsMapFd() {
    return object.mapFd(CONNECTIONS_MAP);
  }

  int dropCountsMapFd() {
    return object.mapFd(DROP_COUNTS_MAP);
  }

  /** Detaches every probe; the maps stay readable until {@link #close}. */
  public void detach() {
    for (int i = uprobeLinks.size() - 1; i >= 0; i--) {
      uprobeLinks.get(i).close();
    }
    uprobeLinks.clear();
    for (int i = links.size() - 1; i >= 0; i--) {
      links.get(i).close();
    }
    links.clear();
  }

  @Override
  public void close() {
    detach();
    object.close();
  }

  private static void deleteQuietly(Path file, Path dir) {
    try {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // a stale temp file is harmless
    }
  }
}
