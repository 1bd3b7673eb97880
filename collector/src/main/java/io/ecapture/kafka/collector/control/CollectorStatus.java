package io.ecapture.kafka.collector.control;

import io.ecapture.kafka.collector.identity.IdentityStatus;
import io.ecapture.kafka.common.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * What a collector's {@link StatusServer} serves, read live: the {@code /status} document, the
 * {@code /metrics} text and the process filter of {@code /config}.
 *
 * <p>{@code /status} is one JSON object written by Jackson ({@link Json}): {@code component},
 * {@code hostId}, {@code running}, every counter of {@link CollectorStats.Snapshot} under its
 * name, {@code filter} ({@link CaptureFilter.View}), {@code socketHooks} (how the socket of an SSL
 * call is found: socket tracepoints, or the syscall fallback of older kernels), {@code
 * libraries} ({@link LibraryStatus}) and, when set, {@code identity} ({@link IdentityStatus}: the
 * cgroup2 mount in use, cgroups and pods known) and {@code execWatch} ({@link ExecWatchStatus}:
 * exec-time attach); any string (a library path with a newline or a
 * quote) is escaped.
 */
public final class CollectorStatus {
  private final String hostId;
  private final Supplier<CollectorStats.Snapshot> stats;
  private final FilterControl filter;
  private final Supplier<List<LibraryStatus>> libraries;
  private final String socketHooks;
  private final CollectorMetrics metrics;
  private volatile Runnable onControlRefused = () -> {};
  private volatile Supplier<IdentityStatus> identity;
  private volatile Supplier<io.ecapture.kafka.collector.packets.PacketsStatus> packets;
  private volatile Supplier<ExecWatchStatus> execWatch;
  private volatile Supplier<?> gotls;
  private volatile Supplier<List<io.ecapture.kafka.collector.probe.ModuleStatus>> modules;

  /**
   * @param stats the counters, read once per request
   * @param filter the process filter shown in {@code /status} and served by {@code /config}
   * @param libraries the probed files
   * @param socketHooks how the socket of an SSL call is found on this kernel (shown as is)
   * @param kafkaMetrics the Kafka producer's metrics ({@code Map::of} when there is none)
   */
  public CollectorStatus(
      String hostId,
      Supplier<CollectorStats.Snapshot> stats,
      FilterControl filter,
      Supplier<List<LibraryStatus>> libraries,
      String socketHooks,
      Supplier<? extends Map<MetricName, ? extends Metric>> kafkaMetrics) {
    this.hostId = hostId;
    this.stats = stats;
    this.filter = filter;
    this.libraries = libraries;
    this.socketHooks = socketHooks;
    this.metrics = new CollectorMetrics(hostId, stats).kafka(kafkaMetrics);
  }

  /** The {@code /status} document, keys in a fixed order. */
  public Map<String, Object> document() {
    CollectorStats.Snapshot s = stats.get();
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("component", "collector");
    doc.put("hostId", hostId);
    doc.put("running", true);
    doc.put("captured", s.captured());
    doc.put("capturedBytes", s.capturedBytes());
    doc.put("droppedInKernel", s.droppedInKernel());
    doc.put("droppedBytesInKernel", s.droppedBytesInKernel());
    doc.put("readFaults", s.readFaults());
    doc.put("truncatedCalls", s.truncatedCalls());
    doc.put("malformed", s.malformed());
    doc.put("sent", s.sent());
    doc.put("sendErrors", s.sendErrors());
    doc.put("trackedConnections", s.trackedConnections());
    doc.put("filteredInKernel", s.filteredInKernel());
    doc.put("sslCalls", s.sslCalls());
    doc.put("uprobeHits", s.uprobeHits());
    doc.put("handshakes", s.handshakes());
    doc.put("spooled", s.spooled());
    doc.put("spoolDropped", s.spoolDropped());
    doc.put("spoolBytes", s.spoolBytes());
    doc.put("resent", s.resent());
    doc.put("sendRejected", s.sendRejected());
    doc.put("keyLogLines", s.keyLogLines());
    doc.put("ringBufferHandlerFailures", s.ringBufferHandlerFailures());
    doc.put("processLogsDropped", s.processLogsDropped());
    doc.put("controlRefused", s.controlRefused());
    doc.put("bioSocketCalls", s.bioSocketCalls());
    doc.put("entryOnlyWrites", s.entryOnlyWrites());
    doc.put("progressMarks", s.progressMarks());
    doc.put("progressMarksSent", s.progressMarksSent());
    doc.put("oldestUnacknowledgedMs", s.oldestUnacknowledgedMs());
    doc.put("filter", filter.current().view());
    doc.put("socketHooks", socketHooks);
    doc.put("libraries", libraries.get());
    Supplier<IdentityStatus> workloads = identity;
    if (workloads != null) {
      doc.put("identity", workloads.get());
    }
    Supplier<io.ecapture.kafka.collector.packets.PacketsStatus> frames = packets;
    if (frames != null) {
      doc.put("packets", frames.get());
    }
    Supplier<ExecWatchStatus> exec = execWatch;
    if (exec != null) {
      doc.put("execWatch", exec.get());
    }
    Supplier<?> go = gotls;
    if (go != null) {
      doc.put("gotls", go.get());
    }
    Supplier<List<io.ecapture.kafka.collector.probe.ModuleStatus>> capture = modules;
    if (capture != null) {
      doc.put("modules", capture.get());
    }
    return doc;
  }

  /** Adds the capture modules (enabled, attached where, or why not) to {@code /status}. */
  public CollectorStatus modules(Supplier<List<io.ecapture.kafka.collector.probe.ModuleStatus>> source) {
    modules = source;
    return this;
  }

  /** Adds the workload identity's state to {@code /status} and its counters to {@code /metrics}. */
  public CollectorStatus identity(Supplier<IdentityStatus> source) {
    identity = source;
    metrics.identity(source);
    return this;
  }

  /** Adds the Go crypto/tls module (binaries found, Go version, offsets' origin, what attached) to {@code /status}. */
  public CollectorStatus gotls(Supplier<?> source) {
    gotls = source;
    return this;
  }

  /** Adds the packets module (interfaces attached, counters) to {@code /status} and {@code /metrics}. */
  public CollectorStatus packets(Supplier<io.ecapture.kafka.collector.packets.PacketsStatus> source) {
    packets = source;
    metrics.packets(source);
    return this;
  }

  /** Adds exec-time attach's state to {@code /status} (key {@code execWatch}) and {@code /metrics}. */
  public CollectorStatus execWatch(Supplier<ExecWatchStatus> source) {
    execWatch = source;
    metrics.execWatch(source);
    return this;
  }

  /** {@link #document()} as JSON text. */
  public String json() {
    return Json.write(document());
  }

  /** The {@code /metrics} text ({@link CollectorMetrics}). */
  public String metrics() {
    return metrics.scrape();
  }

  public FilterControl filter() {
    return filter;
  }

  /** Calls {@code counter} for every control request the {@link StatusServer} refuses. */
  public CollectorStatus onControlRefused(Runnable counter) {
    this.onControlRefused = counter;
    return this;
  }

  /** One control request refused (bad Host, foreign Origin, no token, wrong Content-Type). */
  void controlRefused() {
    onControlRefused.run();
  }
}
