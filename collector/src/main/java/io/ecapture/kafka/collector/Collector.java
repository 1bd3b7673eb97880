package io.ecapture.kafka.collector;

import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.collector.control.CollectorStatus;
import io.ecapture.kafka.collector.control.StatsReporter;
import io.ecapture.kafka.collector.control.StatusServer;
import io.ecapture.kafka.collector.decode.MonotonicClock;
import io.ecapture.kafka.collector.decode.RawEventDecoder;
import io.ecapture.kafka.collector.decode.RecordProcessor;
import io.ecapture.kafka.collector.libbpf.LibBpfException;
import io.ecapture.kafka.collector.libbpf.RingBuffer;
import io.ecapture.kafka.collector.probe.AttachException;
import io.ecapture.kafka.collector.probe.Library;
import io.ecapture.kafka.collector.probe.LibraryRegistry;
import io.ecapture.kafka.collector.probe.ProcessFilter;
import io.ecapture.kafka.collector.probe.TlsProbes;
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
 * LibraryRegistry} (which files are probed, rescans), {@link ProcessFilter} (the process filter),
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

  private final CollectorConfig config;
  private final CollectorStats stats;
  private final CaptureSink sink;
  private final ProcessLogger processLog;
  private final TlsProbes probes;
  private final RingBuffer ringBuffer;
  private final LibraryRegistry registry;
  private final ProcessFilter filter;
  private final StatsReporter reporter;
  private final Thread pollThread;
  private volatile StatusServer statusServer;
  private volatile boolean running = true;
  private boolean closed;

  private Collector(CollectorConfig config, CollectorStats stats, CaptureSink sink, TlsProbes probes) {
    this.config = config;
    this.stats = stats;
    this.sink = sink;
    this.probes = probes;
    this.processLog = new ProcessLogger(LOG, config.hostId(), sink);
    RawEventDecoder decoder = new RawEventDecoder(config.hostId(), MonotonicClock.measure(), config.libsslPaths());
    RecordProcessor processor = new RecordProcessor(decoder, stats, sink, processLog::warn);
    this.ringBuffer = new RingBuffer(probes.eventsMapFd(), processor::onRecord);
    stats.attachKernelCounters(probes.kernelCounters());
    this.registry = new LibraryRegistry(probes, config.libsslPaths(), processLog, decoder::addLibrary);
    this.filter = new ProcessFilter(probes, registry, config.filter(), processLog);
    this.reporter = new StatsReporter(stats::snapshot, config.statsInterval(), LOG, processLog::warn);
    this.pollThread = Thread.ofPlatform().name("collector-ringbuf").daemon().unstarted(this::pollLoop);
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
    return config.spool().enabled()
        ? new SpoolingKafkaSink(config.producerSettings(), config.spool(), stats)
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
      collector.startCapture();
      return collector;
    } catch (RuntimeException e) {
      if (collector != null) {
        collector.registry.close();
        collector.ringBuffer.close(); // before the object that owns its map
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
    filter.apply();
    int attached = registry.attachConfigured(config.filter().pids());
    processLog.info("collector started: host " + config.hostId() + ", " + attached
        + " OpenSSL functions probed, ring buffer " + config.ringBufferBytes() + " bytes, filter "
        + filter.current().toJson());
    registry.startRescans(config.discoveryInterval());
    startStatusServer();
    pollThread.start();
  }

  // The endpoint is a convenience: a port in use must not stop the capture.
  private void startStatusServer() {
    if (config.statusPort() == CollectorConfig.STATUS_DISABLED) {
      return;
    }
    CollectorStatus status = new CollectorStatus(
        config.hostId(), stats::snapshot, filter,
        () -> registry.libraries().stream().map(Library::status).toList(),
        probes.socketHooks().description(), sink::kafkaMetrics);
    try {
      statusServer = StatusServer.start(config.statusPort(), status);
      processLog.info("status on http://127.0.0.1:" + statusServer.port() + "/status and /metrics");
    } catch (IOException e) {
      processLog.warn("status endpoint not started on port " + config.statusPort() + ": " + e.getMessage());
    }
  }

  /** The probed libraries with their detected OpenSSL version and key-capture state. */
  public List<Library> libraries() {
    return registry.libraries();
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

  /** Current counters (kernel counters read live). */
  public CollectorStats.Snapshot stats() {
    return stats.snapshot();
  }

  /** The configuration this collector runs with. */
  public CollectorConfig config() {
    return config;
  }

  private void pollLoop() {
    int drainMs = (int) config.drainInterval().toMillis();
    while (running) {
      try {
        ringBuffer.poll(drainMs);
        // the kernel side wakes us only when the ring fills up (see wakeup_flags in
        // tlscapture.bpf.c), and poll only drains rings that signalled: drain the rest here
        ringBuffer.consume();
      } catch (RuntimeException e) {
        processLog.error("ring buffer poll failed: " + e.getMessage());
        sleepQuietly();
      }
      reporter.tick();
    }
  }

  private static void sleepQuietly() {
    try {
      Thread.sleep(POLL_RETRY_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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
      running = false;
    }
    filter.close(); // waits for a change in progress
    registry.close(); // waits for a rescan in progress
    StatusServer server = statusServer;
    if (server != null) {
      server.close();
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
    stats.freezeKernelCounters(); // the maps go away with the object: keep their last values readable
    ringBuffer.close();
    probes.close();
    processLog.info("collector stopped: " + last.summary());
    sink.close(); // flushes, bounded: a broker that is down must not hang the shutdown
  }
}
