package io.ecapture.kafka.collector.probe;

import io.ecapture.kafka.bpf.BpfObjects;
import io.ecapture.kafka.collector.control.ExecWatchStatus;
import io.ecapture.kafka.collector.libbpf.BpfLink;
import io.ecapture.kafka.collector.libbpf.BpfObject;
import io.ecapture.kafka.collector.libbpf.LibBpf;
import io.ecapture.kafka.collector.libbpf.LibBpfException;
import io.ecapture.kafka.collector.libbpf.PerCpuCounters;
import io.ecapture.kafka.collector.libbpf.RingBufferReader;
import io.ecapture.kafka.collector.sink.ProcessLogger;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exec-time attach: processes that start after the collector and carry their own TLS copy
 * (statically linked OpenSSL or BoringSSL, such as node) are probed before their first TLS call.
 *
 * <ul>
 *   <li>At start, a background scan examines the executables of {@link ExecWatchConfig#scanDirs()}
 *       (bounded in time and files): those defining SSL_read and SSL_write get uprobes by path,
 *       which fire in every later process mapping the file; every examined file gets a verdict.
 *   <li>The exec_watch BPF program (tracepoint sched/sched_process_exec, which fires on exec only)
 *       looks each exec's file up in the verdict cache ({@link ExecVerdicts}): a known file costs
 *       that lookup. An unknown one is reported, and its process is stopped (SIGSTOP, before its
 *       first instruction) unless it has a controlling terminal. This class examines the file,
 *       attaches if it carries its own TLS, records the verdict and resumes the process (SIGCONT).
 *       A sweep every {@value #SWEEP_MS} ms resumes any process held longer than the hold
 *       timeout (counted); it runs only while an exec event is being handled or a process is held
 *       (armed by the exec event: no periodic wake-up while nothing is held); the hold guard ({@link HoldGuard}, a separate process) resumes every
 *       held process if the collector dies. Libraries the process maps later (a private libssl)
 *       are looked for in its mappings {@value #MAPS_CHECK_MS} ms after the exec.
 * </ul>
 */
public final class ExecWatch implements AutoCloseable {
  static final String PROGRAM = "exec_watch";
  static final String EVENTS_MAP = "exec_events";
  static final String VERDICTS_MAP = "exec_verdicts";
  static final String HELD_MAP = "held_pids";
  static final String SETTINGS_MAP = "exec_settings";
  static final String COUNTS_MAP = "exec_counts";
  /** exec_watch.h enum exec_counter. */
  static final int COUNT_SEEN = 0;
  static final int COUNT_KNOWN = 1;
  static final int COUNT_REPORTED = 2;
  static final int COUNT_HELD = 3;
  static final int COUNT_TTY = 4;
  static final int COUNT_HELD_FULL = 5;
  static final int COUNT_RING_FULL = 6;
  static final int COUNT_SIGNAL_FAILED = 7;
  static final int SETTING_HOLD = 0;
  static final long SWEEP_MS = 50;
  static final long MAPS_CHECK_MS = 200;
  private static final int POLL_MS = 200;

  private static final Logger LOG = LoggerFactory.getLogger(ExecWatch.class);

  private final ExecWatchConfig config;
  private final LibraryRegistry registry;
  private final ProcessLogger log;
  private final BpfObject object;
  private final ExecVerdicts verdicts;
  private final HeldProcesses held;
  private final PerCpuCounters counts;
  private final RingBufferReader ring;
  private final ScheduledExecutorService timer;
  private final Thread scanThread;
  /** The hold guard once it runs (holding is on from then), else null. */
  private volatile Process guard;
  private volatile String holdText;
  private final java.util.concurrent.CountDownLatch holdDecided = new java.util.concurrent.CountDownLatch(1);
  private BpfLink link;
  private volatile boolean running = true;
  private boolean closed;

  /** The held-process sweep is scheduled; see {@link #armSweep}. */
  private final AtomicBoolean sweepArmed = new AtomicBoolean();
  /** The exec thread is handling an event (whose process, or a later one, may be held). */
  private volatile boolean handling;

  private final AtomicLong examined = new AtomicLong();
  private final AtomicLong attached = new AtomicLong();
  private final AtomicLong resumed = new AtomicLong();
  private final AtomicLong holdTimeouts = new AtomicLong();
  private final LatencyWindow attachLatency = new LatencyWindow();
  private final LatencyWindow holdDuration = new LatencyWindow();
  private volatile String lastError = "";
  /** Told every exec event before it is handled (tests). */
  private volatile java.util.function.Consumer<ExecEvent> listener = event -> {};
  private volatile long[] frozenCounts;

  // the installed scan's progress
  private volatile String scanState = "running";
  private final List<String> scanDirs = new CopyOnWriteArrayList<>();
  private final AtomicLong scanFiles = new AtomicLong();
  private final AtomicLong scanExamined = new AtomicLong();
  private final AtomicLong scanWithTls = new AtomicLong();
  private final AtomicLong scanProbed = new AtomicLong();
  private volatile long scanDurationMs;
  private final List<String> scanFound = new CopyOnWriteArrayList<>();

  private ExecWatch(ExecWatchConfig config, LibraryRegistry registry, ProcessLogger log, BpfObject object) {
    this.config = config;
    this.registry = registry;
    this.log = log;
    this.object = object;
    this.verdicts = new ExecVerdicts(object.mapFd(VERDICTS_MAP));
    this.held = new HeldProcesses(object.mapFd(HELD_MAP));
    this.counts = new PerCpuCounters(object.mapFd(COUNTS_MAP));
    // close() does not drain: no examining or attaching while it unloads
    this.ring = RingBufferReader.builder(object.mapFd(EVENTS_MAP), this::onRecord).thread("collector-exec")
        .pollMs(POLL_MS).onHandlerFailure(this::onFailure).onPollFailure(this::onFailure)
        .joinMs(POLL_MS * 5L).drainOnClose(false).build();
    this.timer = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("collector-exec-timer").daemon().factory());
    this.scanThread = Thread.ofPlatform().name("collector-installed-scan").daemon().unstarted(this::scanInstalled);
    if (config.holdTimeout().isZero()) {
      holdText = "off: hold timeout 0 (files are examined at exec without stopping the process)";
      holdDecided.countDown();
    } else {
      holdText = "off until the hold guard runs (starting)";
    }
  }

  /**
   * Starts the hold guard (a JVM: seconds on a loaded machine, so not on the collector's start
   * path) and, once it holds the map, turns holding on. Until then unknown executables are
   * examined without being held.
   */
  private void startGuard() {
    Process started = null;
    try {
      started = HoldGuard.launch(mapId(object.mapFd(HELD_MAP)), config.holdTimeout());
      synchronized (this) {
        if (closed) {
          started.getOutputStream().close(); // the guard sweeps nothing and exits
          return;
        }
        guard = started;
        setting(SETTING_HOLD, 1);
        holdText = "on: a process executing a file not examined yet is stopped up to "
            + config.holdTimeout().toMillis() + " ms until its probes are attached (not with a controlling terminal)";
      }
      log.info("exec hold on (hold guard pid " + started.pid() + ")");
      started.onExit().thenRun(this::guardExited);
    } catch (IOException | RuntimeException e) {
      holdText = "off: the hold guard did not start (" + e.getMessage() + "); files are examined at exec without stopping";
      lastError = "hold guard: " + e.getMessage();
      log.warn("exec hold off: " + e.getMessage());
      if (started != null) {
        started.destroyForcibly();
      }
    } finally {
      holdDecided.countDown();
    }
  }

  /** The guard went away while the collector runs: stop holding (nothing would resume a process if the collector died). */
  private void guardExited() {
    synchronized (this) {
      if (closed) {
        return;
      }
      try {
        setting(SETTING_HOLD, 0);
      } catch (RuntimeException e) {
        // closing
      }
      holdText = "off: the hold guard exited; files are examined at exec without stopping";
    }
    held.sweep(Long.MAX_VALUE, pid -> resumed.incrementAndGet());
    lastError = "hold guard exited";
    log.error("exec hold off: the hold guard exited");
  }

  /**
   * Waits until holding is decided (the guard runs, or could not start), at most {@code timeoutMs}.
   *
   * @return whether holding is on
   */
  public boolean awaitHold(long timeoutMs) throws InterruptedException {
    holdDecided.await(timeoutMs, TimeUnit.MILLISECONDS);
    return guard != null && holdText.startsWith("on");
  }

  /**
   * Loads the exec_watch object, starts the hold guard (when holding), attaches the exec
   * tracepoint, and starts the installed-executable scan in the background.
   *
   * @throws LibBpfException when the kernel refuses the program
   */
  public static ExecWatch start(ExecWatchConfig config, LibraryRegistry registry, ProcessLogger log) {
    BpfObject object = BpfObject.openExtracted("ecapture-bpf", BpfObjects.EXEC_WATCH::extract);
    ExecWatch watch;
    try {
      object.load();
      watch = new ExecWatch(config, registry, log, object);
    } catch (RuntimeException e) {
      object.close();
      throw e;
    }
    try {
      watch.ring.start();
      watch.link = object.attach(PROGRAM);
      watch.armSweep(); // one sweep for anything held before the attach returned
      if (config.scanBudget().isZero()) {
        watch.scanState = "off";
      } else {
        watch.scanThread.start();
      }
      if (!config.holdTimeout().isZero()) {
        Thread.ofPlatform().name("collector-hold-guard-start").daemon().start(watch::startGuard);
      }
    } catch (RuntimeException e) {
      watch.close();
      throw e;
    }
    log.info("exec-time attach on: " + (config.holdTimeout().isZero() ? "no hold"
        : "hold up to " + config.holdTimeout().toMillis() + " ms once the hold guard runs")
        + "; scanning installed executables in the background");
    return watch;
  }

  /** The id of a map (its descriptor's /proc/self/fdinfo says it). */
  private static int mapId(int fd) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
      if (line.startsWith("map_id:")) {
        return Integer.parseInt(line.substring("map_id:".length()).trim());
      }
    }
    throw new IOException("no map_id in /proc/self/fdinfo/" + fd);
  }

  private void setting(int index, int value) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
      key.set(ValueLayout.JAVA_INT, 0, index);
      MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
      v.set(ValueLayout.JAVA_INT, 0, value);
      int rc = LibBpf.mapUpdateElem(object.mapFd(SETTINGS_MAP), key, v, 0);
      if (rc < 0) {
        throw new LibBpfException("bpf_map_update_elem(" + SETTINGS_MAP + ")", -rc);
      }
    }
  }

  /**
   * Detaches (false) or attaches again (true) the exec tracepoint: for the benchmark's on/off
   * comparison. Verdicts and probes stay.
   */
  public synchronized void tracepoint(boolean on) {
    if (closed) {
      return;
    }
    if (on && link == null) {
      link = object.attach(PROGRAM);
    } else if (!on && link != null) {
      link.close();
      link = null;
    }
  }

  /** Waits until the installed-executable scan has finished (or {@code timeoutMs} passed). */
  public void awaitInstalledScan(long timeoutMs) throws InterruptedException {
    scanThread.join(Math.max(1, timeoutMs));
  }

  // ---- exec events -------------------------------------------------------------------------

  private void onRecord(MemorySegment record) {
    // a process is held only with an exec event: sweep (for the hold timeout) while one is handled
    handling = true;
    armSweep();
    try {
      handleRecord(record);
    } finally {
      handling = false;
    }
  }

  private void handleRecord(MemorySegment record) {
    ExecEvent event = ExecEvent.decode(record);
    listener.accept(event);
    int verdict = verdicts.get(event.file());
    if (verdict == ExecVerdicts.UNKNOWN) {
      verdict = examine(event);
      if (verdict != ExecVerdicts.UNKNOWN) {
        verdicts.put(event.file(), verdict);
      }
    }
    LOG.debug("exec {} {} held={} verdict={} after {} ms", event.pid(), event.filename(), event.held(), verdict,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - event.ktimeNs()));
    if (event.held()) {
      if (held.release(event.pid())) {
        resumed.incrementAndGet();
        holdDuration.add(System.nanoTime() - event.ktimeNs());
      }
    }
    if (verdict != ExecVerdicts.PROBED && running) {
      int pid = event.pid();
      long ino = event.file().ino();
      timer.schedule(() -> checkMappings(pid, ino), MAPS_CHECK_MS, TimeUnit.MILLISECONDS);
    }
  }

  /** Examines the file process {@code event.pid()} executes; UNKNOWN when it is gone. */
  private int examine(ExecEvent event) {
    Path exe = Path.of("/proc", Integer.toString(event.pid()), "exe");
    Object fileKey = LibraryDiscovery.fileKey(exe);
    if (fileKey == null) {
      return ExecVerdicts.UNKNOWN; // exited already
    }
    try {
      if ((Long) Files.getAttribute(exe, "unix:ino") != event.file().ino()) {
        return ExecVerdicts.UNKNOWN; // it executed another file since
      }
    } catch (IOException | RuntimeException e) {
      return ExecVerdicts.UNKNOWN;
    }
    examined.incrementAndGet();
    if (registry.isProbed(fileKey)) {
      return ExecVerdicts.PROBED;
    }
    // read through the file's own path when it has one here: it stays readable after the process exits
    Path path = probePath(event.pid(), exe);
    long t0 = System.nanoTime();
    // the hooks' offsets and the BIO accessors' code (socket discovery) in one pass
    java.util.Map<String, ElfSymbols.Function> functions = BioLayout.read(path, TlsProbes.HOOK_FUNCTIONS);
    if (!functions.keySet().containsAll(LibraryDiscovery.REQUIRED)) {
      // unreadable because the process is gone (its /proc path with it)? then no verdict
      return fileKey.equals(LibraryDiscovery.fileKey(path)) ? ExecVerdicts.NO_TLS : ExecVerdicts.UNKNOWN;
    }
    long t1 = System.nanoTime();
    ElfStrings.Found found = ElfStrings.of(path);
    long t2 = System.nanoTime();
    LibraryRegistry.ProbeOutcome outcome =
        registry.probe(fileKey, path, Set.of(event.pid()), Library.ORIGIN_EXEC, found, functions);
    LOG.debug("{}: symbols {} ms, strings {} ms, attach {} ms", path, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000,
        (System.nanoTime() - t2) / 1_000_000);
    switch (outcome) {
      case ATTACHED -> {
        attached.incrementAndGet();
        attachLatency.add(System.nanoTime() - event.ktimeNs());
        return ExecVerdicts.PROBED;
      }
      case ALREADY_PROBED -> {
        return ExecVerdicts.PROBED;
      }
      case FAILED -> {
        lastError = "no function could be probed in " + path;
        return ExecVerdicts.UNREADABLE;
      }
      default -> {
        return ExecVerdicts.UNKNOWN;
      }
    }
  }

  /**
   * The path uprobes are attached by: the file's own path when the process shares the collector's
   * mount namespace (it stays valid after the process exits), else through /proc/PID/root; a
   * deleted file through /proc/PID/exe.
   */
  static Path probePath(int pid, Path exe) {
    try {
      String target = Files.readSymbolicLink(exe).toString();
      if (target.endsWith(" (deleted)") || !target.startsWith("/")) {
        return exe;
      }
      Path proc = Path.of("/proc", Integer.toString(pid));
      if (Files.readSymbolicLink(proc.resolve("ns/mnt")).equals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")))) {
        return Path.of(target);
      }
      return proc.resolve("root").resolve(target.substring(1));
    } catch (IOException | RuntimeException e) {
      return exe;
    }
  }

  /** Probes OpenSSL copies the process mapped since its exec, unless it executed another file since (its own event). */
  private void checkMappings(int pid, long ino) {
    try {
      Object now = Files.getAttribute(Path.of("/proc", Integer.toString(pid), "exe"), "unix:ino");
      if (!Long.valueOf(ino).equals(now)) {
        return;
      }
      registry.rescanProcess(pid);
    } catch (IOException e) {
      // exited
    } catch (RuntimeException e) {
      onFailure(e);
    }
  }

  /**
   * Schedules the sweep in {@value #SWEEP_MS} ms unless it is scheduled. It re-schedules itself
   * while an event is handled or something is held, and otherwise stops until the next exec event
   * arms it again: an idle collector does not wake up for it.
   */
  private void armSweep() {
    if (running && sweepArmed.compareAndSet(false, true)) {
      try {
        timer.schedule(this::sweepExpired, SWEEP_MS, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        sweepArmed.set(false); // closing
      }
    }
  }

  /** Resumes processes held past the hold timeout (the collector was too slow for them). */
  private void sweepExpired() {
    boolean again = true;
    try {
      long due = System.nanoTime() - config.holdTimeout().toNanos();
      held.sweep(due, pid -> {
        holdTimeouts.incrementAndGet();
        resumed.incrementAndGet();
        holdDuration.add(config.holdTimeout().toNanos());
      });
      again = handling || !held.isEmpty();
    } catch (RuntimeException e) {
      onFailure(e);
    }
    sweepArmed.set(false);
    if (again || handling) { // re-checked after disarming: an event that arrived meanwhile re-arms
      armSweep();
    }
  }

  private void onFailure(Throwable failure) {
    lastError = failure.toString();
    LOG.warn("exec watch: {}", failure.toString());
  }

  // ---- installed executables ---------------------------------------------------------------

  private void scanInstalled() {
    long start = System.nanoTime();
    long deadline = start + config.scanBudget().toNanos();
    Set<Object> seen = new java.util.HashSet<>();
    String state = "done";
    try {
      outer:
      for (Path dir : expand(config.scanDirs())) {
        scanDirs.add(dir.toString());
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
          for (Path file : files) {
            if (!running) {
              state = "stopped: collector closed";
              break outer;
            }
            if (System.nanoTime() > deadline) {
              state = "stopped: time budget";
              break outer;
            }
            if (!Files.isRegularFile(file) || !Files.isExecutable(file)) {
              continue;
            }
            Object fileKey = LibraryDiscovery.fileKey(file);
            if (fileKey == null || !seen.add(fileKey)) {
              continue;
            }
            if (scanFiles.incrementAndGet() > config.scanMaxFiles()) {
              scanFiles.decrementAndGet();
              state = "stopped: file limit";
              break outer;
            }
            examineInstalled(file, fileKey);
          }
        } catch (IOException | RuntimeException e) {
          // an unreadable directory: skip it
        }
      }
    } finally {
      scanState = state;
      scanDurationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }
    log.info("installed executables: " + scanFiles.get() + " files in " + scanDirs.size() + " directories examined in "
        + scanDurationMs + " ms (" + state + "), " + scanWithTls.get() + " with their own TLS copy"
        + (scanFound.isEmpty() ? "" : " " + scanFound) + ", " + scanProbed.get() + " probed now");
  }

  private void examineInstalled(Path file, Object fileKey) {
    java.util.Optional<ExecKey> key = ExecKey.of(file);
    if (key.isEmpty() || verdicts.get(key.get()) != ExecVerdicts.UNKNOWN) {
      return;
    }
    int verdict;
    if (registry.isProbed(fileKey)) {
      verdict = ExecVerdicts.PROBED;
    } else {
      scanExamined.incrementAndGet();
      java.util.Map<String, ElfSymbols.Function> functions = BioLayout.read(file, TlsProbes.HOOK_FUNCTIONS);
      if (functions.keySet().containsAll(LibraryDiscovery.REQUIRED)) {
        scanWithTls.incrementAndGet();
        Path real;
        try {
          real = file.toRealPath();
        } catch (IOException e) {
          real = file;
        }
        scanFound.add(real.toString());
        LibraryRegistry.ProbeOutcome outcome =
            registry.probe(fileKey, real, Set.of(), Library.ORIGIN_INSTALLED, ElfStrings.of(real), functions);
        if (outcome == LibraryRegistry.ProbeOutcome.ATTACHED) {
          scanProbed.incrementAndGet();
        }
        verdict = outcome == LibraryRegistry.ProbeOutcome.FAILED ? ExecVerdicts.UNREADABLE : ExecVerdicts.PROBED;
        if (outcome == LibraryRegistry.ProbeOutcome.CLOSED) {
          return;
        }
      } else {
        verdict = ExecVerdicts.NO_TLS;
      }
    }
    verdicts.put(key.get(), verdict);
  }

  /** The directories, a {@code *} component matching every directory there; each real directory once. */
  static List<Path> expand(List<Path> dirs) {
    Set<Path> result = new LinkedHashSet<>();
    for (Path dir : dirs) {
      List<Path> matches = new ArrayList<>();
      matches.add(Path.of("/"));
      for (Path component : dir) {
        List<Path> next = new ArrayList<>();
        for (Path base : matches) {
          if (component.toString().equals("*")) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(base, Files::isDirectory)) {
              children.forEach(next::add);
            } catch (IOException | RuntimeException e) {
              // not there
            }
          } else {
            next.add(base.resolve(component.toString()));
          }
        }
        matches = next;
      }
      for (Path match : matches) {
        try {
          if (Files.isDirectory(match)) {
            result.add(match.toRealPath());
          }
        } catch (IOException e) {
          // vanished
        }
      }
    }
    return new ArrayList<>(result);
  }

  // ---- status ------------------------------------------------------------------------------

  /** What {@code /status} shows. */
  public ExecWatchStatus status() {
    long[] kernel = kernelCounts();
    String state = scanState;
    Process guardProcess = guard;
    return new ExecWatchStatus(true, holdText, guardProcess == null ? -1 : guardProcess.pid(),
        new ExecWatchStatus.InstalledScan(state, List.copyOf(scanDirs), scanFiles.get(), scanExamined.get(),
            scanWithTls.get(), scanProbed.get(),
            state.equals("running") ? 0 : scanDurationMs, List.copyOf(scanFound)),
        kernel[COUNT_SEEN], kernel[COUNT_KNOWN], kernel[COUNT_REPORTED], examined.get(), attached.get(),
        kernel[COUNT_HELD], resumed.get(), holdTimeouts.get(), kernel[COUNT_TTY], kernel[COUNT_HELD_FULL],
        kernel[COUNT_RING_FULL], attachLatency.summary(), holdDuration.summary(), lastError);
  }

  private long[] kernelCounts() {
    long[] frozen = frozenCounts;
    if (frozen != null) {
      return frozen;
    }
    long[] values = new long[8];
    try {
      for (int i = 0; i < values.length; i++) {
        values[i] = counts.sum(i);
      }
    } catch (RuntimeException e) {
      // closing: zeros
    }
    return values;
  }

  /** Tells {@code value} every exec event before it is handled (tests). */
  void listener(java.util.function.Consumer<ExecEvent> value) {
    listener = value;
  }

  /** The verdict cache (tests). */
  ExecVerdicts verdicts() {
    return verdicts;
  }

  /** The hold guard process (for tests), or null when not holding. */
  Process guard() {
    return guard;
  }

  /**
   * Stops holding, detaches the tracepoint, resumes every held process, stops the threads, lets
   * the guard exit and unloads the object. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    running = false;
    try {
      setting(SETTING_HOLD, 0);
    } catch (RuntimeException e) {
      // the sweep below still resumes what is held
    }
    if (link != null) {
      link.close();
      link = null;
    }
    timer.shutdownNow();
    ring.stop();
    try {
      scanThread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    held.sweep(Long.MAX_VALUE, pid -> resumed.incrementAndGet());
    frozenCounts = kernelCounts();
    ring.close();
    Process guardProcess = guard;
    if (guardProcess != null) {
      try {
        guardProcess.getOutputStream().close(); // EOF: the guard sweeps (nothing left) and exits
        if (!guardProcess.waitFor(5, TimeUnit.SECONDS)) {
          guardProcess.destroyForcibly();
        }
      } catch (IOException | InterruptedException e) {
        guardProcess.destroyForcibly();
      }
    }
    holdDecided.countDown();
    object.close();
  }

  /** The last {@value #SAMPLES} latencies, in nanoseconds. */
  static final class LatencyWindow {
    static final int SAMPLES = 1024;
    private final long[] samples = new long[SAMPLES];
    private long count;

    synchronized void add(long nanos) {
      samples[(int) (count++ % SAMPLES)] = Math.max(0, nanos);
    }

    synchronized ExecWatchStatus.Latency summary() {
      int n = (int) Math.min(count, SAMPLES);
      if (n == 0) {
        return ExecWatchStatus.Latency.NONE;
      }
      long[] sorted = Arrays.copyOf(samples, n);
      Arrays.sort(sorted);
      return new ExecWatchStatus.Latency(count, millis(sorted[percentileIndex(n, 0.50)]),
          millis(sorted[percentileIndex(n, 0.99)]), millis(sorted[n - 1]));
    }

    static int percentileIndex(int n, double p) {
      return Math.min(n - 1, (int) Math.ceil(p * n) - 1 < 0 ? 0 : (int) Math.ceil(p * n) - 1);
    }

    private static double millis(long nanos) {
      return Math.round(nanos / 1_000.0) / 1_000.0;
    }
  }
}
