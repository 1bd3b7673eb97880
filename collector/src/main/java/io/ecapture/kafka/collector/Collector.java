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
  private static final int POLL_TIMEOUT_MS = 50;
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
  private long reportedKernelDrops;
  private long reportedSendErrors;

  private Collector(CollectorConfig config, CollectorStats stats, CaptureSink sink, TlsProbes probes) {
    this.config = config;
    this.stats = stats;
    this.sink = sink;
    this.probes = probes;
    RecordProcessor processor =
        new RecordProcessor(
            new RawEventDecoder(config.hostId(), MonotonicClock.measure(), config.libsslPaths()),
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
    return start(config, stats -> new KafkaCaptureSink(config, stats));
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
      collector.attachAll();
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

  private void attachAll() {
    List<String> failures = new ArrayList<>();
    int attached = 0;
    List<Path> libraries = config.libsslPaths();
    for (int index = 0; index < libraries.size(); index++) {
      for (String line : probes.attachLibssl(libraries.get(index), index, failures)) {
        log(LogLevel.INFO, line);
        attached++;
      }
    }
    for (String failure : failures) {
      log(LogLevel.WARN, "attach failed: " + failure);
    }
    if (attached == 0) {
      log(LogLevel.ERROR, "no OpenSSL function could be probed in " + config.libsslPaths());
      throw new CollectorStartException(
          "no OpenSSL function could be probed in " + config.libsslPaths() + ": " + failures, null);
    }
    log(LogLevel.INFO, "collector started: host " + config.hostId() + ", " + attached
        + " OpenSSL functions probed, ring buffer " + config.ringBufferBytes() + " bytes");
  }

  // The endpoint is a convenience: a port in use must not stop the capture.
  private void startStatusServer() {
    if (config.statusPort() == CollectorConfig.STATUS_DISABLED) {
      return;
    }
    try {
      statusServer = StatusServer.start(config.statusPort(), config.hostId(), stats::snapshot);
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
    long intervalNs = config.statsInterval().toNanos();
    long nextStats = System.nanoTime() + intervalNs;
    while (running) {
      try {
        ringBuffer.poll(POLL_TIMEOUT_MS);
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
      Thread.sleep(POLL_TIMEOUT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    running = false;
    if (statusServer != null) {
      statusServer.close();
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
    long[] kernel = {
      last.droppedInKernel(), last.droppedBytesInKernel(), last.readFaults(), last.truncatedCalls()
    };
    stats.attachKernelCounters(index -> index >= 0 ? kernel[index] : 0);
    ringBuffer.close();
    probes.close();
    log(LogLevel.INFO, "collector stopped: " + last.summary());
    sink.close(); // flushes, bounded: a broker that is down must not hang the shutdown
  }
}
