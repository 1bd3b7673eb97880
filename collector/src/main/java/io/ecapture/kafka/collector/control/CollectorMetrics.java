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
