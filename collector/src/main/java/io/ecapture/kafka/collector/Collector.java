package io.ecapture.kafka.collector;

import io.ecapture.kafka.collector.libbpf.LibBpfException;
import io.ecapture.kafka.collector.libbpf.MapKeys;
import io.ecapture.kafka.collector.libbpf.PerCpuCounters;
import io.ecapture.kafka.collector.libbpf.RingBuffer;
import io.ecapture.kafka.proto.capture.LogLevel;
import io.ecapture.kafka.proto.capture.ProcessLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running collector: OpenSSL probes attached, one thread draining the kernel ring buffer into
 * a {@link CaptureSink} (Kafka by default).
 *
 * <p>{@link #start} returns once every probe is attached, so traffic from then on is captured.
 * {@link #close} detaches the probes, drains what the ring buffer still holds, unloads the BPF
 * object and flushes the sink.
 */
public final class Collector implements AutoCloseable {
  /** Component name in process logs. */
  public static final String COMPONENT = "collector";

  private static final Logger LOG = LoggerFactory.getLogger(Collector.class);
  /** Back-off after a failed poll. */
  private static final int POLL_RETRY_MS = 50;
  /** MAX_CONNECTIONS of tlscapture.h: the size of the kernel's connection map. */
  private static final long MAX_TRACKED_CONNECTIONS = 65536;

  private final CollectorConfig config;
  private final CollectorStats stats;
  private final CaptureSink sink;
  private final TlsProbes probes;
  private final RingBuffer ringBuffer;
  private final Thread pollThread;
  private StatusServer statusServer;
  private volatile boolean running = true;
  private boolean closed;
  private volatile CaptureFilter filter;
  private final RawEventDecoder decoder;
  /** Every probed file in bpf_cookie order: the configured ones, then discovered ones. */
  private final List<Path> probedPaths = new ArrayList<>();
  private final LibraryDiscovery discovery = new LibraryDiscovery(Path.of("/proc"));
  /** Discovered files (by device and inode) -> index into {@link #libraries}. */
  private final java.util.Map<Object, Integer> discovered = new java.util.HashMap<>();
  private java.util.concurrent.ScheduledExecutorService discoveryTimer;
  private long reportedKernelDrops;
  private long reportedSendErrors;

  private Collector(CollectorConfig config, CollectorStats stats, CaptureSink sink, TlsProbes probes) {
    this.config = config;
    this.stats = stats;
    this.sink = sink;
    this.probes = probes;
    this.filter = config.filter();
    this.decoder = new RawEventDecoder(config.hostId(), MonotonicClock.measure(), config.libsslPaths());
    this.probedPaths.addAll(config.libsslPaths());
    RecordProcessor processor =
        new RecordProcessor(
            decoder,
            stats,
            sink,
            warning -> log(LogLevel.WARN, warning));
    this.ringBuffer = new RingBuffer(probes.eventsMapFd(), processor::onRecord);
    PerCpuCounters drops = new PerCpuCounters(probes.dropCountsMapFd());
    MapKeys connections = new MapKeys(probes.connectionsMapFd(), Long.BYTES);
    stats.attachKernelCounters(
        index -> index == CollectorStats.KernelCounters.TRACKED_CONNECTIONS
            ? connections.count(MAX_TRACKED_CONNECTIONS)
            : drops.sum(index));
    this.pollThread = Thread.ofPlatform().name("collector-ringbuf").daemon().unstarted(this::pollLoop);
  }

  /**
   * Starts a collector producing to Kafka ({@code config.bootstrapServers()}).
   *
   * @throws CollectorStartException when eBPF cannot load (not root, no BTF) or no probe attaches
   */
  public static Collector start(CollectorConfig config) {
    return start(config, stats -> defaultSink(config, stats));
  }

  /** The on-disk spool in front of Kafka, or Kafka directly when the spool is disabled. */
  static CaptureSink defaultSink(CollectorConfig config, CollectorStats stats) {
    return config.spool().enabled() ? new SpoolingKafkaSink(config, stats) : new KafkaCaptureSink(config, stats);
  }

  /**
   * Starts a collector delivering to the sink {@code sinkFactory} makes (given the stats it should
   * update with send outcomes). The collector owns the sink and closes it.
   *
   * @throws CollectorStartException when eBPF cannot load (not root, no BTF) or no probe attaches
   */
  public static Collector start(CollectorConfig config, Function<CollectorStats, CaptureSink> sinkFactory) {
    CollectorStats stats = new CollectorStats();
    TlsProbes probes;
    try {
      probes = TlsProbes.load(config.ringBufferBytes());
    } catch (LibBpfException e) {
      throw new CollectorStartException("cannot load the eBPF programs: " + e.getMessage(), e);
    }
    CaptureSink sink = null;
    Collector collector = null;
    try {
      sink = sinkFactory.apply(stats);
      collector = new Collector(config, stats, sink, probes);
      collector.applyNetnsFilter();
      probes.applyFilter(config.filter());
      collector.attachAll();
      collector.startDiscovery();
      collector.startStatusServer();
      collector.pollThread.start();
      return collector;
    } catch (RuntimeException e) {
      if (collector != null) {
        collector.ringBuffer.close(); // before the object that owns its map
      }
      probes.close();
      if (sink != null) {
        sink.close();
      }
      throw e instanceof CollectorStartException ? e : new CollectorStartException("collector start failed: " + e.getMessage(), e);
    }
  }

  private void applyNetnsFilter() {
    if (config.netns().isEmpty()) {
      return;
    }
    Path netns = config.netns().get();
    long inode;
    try {
      inode = (Long) Files.getAttribute(netns, "unix:ino");
    } catch (IOException | UnsupportedOperationException e) {
      throw new CollectorStartException("cannot read the network namespace " + netns + ": " + e, e);
    }
    probes.filterNetns(inode);
    log(LogLevel.INFO, "capturing only processes in network namespace " + netns + " (inode " + inode + ")");
  }

  /**
   * A probed file.
   *
   * @param path where it was probed (for discovered files, through /proc/PID/root, or
   *     /proc/PID/map_files for a file deleted after it was mapped)
   * @param version its OpenSSL release ("unknown" when no version string was found)
   * @param keyCapture whether TLS keys are read from it (only for versions in {@link OpenSslOffsets})
   * @param discovered found by the /proc scan rather than configured
   * @param pids processes that mapped it at the last scan (discovered files only)
   * @param kind "openssl" or "boringssl" (key capture is always off for BoringSSL: other structs)
   */
  public record Library(
      Path path, String version, boolean keyCapture, boolean discovered, java.util.Set<Integer> pids, String kind) {
    public Library(Path path, String version, boolean keyCapture, boolean discovered, java.util.Set<Integer> pids) {
      this(path, version, keyCapture, discovered, pids, TlsLibraryKind.OPENSSL.label());
    }

    private String keyCaptureJson() {
      if (keyCapture) {
        return "\"on\"";
      }
      return TlsLibraryKind.BORINGSSL.label().equals(kind)
          ? "\"off: BoringSSL (struct layout unknown)\""
          : "\"off: unsupported OpenSSL version\"";
    }

    String json() {
      return "{\"path\":\"" + path.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\",\"kind\":\"" + kind
          + "\",\"version\":\"" + version
          + "\",\"keyCapture\":" + keyCaptureJson()
          + ",\"origin\":\"" + (discovered ? "discovered" : "configured") + "\",\"pids\":"
          + new java.util.TreeSet<>(pids).toString().replace(" ", "") + "}";
    }

    Library withPids(java.util.Set<Integer> value) {
      return new Library(path, version, keyCapture, discovered, java.util.Set.copyOf(value), kind);
    }
  }

  private volatile List<Library> libraries = List.of();

  /** The probed libraries with their detected OpenSSL version and key-capture state. */
  public List<Library> libraries() {
    return libraries;
  }

  private void configureKeyCapture() {
    List<Library> found = new ArrayList<>();
    List<Path> paths = config.libsslPaths();
    if (paths.size() > TlsProbes.MAX_LIBRARIES) {
      throw new CollectorStartException("at most " + TlsProbes.MAX_LIBRARIES + " libraries can be probed", null);
    }
    for (int index = 0; index < paths.size(); index++) {
      String version = OpenSslVersion.of(paths.get(index)).orElse("unknown");
      java.util.Optional<OpenSslOffsets> offsets = OpenSslOffsets.forVersion(version);
      probes.configureKeyCapture(index, offsets);
      found.add(new Library(paths.get(index), version, offsets.isPresent(), false, java.util.Set.of()));
      if (offsets.isPresent()) {
        log(LogLevel.INFO, "TLS key capture on for " + paths.get(index) + " (OpenSSL " + version + ")");
      } else {
        log(LogLevel.WARN, "TLS key capture off for " + paths.get(index) + ": unsupported OpenSSL version "
            + version + " (no struct offsets known for it; plaintext capture is not affected)");
      }
    }
    libraries = List.copyOf(found);
  }

  private void attachAll() {
    configureKeyCapture();
    List<String> failures = new ArrayList<>();
    List<String> report = new ArrayList<>();
    int attached = probes.reattach(probedPaths, filter.pids(), report, failures);
    report.forEach(line -> log(LogLevel.INFO, line));
    for (String failure : failures) {
      log(LogLevel.WARN, "attach failed: " + failure);
    }
    if (attached == 0) {
      log(LogLevel.ERROR, "no OpenSSL function could be probed in " + config.libsslPaths());
      throw new CollectorStartException(
          "no OpenSSL function could be probed in " + config.libsslPaths() + ": " + failures, null);
    }
    log(LogLevel.INFO, "collector started: host " + config.hostId() + ", " + attached
        + " OpenSSL functions probed, ring buffer " + config.ringBufferBytes() + " bytes, filter " + filter.toJson());
  }

  /**
   * Scans /proc once for OpenSSL copies not probed yet (private libssl files, statically linked
   * programs defining SSL_write/SSL_read) and attaches to them; runs by itself every {@code
   * discoveryInterval}. Key capture is enabled only for shared libraries of a known version:
   * statically linked builds may be patched (e.g. QUIC forks) with other struct layouts.
   *
   * @return the number of files newly probed
   */
  public synchronized int rescanProcesses() {
    if (closed) {
      return 0;
    }
    int added = 0;
    List<Library> updated = new ArrayList<>(libraries);
    for (int i = 0; i < updated.size(); i++) {
      if (updated.get(i).discovered()) {
        updated.set(i, updated.get(i).withPids(java.util.Set.of()));
      }
    }
    for (LibraryDiscovery.Found found : discovery.scan()) {
      Integer index = discovered.get(found.fileKey());
      if (index == null) {
        if (probedPaths.size() >= TlsProbes.MAX_LIBRARIES) {
          LOG.warn("not probing {}: {} libraries already probed", found.path(), TlsProbes.MAX_LIBRARIES);
          continue;
        }
        index = probedPaths.size();
        TlsLibraryKind kind = TlsLibraryKind.of(found.path());
        String version = OpenSslVersion.of(found.path()).orElse("unknown");
        java.util.Optional<OpenSslOffsets> offsets = found.sharedLibrary() && kind == TlsLibraryKind.OPENSSL
            ? OpenSslOffsets.forVersion(version) : java.util.Optional.empty();
        decoder.addLibrary(kind.label(), found.path());
        probedPaths.add(found.path());
        probes.configureKeyCapture(index, offsets);
        List<String> failures = new ArrayList<>();
        List<String> report = probes.attachLibrary(found.path(), index, filter.pids(), failures);
        failures.forEach(failure -> log(LogLevel.WARN, "attach failed: " + failure));
        log(LogLevel.INFO, "discovered " + kind.label() + " " + version + " in " + found.path() + " (pids " + found.pids()
            + "): " + report.size() + " functions probed, key capture "
            + (offsets.isPresent() ? "on" : kind == TlsLibraryKind.BORINGSSL ? "off (BoringSSL)" : "off"));
        discovered.put(found.fileKey(), index);
        updated.add(new Library(found.path(), version, offsets.isPresent(), true, found.pids(), kind.label()));
        added++;
      } else {
        updated.set(index, updated.get(index).withPids(found.pids()));
      }
    }
    libraries = List.copyOf(updated);
    return added;
  }

  private void startDiscovery() {
    discovery.exclude(config.libsslPaths());
    if (config.discoveryInterval().isZero()) {
      return;
    }
    discoveryTimer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("collector-discovery").daemon().factory());
    long periodMs = config.discoveryInterval().toMillis();
    discoveryTimer.scheduleWithFixedDelay(
        () -> {
          try {
            rescanProcesses();
          } catch (RuntimeException e) {
            LOG.warn("process discovery failed: {}", e.toString());
          }
        },
        0, periodMs, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** The process filter in force. */
  public CaptureFilter filter() {
    return filter;
  }

  /**
   * Changes which processes are captured, effective for SSL calls that start after it returns.
   * With a pid filter the uprobes are attached per process (others pay no trap at all); without,
   * for every process.
   *
   * @throws IllegalStateException when the collector is closed
   * @throws CollectorStartException when no probe attaches for the new pids (the old filter and
   *     probes stay)
   */
  public synchronized void updateFilter(CaptureFilter next) {
    if (closed) {
      throw new IllegalStateException("collector closed");
    }
    CaptureFilter previous = filter;
    if (!previous.pids().equals(next.pids())) {
      List<String> failures = new ArrayList<>();
      List<String> report = new ArrayList<>();
      // narrow the kernel filter first so a wider probe set never captures excluded processes
      probes.applyFilter(next);
      if (probes.reattach(probedPaths, next.pids(), report, failures) == 0) {
        probes.applyFilter(previous);
        probes.reattach(probedPaths, previous.pids(), new ArrayList<>(), new ArrayList<>());
        throw new CollectorStartException("no OpenSSL function could be probed for pids " + next.pids() + ": " + failures, null);
      }
      failures.forEach(failure -> log(LogLevel.WARN, "attach failed: " + failure));
    } else {
      probes.applyFilter(next);
    }
    filter = next;
    log(LogLevel.INFO, "capture filter now " + next.toJson() + " (" + probes.uprobeCount() + " uprobes)");
  }

  // The endpoint is a convenience: a port in use must not stop the capture.
  private void startStatusServer() {
    if (config.statusPort() == CollectorConfig.STATUS_DISABLED) {
      return;
    }
    try {
      statusServer = StatusServer.start(config.statusPort(), config.hostId(), stats::snapshot, new StatusServer.FilterControl() {
        @Override
        public CaptureFilter current() {
          return filter;
        }

        @Override
        public void update(CaptureFilter next) {
          updateFilter(next);
        }

        @Override
        public String probesJson() {
          return libraries.stream().map(Library::json).collect(java.util.stream.Collectors.joining(",", "[", "]"));
        }
      });
      log(LogLevel.INFO, "status on http://127.0.0.1:" + statusServer.port() + "/status and /metrics");
    } catch (java.io.IOException e) {
      log(LogLevel.WARN, "status endpoint not started on port " + config.statusPort() + ": " + e.getMessage());
    }
  }

  /** Port of the HTTP status/metrics endpoint on 127.0.0.1, or -1 when it is not running. */
  public int statusPort() {
    StatusServer server = statusServer;
    return server == null ? -1 : server.port();
  }

  /** Current counters (kernel drop counters read live). */
  public CollectorStats.Snapshot stats() {
    return stats.snapshot();
  }

  /** The configuration this collector runs with. */
  public CollectorConfig config() {
    return config;
  }

  private void pollLoop() {
    int drainMs = (int) config.drainInterval().toMillis();
    long intervalNs = config.statsInterval().toNanos();
    long nextStats = System.nanoTime() + intervalNs;
    while (running) {
      try {
        ringBuffer.poll(drainMs);
        // the kernel side wakes us only when the ring fills up (see wakeup_flags in
        // tlscapture.bpf.c), and poll only drains rings that signalled: drain the rest here
        ringBuffer.consume();
      } catch (RuntimeException e) {
        log(LogLevel.ERROR, "ring buffer poll failed: " + e.getMessage());
        sleepQuietly();
      }
      if (System.nanoTime() - nextStats >= 0) {
        nextStats += intervalNs;
        reportStats();
      }
    }
  }

  private void reportStats() {
    CollectorStats.Snapshot snapshot = stats.snapshot();
    LOG.info("collector stats: {}", snapshot.summary());
    if (snapshot.droppedInKernel() > reportedKernelDrops) {
      log(LogLevel.WARN, "kernel ring buffer full: " + (snapshot.droppedInKernel() - reportedKernelDrops)
          + " records lost since last report (" + snapshot.droppedInKernel() + " total)");
      reportedKernelDrops = snapshot.droppedInKernel();
    }
    if (snapshot.sendErrors() > reportedSendErrors) {
      log(LogLevel.WARN, (snapshot.sendErrors() - reportedSendErrors)
          + " records failed to reach Kafka since last report (" + snapshot.sendErrors() + " total)");
      reportedSendErrors = snapshot.sendErrors();
    }
  }

  private void log(LogLevel level, String message) {
    switch (level) {
      case WARN -> LOG.warn(message);
      case ERROR -> LOG.error(message);
      default -> LOG.info(message);
    }
    Instant now = Instant.now();
    try {
      sink.log(
          ProcessLog.newBuilder()
              .setHostId(config.hostId())
              .setComponent(COMPONENT)
              .setWallTimeNs(now.getEpochSecond() * 1_000_000_000L + now.getNano())
              .setLevel(level)
              .setMessage(message)
              .build());
    } catch (RuntimeException e) {
      LOG.warn("process log not delivered: {}", e.toString());
    }
  }

  private static void sleepQuietly() {
    try {
      Thread.sleep(POLL_RETRY_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    StatusServer server;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      running = false;
      server = statusServer;
    }
    if (server != null) {
      server.close(); // outside the lock: a POST /config in progress may be waiting for it
    }
    if (discoveryTimer != null) {
      discoveryTimer.shutdownNow();
    }
    try {
      pollThread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    probes.detach();
    try {
      ringBuffer.consume(); // what the kernel wrote before the probes went away
    } catch (RuntimeException e) {
      LOG.warn("final ring buffer drain failed: {}", e.toString());
    }
    CollectorStats.Snapshot last = stats.snapshot();
    // the map goes away with the object: keep its last values readable
    long[] kernel = new long[EventLayout.KERNEL_COUNTERS];
    for (int index = 0; index < kernel.length; index++) {
      kernel[index] = stats.kernelCounter(index);
    }
    stats.attachKernelCounters(index -> index >= 0 && index < kernel.length ? kernel[index] : 0);
    ringBuffer.close();
    probes.close();
    log(LogLevel.INFO, "collector stopped: " + last.summary());
    sink.close(); // flushes, bounded: a broker that is down must not hang the shutdown
  }
}
