package io.ecapture.kafka.collector.control;

import io.ecapture.kafka.collector.identity.IdentityStatus;
import io.ecapture.kafka.common.Metrics;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.snapshots.Labels;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * The collector's {@code /metrics}: every {@link CollectorStats} counter as a Prometheus counter
 * or gauge named {@code ecapture_collector_<name>} with the label {@code host="<host id>"}, plus
 * the Kafka producer's own metrics ({@code kafka_<group>_<name>}, see {@link Metrics#kafka}).
 *
 * <p>One scrape reads one {@link CollectorStats.Snapshot} (reading the kernel's maps once), so
 * the values of a scrape are consistent with each other. Values print as doubles ({@code 3.0}).
 */
public final class CollectorMetrics {
  /** Put before every own metric name. */
  public static final String PREFIX = "ecapture_collector_";

  private final Metrics metrics = new Metrics(PREFIX);
  private final Labels host;
  private final Supplier<CollectorStats.Snapshot> stats;
  /** The snapshot of the scrape in progress (scrapes are serialised). */
  private CollectorStats.Snapshot current;

  public CollectorMetrics(String hostId, Supplier<CollectorStats.Snapshot> stats) {
    this.host = Labels.of("host", hostId);
    this.stats = stats;
    counter("captured_records_total",
        "Capture events (open, handshake, data chunk, close) decoded from the kernel ring buffer; key-log lines not included.",
        CollectorStats.Snapshot::captured);
    counter("captured_bytes_total", "Plaintext payload bytes captured.", CollectorStats.Snapshot::capturedBytes);
    counter("kernel_dropped_records_total", "Records lost in the kernel because the ring buffer was full.",
        CollectorStats.Snapshot::droppedInKernel);
    counter("kernel_dropped_bytes_total", "Payload bytes lost in the kernel because the ring buffer was full.",
        CollectorStats.Snapshot::droppedBytesInKernel);
    counter("kernel_read_faults_total", "Payload copies from user memory that failed.", CollectorStats.Snapshot::readFaults);
    counter("truncated_calls_total", "TLS calls longer than the 1 MiB capture limit.", CollectorStats.Snapshot::truncatedCalls);
    counter("malformed_records_total", "Ring-buffer records that did not decode.", CollectorStats.Snapshot::malformed);
    counter("sent_records_total",
        "Records Kafka acknowledged: capture events and key-log lines (with the spool on, replays of an earlier run's spool included).",
        CollectorStats.Snapshot::sent);
    counter("send_errors_total", "Failed send attempts (with the spool they are retried, so not a loss).",
        CollectorStats.Snapshot::sendErrors);
    gauge("tracked_connections", "Connections the kernel tracks right now.", CollectorStats.Snapshot::trackedConnections);
    counter("kernel_filtered_calls_total", "SSL calls skipped by the process filter.", CollectorStats.Snapshot::filteredInKernel);
    counter("ssl_calls_total", "SSL read/write calls seen by the entry uprobes.", CollectorStats.Snapshot::sslCalls);
    counter("uprobe_hits_total", "Entry and return uprobe hits.", CollectorStats.Snapshot::uprobeHits);
    counter("bio_socket_calls_total", "SSL read/write calls whose socket was read from the SSL object's socket BIO.",
        CollectorStats.Snapshot::bioSocketCalls);
    counter("entry_only_writes_total", "SSL writes captured at their entry probe, their return probe skipped.",
        CollectorStats.Snapshot::entryOnlyWrites);
    counter("tls_handshakes_total", "Completed TLS handshakes seen (once per connection).", CollectorStats.Snapshot::handshakes);
    counter("spooled_records_total",
        "Records appended to the on-disk spool, once each: capture events plus key-log lines (retries not counted).",
        CollectorStats.Snapshot::spooled);
    counter("spool_dropped_records_total", "Records lost to the spool size limit or a disk error.",
        CollectorStats.Snapshot::spoolDropped);
    gauge("spool_bytes", "Bytes in the spool's live segments.", CollectorStats.Snapshot::spoolBytes);
    gauge("spool_oldest_unacknowledged_milliseconds",
        "How long the oldest record handed to the producer has waited for the broker's answer (0: none waits).",
        CollectorStats.Snapshot::oldestUnacknowledgedMs);
    counter("resent_records_total", "Spooled records sent again after a failed attempt.", CollectorStats.Snapshot::resent);
    counter("send_rejected_total", "Records the broker refused for good.", CollectorStats.Snapshot::sendRejected);
    counter("keylog_lines_total", "NSS key-log lines from captured TLS keys (spooled and sent, not in captured).",
        CollectorStats.Snapshot::keyLogLines);
    counter("ring_buffer_handler_failures_total",
        "Ring-buffer records whose handler threw: skipped (a collector bug), the thread keeps draining.",
        CollectorStats.Snapshot::ringBufferHandlerFailures);
    counter("process_logs_dropped_total", "Process-log lines not delivered to ecapture.logs (queue full, send failed).",
        CollectorStats.Snapshot::processLogsDropped);
    counter("control_requests_refused_total",
        "Requests to change capture refused (foreign Origin or Host, no or wrong token, not JSON).",
        CollectorStats.Snapshot::controlRefused);
    counter("progress_marks_total",
        "Progress marks appended to the spool for ecapture.raw (not in spooled_records_total).",
        CollectorStats.Snapshot::progressMarks);
    counter("progress_marks_sent_total", "Progress marks Kafka acknowledged (not in sent_records_total).",
        CollectorStats.Snapshot::progressMarksSent);
  }

  /** Also exposes a Kafka client's metrics ({@code producer::metrics}), read at each scrape. */
  public CollectorMetrics kafka(Supplier<? extends Map<MetricName, ? extends Metric>> source) {
    metrics.kafka(source);
    return this;
  }

  /**
   * Also exposes the workload identity's state, read at each scrape: {@code identity_known_cgroups},
   * {@code identity_known_pods}, {@code identity_tree_scans_total}, {@code
   * identity_unresolved_cgroups_total}, {@code identity_pods_without_logs_total}, {@code
   * identity_errors_total}.
   */
  public CollectorMetrics identity(Supplier<IdentityStatus> source) {
    GaugeWithCallback.builder().name(PREFIX + "identity_known_cgroups")
        .help("Cgroups of the last walk of the cgroup2 tree.").constLabels(host)
        .callback(cb -> cb.call(source.get().knownCgroups())).register(metrics.registry());
    GaugeWithCallback.builder().name(PREFIX + "identity_known_pods")
        .help("Pod directories under the kubelet's pod log root.").constLabels(host)
        .callback(cb -> cb.call(source.get().knownPods())).register(metrics.registry());
    CounterWithCallback.builder().name(PREFIX + "identity_tree_scans_total")
        .help("Walks of the cgroup2 tree (on an unknown cgroup id, at most one per refresh interval).").constLabels(host)
        .callback(cb -> cb.call(source.get().treeScans())).register(metrics.registry());
    CounterWithCallback.builder().name(PREFIX + "identity_unresolved_cgroups_total")
        .help("Cgroup id lookups that found no cgroup path (removed before its events were decoded).").constLabels(host)
        .callback(cb -> cb.call(source.get().unresolvedCgroups())).register(metrics.registry());
    CounterWithCallback.builder().name(PREFIX + "identity_pods_without_logs_total")
        .help("Pod UID lookups with no directory under the pod log root.").constLabels(host)
        .callback(cb -> cb.call(source.get().podsWithoutLogs())).register(metrics.registry());
    CounterWithCallback.builder().name(PREFIX + "identity_errors_total")
        .help("Reads of the cgroup2 tree or the pod logs that failed.").constLabels(host)
        .callback(cb -> cb.call(source.get().errors())).register(metrics.registry());
    return this;
  }

  /**
   * The packets module's counters: {@code packets_captured_total}, {@code
   * packets_kernel_dropped_total}, {@code packets_truncated_total}, {@code packets_malformed_total},
   * {@code packets_send_errors_total}.
   */
  public CollectorMetrics packets(Supplier<io.ecapture.kafka.collector.packets.PacketsStatus> source) {
    packetCounter("packets_captured_total", "Frames of TLS flows copied from the TC hooks.", source,
        io.ecapture.kafka.collector.packets.PacketsStatus::captured);
    packetCounter("packets_kernel_dropped_total", "Frames lost because the packets ring buffer was full.", source,
        io.ecapture.kafka.collector.packets.PacketsStatus::droppedInKernel);
    packetCounter("packets_truncated_total", "Frames cut at the snap length.", source,
        io.ecapture.kafka.collector.packets.PacketsStatus::truncated);
    packetCounter("packets_malformed_total", "Packets ring-buffer records that did not decode.", source,
        io.ecapture.kafka.collector.packets.PacketsStatus::malformed);
    packetCounter("packets_send_errors_total", "Frames not delivered to ecapture.packets (not spooled: lost).", source,
        io.ecapture.kafka.collector.packets.PacketsStatus::sendErrors);
    return this;
  }

  private void packetCounter(String name, String help, Supplier<io.ecapture.kafka.collector.packets.PacketsStatus> source,
      ToLongFunction<io.ecapture.kafka.collector.packets.PacketsStatus> value) {
    CounterWithCallback.builder().name(PREFIX + name).help(help).constLabels(host)
        .callback(cb -> cb.call(Math.max(0, value.applyAsLong(source.get())))).register(metrics.registry());
  }

  /**
   * Also exposes exec-time attach, read at each scrape: {@code exec_watch_enabled}, {@code
   * exec_hold_enabled}, {@code execs_total}, {@code execs_known_total}, {@code
   * exec_reported_total}, {@code exec_examined_total}, {@code exec_attached_total}, {@code
   * exec_held_total}, {@code exec_resumed_total}, {@code exec_hold_timeouts_total}, {@code
   * exec_not_held_terminal_total}, {@code exec_not_held_full_total}, {@code
   * exec_events_lost_total}, {@code exec_installed_files}, {@code exec_installed_with_tls} and
   * {@code exec_attach_latency_seconds} / {@code exec_hold_seconds} (label {@code quantile}: 0.5,
   * 0.99, 1 over the last 1024).
   */
  public CollectorMetrics execWatch(Supplier<ExecWatchStatus> source) {
    gauge("exec_watch_enabled", "1 when the exec tracepoint is attached.", () -> source.get().enabled() ? 1 : 0);
    gauge("exec_hold_enabled", "1 when unknown executables are held at exec until probed.",
        () -> source.get().hold().startsWith("on") ? 1 : 0);
    counter("execs_total", "Execs on the host since start.", () -> source.get().execs());
    counter("execs_known_total", "Execs of files already examined (nothing more done).", () -> source.get().execsKnown());
    counter("exec_reported_total", "Execs of files not examined yet, reported to the collector.", () -> source.get().reported());
    counter("exec_examined_total", "Executables examined at exec.", () -> source.get().examined());
    counter("exec_attached_total", "Executables with their own TLS copy probed at exec.", () -> source.get().attached());
    counter("exec_held_total", "Processes stopped at exec until examined.", () -> source.get().held());
    counter("exec_resumed_total", "Held processes resumed by the collector.", () -> source.get().resumed());
    counter("exec_hold_timeouts_total", "Held processes resumed because the hold timeout passed.",
        () -> source.get().holdTimeouts());
    counter("exec_not_held_terminal_total", "Unknown executables not held: controlling terminal.",
        () -> source.get().notHeldTerminal());
    counter("exec_not_held_full_total", "Unknown executables not held: too many held at once.",
        () -> source.get().notHeldFull());
    counter("exec_events_lost_total", "Exec events lost to a full ring buffer.", () -> source.get().eventsLost());
    gauge("exec_installed_files", "Executable files the start-time scan found.",
        () -> source.get().installedScan().files());
    gauge("exec_installed_with_tls", "Installed executables with their own TLS copy.",
        () -> source.get().installedScan().withTls());
    quantiles("exec_attach_latency_seconds", "Exec to uprobes attached (last 1024 executables probed at exec).",
        () -> source.get().attachLatency());
    quantiles("exec_hold_seconds", "Exec to resumed (last 1024 held processes).", () -> source.get().holdDuration());
    return this;
  }

  private void gauge(String name, String help, java.util.function.LongSupplier value) {
    GaugeWithCallback.builder().name(PREFIX + name).help(help).constLabels(host)
        .callback(cb -> cb.call(value.getAsLong())).register(metrics.registry());
  }

  private void counter(String name, String help, java.util.function.LongSupplier value) {
    CounterWithCallback.builder().name(PREFIX + name).help(help).constLabels(host)
        .callback(cb -> cb.call(value.getAsLong())).register(metrics.registry());
  }

  private void quantiles(String name, String help, Supplier<ExecWatchStatus.Latency> value) {
    GaugeWithCallback.builder().name(PREFIX + name).help(help).constLabels(host).labelNames("quantile")
        .callback(cb -> {
          ExecWatchStatus.Latency latency = value.get();
          cb.call(latency.p50Ms() / 1000.0, "0.5");
          cb.call(latency.p99Ms() / 1000.0, "0.99");
          cb.call(latency.maxMs() / 1000.0, "1");
        }).register(metrics.registry());
  }

  /** Every metric in the Prometheus text format ({@link Metrics#CONTENT_TYPE}). */
  public synchronized String scrape() {
    current = stats.get();
    try {
      return metrics.scrape();
    } finally {
      current = null;
    }
  }

  private synchronized CollectorStats.Snapshot snapshot() {
    return current != null ? current : stats.get(); // outside scrape(): a registry read directly
  }

  private void counter(String name, String help, ToLongFunction<CollectorStats.Snapshot> value) {
    CounterWithCallback.builder()
        .name(PREFIX + name)
        .help(help)
        .constLabels(host)
        // a kernel counter reads -1 once its map is gone; a Prometheus counter cannot be negative
        .callback(cb -> cb.call(Math.max(0, value.applyAsLong(snapshot()))))
        .register(metrics.registry());
  }

  private void gauge(String name, String help, ToLongFunction<CollectorStats.Snapshot> value) {
    GaugeWithCallback.builder()
        .name(PREFIX + name)
        .help(help)
        .constLabels(host)
        .callback(cb -> cb.call(value.applyAsLong(snapshot())))
        .register(metrics.registry());
  }
}
