package io.ecapture.kafka.collector;

import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.collector.control.CollectorStatus;
import io.ecapture.kafka.collector.control.StatsReporter;
import io.ecapture.kafka.collector.control.StatusServer;
import io.ecapture.kafka.collector.control.ControlToken;
import io.ecapture.kafka.collector.control.PrivateFiles;
import io.ecapture.kafka.collector.decode.MonotonicClock;
import io.ecapture.kafka.collector.decode.RawEventDecoder;
import io.ecapture.kafka.collector.decode.RecordProcessor;
import io.ecapture.kafka.collector.identity.CgroupMount;
import io.ecapture.kafka.collector.identity.WorkloadResolver;
import io.ecapture.kafka.collector.libbpf.LibBpfException;
import io.ecapture.kafka.collector.libbpf.RingBufferReader;
import io.ecapture.kafka.collector.packets.LearningSink;
import io.ecapture.kafka.collector.packets.PacketCapture;
import io.ecapture.kafka.collector.packets.PacketPublisher;
import io.ecapture.kafka.collector.control.ExecWatchStatus;
import io.ecapture.kafka.collector.probe.AttachException;
import io.ecapture.kafka.collector.probe.ExecWatch;
import io.ecapture.kafka.collector.probe.Library;
import io.ecapture.kafka.collector.probe.LibraryRegistry;
import io.ecapture.kafka.collector.probe.ProcessFilter;
import io.ecapture.kafka.collector.probe.TlsProbes;
import io.ecapture.kafka.collector.probe.gotls.GoTlsCaptureModule;
import io.ecapture.kafka.collector.probe.gotls.GoTlsModule;
import io.ecapture.kafka.collector.sink.CaptureSink;
import io.ecapture.kafka.collector.sink.KafkaCaptureSink;
import io.ecapture.kafka.collector.sink.ProcessLogger;
import io.ecapture.kafka.collector.sink.SpoolingKafkaSink;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running collector: OpenSSL probes attached, one thread draining the kernel ring buffer into
 * a {@link CaptureSink} (Kafka by default). This class is the lifecycle only: it starts the parts
 * in order and stops them in reverse. The parts: {@link TlsProbes} (the BPF object), {@link
 * LibraryRegistry} (which files are probed, rescans), {@link ExecWatch} (exec-time attach: installed
 * executables and new processes with their own TLS copy), {@link ProcessFilter} (the process filter),
 * {@link RecordProcessor} (ring-buffer records to events), the sink, {@link StatsReporter} and
 * the {@link StatusServer}.
 *
 * <p>{@link #start} returns once every probe is attached, so traffic from then on is captured.
 * {@link #close} detaches the probes, drains what the ring buffer still holds, unloads the BPF
 * object and flushes the sink.
 */
public final class Collector implements AutoCloseable {
  /** Component name in process logs. */
  public static final String COMPONENT = ProcessLogger.COMPONENT;

  private static final Logger LOG = LoggerFactory.getLogger(Collector.class);
  /** Back-off after a failed poll. */
  private static final int POLL_RETRY_MS = 50;
  /** Quiet time after which the ring-buffer thread sleeps until the kernel wakes it. */
  static final long SLEEP_AFTER_MS = 1_000;
  /** Its poll timeout while it sleeps (also how long {@link #close} may wait for it). */
  static final int SLEEP_POLL_MS = 1_000;
  /** At most one log line per this many ns about ring-buffer records whose handler threw. */
  private static final long HANDLER_FAILURE_LOG_NS = 10_000_000_000L;

  private final CollectorConfig config;
  private final CollectorStats stats;
  private final CaptureSink sink;
  private final ProcessLogger processLog;
  private final TlsProbes probes;
  private final RingBufferReader ringBuffer;
  private final LibraryRegistry registry;
  private final ProcessFilter filter;
  private final WorkloadResolver workloads;
  private final StatsReporter reporter;
  /** The packets module, or null when no interface was chosen. */
  private final PacketCapture packets;
  private final PacketPublisher packetPublisher;
  private final RawEventDecoder decoder;
  /** The Go crypto/tls module ({@code gotls} of {@code --modules}). */
  private final GoTlsCaptureModule gotls;
  /** The capture modules beyond OpenSSL ({@code --modules}) and their status. */
  private final io.ecapture.kafka.collector.probe.CaptureModules modules;
  private final boolean tlsEnabled;
  private volatile StatusServer statusServer;
  /** Exec-time attach; null when off or when it could not start (then {@link #execWatchOff} says why). */
  private volatile ExecWatch execWatch;
  private volatile String execWatchOff = "disabled (--no-exec-watch)";
  /** What a request changing capture must present; null when the status endpoint is off. */
  private final ControlToken token;
  private long lastHandlerFailureLogNs = System.nanoTime() - HANDLER_FAILURE_LOG_NS;
  private boolean closed;

  private Collector(CollectorConfig config, CollectorStats stats, CaptureSink sink, TlsProbes probes,
      ControlToken token, PacketCapture packets, PacketPublisher packetPublisher) {
    this.config = config;
    this.packets = packets;
    this.packetPublisher = packetPublisher;
    this.token = token;
    this.stats = stats;
    this.sink = sink;
    this.probes = probes;
    this.processLog = new ProcessLogger(LOG, config.hostId(), sink);
    this.workloads = new WorkloadResolver(CgroupMount.detect(), config.identity());
    RawEventDecoder decoder =
        new RawEventDecoder(config.hostId(), MonotonicClock.measure(), config.libsslPaths(), workloads);
    this.decoder = decoder;
    // with the packets module, the connections the probes decode also steer the TC capture
    RecordProcessor processor = new RecordProcessor(
        decoder, stats, packets == null ? sink : new LearningSink(sink, packets), processLog::warn);
    // an exception in the upcall is counted and skipped; the thread goes on draining
    this.ringBuffer = RingBufferReader.builder(probes.eventsMapFd(), processor::onRecord).thread("collector-ringbuf")
        .drain(new Drainer()).retryMs(POLL_RETRY_MS).onHandlerFailure(this::onHandlerFailure)
        .onPollFailure(e -> processLog.error("ring buffer poll failed: " + e.getMessage())).build();
    stats.attachRingBuffer(ringBuffer::handlerFailures);
    stats.attachKernelCounters(probes.kernelCounters());
    this.registry = new LibraryRegistry(probes, config.libsslPaths(), processLog, decoder::addLibrary);
    this.filter = new ProcessFilter(probes, registry, config.filter(), processLog, workloads.mount());
    this.reporter = new StatsReporter(stats::snapshot, config.statsInterval(), LOG, processLog::warn);
    this.tlsEnabled = io.ecapture.kafka.collector.probe.CaptureModules.tlsWanted(config.modules());
    this.gotls = new GoTlsCaptureModule(probes, config.gotls(), decoder::nameGoBinary, config.discoveryInterval(),
        decoder::goDataEvents);
    this.modules = io.ecapture.kafka.collector.probe.CaptureModules.create(config.modules(), this::tlsStatus,
        List.of(gotls));
  }

  /** The OpenSSL path as a module in {@code /status}. */
  private io.ecapture.kafka.collector.probe.ModuleStatus tlsStatus() {
    if (!tlsEnabled) {
      return io.ecapture.kafka.collector.probe.ModuleStatus.disabled("tls", "not selected by --modules");
    }
    List<String> where = registry.libraries().stream().map(l -> l.path().toString()).toList();
    return new io.ecapture.kafka.collector.probe.ModuleStatus("tls", true, !where.isEmpty(), where,
        where.isEmpty() ? "no OpenSSL library probed" : "",
        Math.max(0, stats.snapshot().captured() - modules.moduleEvents()));
  }

  /**
   * Starts a collector producing to Kafka ({@code config.bootstrapServers()}) through {@link
   * #defaultSink}.
   *
   * @throws CollectorStartException when eBPF cannot load (not root, no BTF) or no probe attaches
   */
  public static Collector start(CollectorConfig config) {
    return start(config, stats -> defaultSink(config, stats));
  }

  /**
   * The production sink of {@code config}: the on-disk spool in front of Kafka ({@link
   * SpoolingKafkaSink}), or Kafka directly ({@link KafkaCaptureSink}) when the spool is disabled.
   */
  public static CaptureSink defaultSink(CollectorConfig config, CollectorStats stats) {
    // the spool's directory: the configured one or <data dir>/spool/<host id>
    return config.spool().enabled()
        ? new SpoolingKafkaSink(config.producerSettings(),
            config.spool().toBuilder().directory(config.spoolDirectory()).build(), stats)
        : new KafkaCaptureSink(config.producerSettings(), stats);
  }

  /**
   * Starts a collector delivering to the sink {@code sinkFactory} makes (given the stats it should
   * update with send outcomes). The collector owns the sink and closes it.
   *
   * @throws CollectorStartException when eBPF cannot load (not root, no BTF) or no probe attaches
   */
  public static Collector start(CollectorConfig config, Function<CollectorStats, CaptureSink> sinkFactory) {
    CollectorStats stats = new CollectorStats();
    ControlToken token = controlToken(config);
    TlsProbes probes;
    try {
      probes = TlsProbes.load(config.ringBufferBytes());
    } catch (LibBpfException e) {
      throw new CollectorStartException("cannot load the eBPF programs: " + e.getMessage(), e);
    }
    CaptureSink sink = null;
    Collector collector = null;
    PacketPublisher packetPublisher = null;
    PacketCapture packets = null;
    try {
      sink = sinkFactory.apply(stats);
      if (config.packets().enabled()) {
        packetPublisher = new PacketPublisher(config.producerSettings());
        packets = startPackets(config, packetPublisher, sink);
      }
      collector = new Collector(config, stats, sink, probes, token, packets, packetPublisher);
      collector.startCapture();
      return collector;
    } catch (RuntimeException e) {
      if (collector != null) {
        if (collector.execWatch != null) {
          collector.execWatch.close();
        }
        collector.modules.close();
        collector.registry.close();
        collector.ringBuffer.close(); // before the object that owns its map
      }
      if (packets != null) {
        packets.close();
      }
      if (packetPublisher != null) {
        packetPublisher.close();
      }
      probes.close();
      if (sink != null) {
        sink.close();
      }
      if (e instanceof CollectorStartException) {
        throw e;
      }
      throw e instanceof AttachException
          ? new CollectorStartException(e.getMessage(), e)
          : new CollectorStartException("collector start failed: " + e.getMessage(), e);
    }
  }

  /** The packets module of {@code config}, its messages logged like the collector's own. */
  private static PacketCapture startPackets(CollectorConfig config, PacketPublisher publisher, CaptureSink sink) {
    ProcessLogger log = new ProcessLogger(LOG, config.hostId(), sink);
    try {
      return PacketCapture.start(config.packets(), config.hostId(), MonotonicClock.measure(),
          new PacketCapture.Output() {
            @Override
            public void publish(io.ecapture.kafka.proto.capture.PacketRecord record) {
              publisher.publish(record);
            }

            @Override
            public long sent() {
              return publisher.sent();
            }

            @Override
            public long sendErrors() {
              return publisher.sendErrors();
            }
          }, log::info, log::warn);
    } catch (IllegalArgumentException | LibBpfException e) {
      throw new CollectorStartException("cannot start the packets module: " + e.getMessage(), e);
    }
  }

  /** Netns and process filter, probes, discovery, the status endpoint, then the ring-buffer thread. */
  private void startCapture() {
    if (config.netns().isPresent()) {
      Path netns = config.netns().get();
      long inode;
      try {
        inode = probes.filterNetns(netns);
      } catch (IOException | UnsupportedOperationException e) {
        throw new CollectorStartException("cannot read the network namespace " + netns + ": " + e, e);
      }
      processLog.info("capturing only processes in network namespace " + netns + " (inode " + inode + ")");
    }
    try {
      filter.apply();
    } catch (IllegalArgumentException e) {
      throw new CollectorStartException("bad capture filter: " + e.getMessage(), e);
    }
    workloads.scanNow();
    processLog.info(workloads.mount()
        .map(m -> "workload identity: cgroup2 at " + m.path() + " (" + workloads.status().knownCgroups()
            + " cgroups), pod names from " + config.identity().podLogRoot())
        .orElse("workload identity: no cgroup2 mount in /proc/mounts, events carry only their cgroup id"));
    int attached = 0;
    if (tlsEnabled) {
      attached = registry.attachConfigured(config.filter().pids());
    } else {
      processLog.info("module tls (OpenSSL) not selected by --modules: no OpenSSL probes");
    }
    modules.start(new io.ecapture.kafka.collector.probe.ModuleContext(config.hostId(), MonotonicClock.measure(),
        workloads, event -> {
          stats.onCaptured(event.hasData() ? event.getData().getPayload().size() : 0);
          sink.event(event);
        }, line -> {
          sink.keyLog(line);
          stats.onKeyLogLines(1);
        }, processLog::info, processLog::warn, config.modules(), probes::sharedMapFd));
    processLog.info("collector started: host " + config.hostId() + ", " + attached
        + " OpenSSL functions probed, ring buffer " + config.ringBufferBytes() + " bytes, filter "
        + filter.current().toJson());
    if (tlsEnabled) {
      startExecWatch(); // it probes OpenSSL copies: part of the tls module
      registry.startRescans(config.discoveryInterval());
    }
    startStatusServer();
    ringBuffer.start();
  }

  // Exec-time attach improves coverage; capture works without it (then the /proc rescan finds
  // processes with their own TLS copy), so a kernel refusing it does not stop the collector.
  private void startExecWatch() {
    if (!config.execWatch().enabled()) {
      return;
    }
    try {
      execWatch = ExecWatch.start(config.execWatch(), registry, processLog);
    } catch (LibBpfException | java.io.UncheckedIOException e) {
      execWatchOff = "could not start: " + e.getMessage();
      processLog.warn("exec-time attach off: " + e.getMessage());
    }
  }

  /** Exec-time attach, when on. */
  public java.util.Optional<ExecWatch> execWatch() {
    return java.util.Optional.ofNullable(execWatch);
  }

  /** What {@code /status} says about exec-time attach. */
  public ExecWatchStatus execWatchStatus() {
    ExecWatch watch = execWatch;
    return watch == null ? ExecWatchStatus.off(execWatchOff) : watch.status();
  }

  /** The Go crypto/tls module's state: which Go binaries were found and what attached. */
  public GoTlsModule.Status goTls() {
    return gotls.details();
  }

  /** Scans running processes once for Go binaries to probe; the number newly probed. */
  public int rescanGoBinaries() {
    return gotls.rescan();
  }

  // The endpoint is a convenience: a port in use must not stop the capture.
  private void startStatusServer() {
    if (config.statusPort() == CollectorConfig.STATUS_DISABLED) {
      return;
    }
    CollectorStatus status = new CollectorStatus(
        config.hostId(), stats::snapshot, filter,
        () -> registry.libraries().stream().map(Library::status).toList(),
        probes.socketHooks().description(), sink::kafkaMetrics).identity(workloads::status)
        .execWatch(this::execWatchStatus);
    if (packets != null) {
      status.packets(packets::status);
    }
    status.gotls(this::goTls);
    status.modules(modules::statuses);
    status.onControlRefused(stats::onControlRefused);
    try {
      statusServer = StatusServer.start(config.statusPort(), status, token);
      processLog.info("status on http://127.0.0.1:" + statusServer.port() + "/status and /metrics; "
          + "changes (POST /config, eCapture's POST /tls) need the token in " + token.file());
    } catch (IOException e) {
      processLog.warn("status endpoint not started on port " + config.statusPort() + ": " + e.getMessage());
    }
  }

  /**
   * The control token of {@code config}: read from {@link CollectorConfig#tokenFile()} when given,
   * else generated and written to {@link CollectorConfig#generatedTokenFile()}; null when the status
   * endpoint is off (nothing to protect).
   *
   * @throws CollectorStartException when the token file cannot be read or written
   */
  static ControlToken controlToken(CollectorConfig config) {
    if (config.statusPort() == CollectorConfig.STATUS_DISABLED) {
      return null;
    }
    Path file = config.tokenFile().orElse(config.generatedTokenFile());
    try {
      if (config.tokenFile().isPresent()) {
        return ControlToken.read(file);
      }
      PrivateFiles.directory(config.dataDir());
      return ControlToken.generate(file);
    } catch (IOException | IllegalArgumentException e) {
      throw new CollectorStartException("cannot " + (config.tokenFile().isPresent() ? "read" : "write")
          + " the control token file " + file + ": " + e.getMessage()
          + " (give a readable --token-file, a writable --data-dir, or --status-port -1)", e);
    }
  }

  /** The file holding the token that changes capture, or empty when the status endpoint is off. */
  public java.util.Optional<Path> controlTokenFile() {
    return token == null ? java.util.Optional.empty() : java.util.Optional.ofNullable(token.file());
  }

  /** A handler threw inside the ring-buffer upcall (counted there): say so, at most every 10 s. */
  private void onHandlerFailure(Throwable failure) {
    long now = System.nanoTime();
    if (now - lastHandlerFailureLogNs >= HANDLER_FAILURE_LOG_NS) {
      lastHandlerFailureLogNs = now;
      StackTraceElement[] where = failure.getStackTrace();
      processLog.error("ring-buffer record skipped, its handler failed (further ones counted in "
          + "ringBufferHandlerFailures): " + failure + (where.length > 0 ? " at " + where[0] : ""));
    }
  }

  /** The probed libraries with their detected OpenSSL version and key-capture state. */
  public List<Library> libraries() {
    return registry.libraries();
  }

  /** Whether writes of bio-fd libraries use uprobe sessions (their return probe only when needed). */
  public boolean sessionWrites() {
    return probes.sessionWrites();
  }

  /**
   * Scans /proc once for OpenSSL copies not probed yet and attaches to them (see {@link
   * LibraryRegistry#rescan}); runs by itself every {@code discoveryInterval}.
   *
   * @return the number of files newly probed
   */
  public int rescanProcesses() {
    return registry.rescan();
  }

  /** The process filter in force. */
  public CaptureFilter filter() {
    return filter.current();
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
  public void updateFilter(CaptureFilter next) {
    try {
      filter.update(next);
    } catch (AttachException e) {
      throw new CollectorStartException(e.getMessage(), e);
    }
  }

  /** Port of the HTTP status/metrics endpoint on 127.0.0.1, or -1 when it is not running. */
  public int statusPort() {
    StatusServer server = statusServer;
    return server == null ? -1 : server.port();
  }

  /** Every capture module's state ({@code --modules}), as {@code /status} shows it. */
  public List<io.ecapture.kafka.collector.probe.ModuleStatus> modules() {
    return modules.statuses();
  }

  /** The packets module's state, or empty when it is off. */
  public java.util.Optional<io.ecapture.kafka.collector.packets.PacketsStatus> packets() {
    return packets == null ? java.util.Optional.empty() : java.util.Optional.of(packets.status());
  }

  /** Current counters (kernel counters read live). */
  public CollectorStats.Snapshot stats() {
    return stats.snapshot();
  }

  /** The configuration this collector runs with. */
  public CollectorConfig config() {
    return config;
  }

  /**
   * Drains the ring buffer. Busy, every {@link CollectorConfig#drainInterval()} (the kernel wakes
   * this thread only once the ring is 1/8 full: a wake-up per record costs more than the
   * capture). After {@link #SLEEP_AFTER_MS} without a record it sleeps instead: it tells the BPF
   * programs so (they then wake it for the next record) and polls with {@link #SLEEP_POLL_MS}, so
   * an idle collector costs no periodic wake-ups and the first record after a quiet spell is
   * drained at once. The flag is set before the long poll, and a poll returns at once for records
   * already waiting, so none waits for the long timeout. One round per call, on the ring-buffer
   * thread; the stats reporter ticks after each, failed or not.
   */
  private final class Drainer implements RingBufferReader.Drain {
    private final int drainMs = (int) config.drainInterval().toMillis();
    private final long emptyDrainsBeforeSleep = Math.max(1, SLEEP_AFTER_MS / Math.max(1, drainMs));
    private long emptyDrains;
    private boolean sleeping;

    @Override
    public void drain(io.ecapture.kafka.collector.libbpf.RingBuffer ring) {
      try {
        if (!sleeping && emptyDrains >= emptyDrainsBeforeSleep) {
          probes.consumerSleeping(true);
          sleeping = true;
        }
        java.time.Instant before = java.time.Instant.now();
        int drained = ring.poll(sleeping ? SLEEP_POLL_MS : drainMs);
        // the kernel side wakes us only when the ring fills up (see wakeup_flags in
        // tlscapture.bpf.c), and poll only drains rings that signalled: drain the rest here
        drained += ring.consume();
        // what was in the ring before this drain began has reached the sink (progress marks)
        sink.drainedUpTo(before.getEpochSecond() * 1_000_000_000L + before.getNano());
        if (drained == 0) {
          emptyDrains++;
        } else {
          emptyDrains = 0;
          if (sleeping) {
            probes.consumerSleeping(false);
            sleeping = false;
          }
        }
      } finally {
        reporter.tick();
      }
    }
  }

  /**
   * Stops: no more filter changes or rescans, the status endpoint closes, the ring-buffer thread
   * ends, the probes detach, what the kernel still holds is drained, the BPF object unloads, and
   * the sink flushes (bounded) and closes. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    filter.close(); // waits for a change in progress
    ExecWatch watch = execWatch;
    if (watch != null) {
      watch.close(); // resumes every process it holds
    }
    registry.close(); // waits for a rescan in progress
    StatusServer server = statusServer;
    if (server != null) {
      server.close();
    }
    ringBuffer.stop(); // its thread ends
    modules.close(); // detaches and drains the modules' own ring buffer
    probes.detach();
    ringBuffer.close(); // drains what the kernel wrote before the probes went away, frees the ring
    CollectorStats.Snapshot last = stats.snapshot();
    stats.freezeKernelCounters(); // the maps go away with the object: keep their last values readable
    probes.close();
    if (packets != null) {
      packets.close(); // detaches its TC filters: they would outlive the process
      packetPublisher.close();
    }
    processLog.info("collector stopped: " + last.summary());
    sink.close(); // flushes, bounded: a broker that is down must not hang the shutdown
  }
}
