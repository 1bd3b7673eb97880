package io.ecapture.kafka.collector.probe;

import io.ecapture.kafka.collector.control.SocketDiscoveryStatus;
import io.ecapture.kafka.collector.sink.ProcessLogger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every file the uprobes are attached to, in bpf_cookie order: the configured libssl files, then
 * those process discovery ({@link LibraryDiscovery}) found later. For each it knows the TLS
 * implementation, the OpenSSL version and whether key capture is on ({@link OpenSslOffsets}), and
 * it keeps the uprobes attached for the processes of the pid filter (all when empty).
 *
 * <p>Rescans run on their own daemon thread every discovery interval, or on demand ({@link
 * #rescan}); attaching, rescans and pid changes ({@link #retarget}) are serialised on this object.
 * A discovered file is never detached (until the collector stops).
 */
public final class LibraryRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LibraryRegistry.class);

  private final TlsProbes probes;
  private final List<Path> configured;
  private final ProcessLogger log;
  private final BiConsumer<String, Path> onDiscovered;
  private final LibraryDiscovery discovery = new LibraryDiscovery(Path.of("/proc"));
  /** Every probed file in bpf_cookie order: the configured ones, then discovered ones. */
  private final List<Path> probedPaths = new ArrayList<>();
  /** Discovered files (by device and inode) -> index into {@link #libraries}. */
  private final Map<Object, Integer> discovered = new HashMap<>();
  private volatile List<Library> libraries = List.of();
  /** The pids the uprobes are attached for (empty: every process). */
  private Set<Integer> pids = Set.of();
  private ScheduledExecutorService rescanTimer;
  private boolean closed;

  /**
   * @param configured the libssl files to probe from the start (bpf_cookie 0, 1, ...)
   * @param onDiscovered told the kind label ("openssl", "boringssl") and path of each discovered
   *     file before its uprobes are attached (the decoder names events' libraries by index)
   */
  public LibraryRegistry(TlsProbes probes, List<Path> configured, ProcessLogger log, BiConsumer<String, Path> onDiscovered) {
    this.probes = probes;
    this.configured = List.copyOf(configured);
    this.log = log;
    this.onDiscovered = onDiscovered;
    this.probedPaths.addAll(configured);
    this.discovery.exclude(configured);
  }

  /**
   * Configures key capture for the configured files (by their OpenSSL version) and attaches the
   * uprobes to them for {@code pids} (empty: every process).
   *
   * @return how many functions were attached
   * @throws AttachException when there are more files than {@link TlsProbes#MAX_LIBRARIES} or no
   *     function could be attached
   */
  public synchronized int attachConfigured(Set<Integer> pids) {
    if (configured.size() > TlsProbes.MAX_LIBRARIES) {
      throw new AttachException("at most " + TlsProbes.MAX_LIBRARIES + " libraries can be probed");
    }
    List<Library> found = new ArrayList<>();
    for (int index = 0; index < configured.size(); index++) {
      Path path = configured.get(index);
      String version = OpenSslVersion.of(path).orElse("unknown");
      Optional<OpenSslOffsets> offsets = OpenSslOffsets.forVersion(version);
      probes.configureKeyCapture(index, offsets);
      SocketDiscoveryStatus sockets = probes.configureSocketDiscovery(index, BioLayout.learn(path));
      log.info("socket discovery for " + path + ": " + describe(sockets));
      found.add(new Library(path, version, offsets.isPresent(), false, Set.of()).withSocketDiscovery(sockets));
      if (offsets.isPresent()) {
        log.info("TLS key capture on for " + path + " (OpenSSL " + version + ")");
      } else {
        log.warn("TLS key capture off for " + path + ": unsupported OpenSSL version "
            + version + " (no struct offsets known for it; plaintext capture is not affected)");
      }
    }
    libraries = List.copyOf(found);
    List<String> failures = new ArrayList<>();
    List<String> report = new ArrayList<>();
    int attached = probes.reattach(probedPaths, pids, report, failures);
    report.forEach(log::info);
    failures.forEach(failure -> log.warn("attach failed: " + failure));
    if (attached == 0) {
      log.error("no OpenSSL function could be probed in " + configured);
      throw new AttachException("no OpenSSL function could be probed in " + configured + ": " + failures);
    }
    this.pids = Set.copyOf(pids);
    return attached;
  }

  /**
   * Replaces every uprobe with ones for {@code next} (empty: every process), the new ones attached
   * before the old ones go (see {@link TlsProbes#reattach}).
   *
   * @throws AttachException when none attaches for {@code next}: the uprobes for the previous
   *     pids are attached again
   */
  synchronized void retarget(Set<Integer> next) {
    if (libraries.isEmpty()) {
      // no OpenSSL file probed (--modules without tls): the kernel maps alone filter the modules
      pids = Set.copyOf(next);
      return;
    }
    List<String> failures = new ArrayList<>();
    if (probes.reattach(probedPaths, next, new ArrayList<>(), failures) == 0) {
      probes.reattach(probedPaths, pids, new ArrayList<>(), new ArrayList<>());
      throw new AttachException("no OpenSSL function could be probed for pids " + next + ": " + failures);
    }
    failures.forEach(failure -> log.warn("attach failed: " + failure));
    pids = Set.copyOf(next);
  }

  /**
   * Scans /proc once for OpenSSL copies not probed yet (private libssl files, statically linked
   * programs defining SSL_write/SSL_read) and attaches to them, and refreshes which processes map
   * each discovered file. Key capture is enabled only for shared libraries of a known version:
   * statically linked builds may be patched (e.g. QUIC forks) with other struct layouts.
   *
   * @return the number of files newly probed (0 once closed)
   */
  public synchronized int rescan() {
    if (closed) {
      return 0;
    }
    int added = 0;
    List<Library> updated = new ArrayList<>(libraries);
    for (int i = 0; i < updated.size(); i++) {
      if (updated.get(i).discovered()) {
        updated.set(i, updated.get(i).withPids(Set.of()));
      }
    }
    for (LibraryDiscovery.Found found : discovery.scan()) {
      Integer index = discovered.get(found.fileKey());
      if (index == null) {
        if (attachNew(found, Library.ORIGIN_DISCOVERED, updated) >= 0) {
          added++;
        }
      } else {
        updated.set(index, updated.get(index).withPids(found.pids()));
      }
    }
    libraries = List.copyOf(updated);
    return added;
  }

  /** What {@link #probe} did with a file. */
  enum ProbeOutcome {
    /** uprobes attached now. */
    ATTACHED,
    /** the same file (device and inode) was probed before. */
    ALREADY_PROBED,
    /** no function could be attached, or {@link TlsProbes#MAX_LIBRARIES} files are probed already. */
    FAILED,
    /** the registry is closed. */
    CLOSED
  }

  /**
   * Probes one file that defines SSL_read and SSL_write (found by the installed-executable scan or
   * at an exec), unless the same file (device and inode) is probed already.
   *
   * @param fileKey the file's device and inode ({@link LibraryDiscovery#fileKey})
   * @param pids processes known to map it (shown in {@code /status} until the next rescan)
   * @param origin {@link Library#ORIGIN_INSTALLED} or {@link Library#ORIGIN_EXEC}
   * @param found its kind and version, read before (outside this object's lock)
   * @param functions the hooked functions' file offsets and the BIO accessors' code, read in one
   *     pass ({@link BioLayout#read})
   */
  synchronized ProbeOutcome probe(Object fileKey, Path path, Set<Integer> pids, String origin, ElfStrings.Found found,
      Map<String, ElfSymbols.Function> functions) {
    if (closed) {
      return ProbeOutcome.CLOSED;
    }
    Integer index = discovered.get(fileKey);
    List<Library> updated = new ArrayList<>(libraries);
    if (index != null) {
      if (!pids.isEmpty()) {
        Set<Integer> union = new java.util.TreeSet<>(updated.get(index).pids());
        union.addAll(pids);
        updated.set(index, updated.get(index).withPids(union));
        libraries = List.copyOf(updated);
      }
      return ProbeOutcome.ALREADY_PROBED;
    }
    discovery.markProbeable(fileKey);
    int attached = attachNew(new LibraryDiscovery.Found(fileKey, path, false, new java.util.TreeSet<>(pids)), origin, updated,
        found, functions);
    libraries = List.copyOf(updated);
    return attached > 0 ? ProbeOutcome.ATTACHED : ProbeOutcome.FAILED;
  }

  /** Whether the file with this device and inode is probed. */
  synchronized boolean isProbed(Object fileKey) {
    return discovered.containsKey(fileKey);
  }

  /**
   * Looks at one process's mappings (its executable and executable file mappings) and probes the
   * OpenSSL copies among them not probed yet: for a process that maps a private libssl after exec.
   *
   * @return the number of files newly probed
   */
  public synchronized int rescanProcess(int pid) {
    if (closed) {
      return 0;
    }
    int added = 0;
    List<Library> updated = new ArrayList<>(libraries);
    for (LibraryDiscovery.Found found : discovery.scan(pid)) {
      Integer index = discovered.get(found.fileKey());
      if (index == null) {
        if (attachNew(found, Library.ORIGIN_EXEC, updated) >= 0) {
          added++;
        }
      } else {
        Set<Integer> union = new java.util.TreeSet<>(updated.get(index).pids());
        union.addAll(found.pids());
        updated.set(index, updated.get(index).withPids(union));
      }
    }
    libraries = List.copyOf(updated);
    return added;
  }

  /**
   * Attaches to a file not probed yet and adds it to {@code updated}.
   *
   * @return the number of functions attached, -1 when {@link TlsProbes#MAX_LIBRARIES} files are
   *     probed already (then nothing changed)
   */
  private int attachNew(LibraryDiscovery.Found found, String origin, List<Library> updated) {
    return attachNew(found, origin, updated, null, Map.of());
  }

  /**
   * As above with the kind, version and functions already read ({@code examined} null, {@code
   * known} empty: read them now). Every new file has its BIO layout learned (bio-fd socket
   * discovery) before its uprobes are attached: its writes use uprobe sessions only then.
   */
  private int attachNew(LibraryDiscovery.Found found, String origin, List<Library> updated, ElfStrings.Found examined,
      Map<String, ElfSymbols.Function> known) {
    if (probedPaths.size() >= TlsProbes.MAX_LIBRARIES) {
      LOG.warn("not probing {}: {} libraries already probed", found.path(), TlsProbes.MAX_LIBRARIES);
      return -1;
    }
    int index = probedPaths.size();
    TlsLibraryKind kind = examined != null ? examined.kind() : TlsLibraryKind.of(found.path());
    String version = (examined != null ? examined.version() : OpenSslVersion.of(found.path())).orElse("unknown");
    Optional<OpenSslOffsets> offsets = found.sharedLibrary() && kind == TlsLibraryKind.OPENSSL
        ? OpenSslOffsets.forVersion(version) : Optional.empty();
    onDiscovered.accept(kind.label(), found.path());
    probedPaths.add(found.path());
    probes.configureKeyCapture(index, offsets);
    // the hooks' offsets and the BIO accessors' code in one pass over the file
    Map<String, ElfSymbols.Function> functions = known.isEmpty() ? BioLayout.read(found.path(), TlsProbes.HOOK_FUNCTIONS) : known;
    SocketDiscoveryStatus sockets = probes.configureSocketDiscovery(index, BioLayout.learn(found.path(), functions));
    List<String> failures = new ArrayList<>();
    List<String> report = probes.attachLibrary(found.path(), index, pids, failures, ElfSymbols.offsets(functions));
    failures.forEach(failure -> log.warn("attach failed: " + failure));
    String how = switch (origin) {
      case Library.ORIGIN_INSTALLED -> "found installed ";
      case Library.ORIGIN_EXEC -> "found at exec ";
      default -> "discovered ";
    };
    log.info(how + kind.label() + " " + version + " in " + found.path() + " (pids " + found.pids()
        + "): " + report.size() + " functions probed, key capture "
        + (offsets.isPresent() ? "on" : kind == TlsLibraryKind.BORINGSSL ? "off (BoringSSL)" : "off")
        + ", socket discovery " + describe(sockets));
    // the index is taken even when nothing attached: the decoder already names it
    discovered.put(found.fileKey(), index);
    updated.add(new Library(found.path(), version, offsets.isPresent(), true, found.pids(), kind.label(), origin, sockets));
    return report.size();
  }

  private static String describe(SocketDiscoveryStatus sockets) {
    return sockets.method() + (sockets.offsets() == null ? "" : " " + new java.util.TreeMap<>(sockets.offsets()))
        + " (" + sockets.why() + ")";
  }

  /** Rescans every {@code interval} from now on, on a daemon thread; zero: never by itself. */
  public synchronized void startRescans(Duration interval) {
    if (interval.isZero() || closed) {
      return;
    }
    rescanTimer = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("collector-discovery").daemon().factory());
    rescanTimer.scheduleWithFixedDelay(
        () -> {
          try {
            rescan();
          } catch (RuntimeException e) {
            LOG.warn("process discovery failed: {}", e.toString());
          }
        },
        0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The probed files with their detected OpenSSL version and key-capture state. */
  public List<Library> libraries() {
    return libraries;
  }

  /** Stops rescanning (a rescan in progress finishes first); the uprobes stay until the probes close. */
  @Override
  public synchronized void close() {
    closed = true;
    if (rescanTimer != null) {
      rescanTimer.shutdownNow();
    }
  }
}
