package io.ecapture.kafka.gateway.http;

import io.ecapture.kafka.common.Metrics;
import io.ecapture.kafka.gateway.GatewayStats;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * {@code GET /metrics}: {@link GatewayStats} as Prometheus metrics named {@code
 * ecaptureq_gateway_*} (through {@link Metrics}, the Prometheus Java client), plus the metrics of
 * the gateway's Kafka consumer as {@code kafka_consumer_*} gauges. Every scrape reads one stats
 * snapshot, so the values agree with each other.
 *
 * <p>Per-client series are left out on purpose: client addresses would be unbounded label values;
 * the worst client's backlog is exported instead. Thread-safe.
 */
public final class GatewayMetrics {
  /** Prefix of the gateway's own metric names. */
  public static final String PREFIX = "ecaptureq_gateway_";

  /** Content type of {@link #scrape()}: the Prometheus text format 0.0.4. */
  public static final String CONTENT_TYPE = Metrics.CONTENT_TYPE;

  private final Supplier<GatewayStats> stats;
  private final Metrics metrics = new Metrics(PREFIX);
  /** The snapshot the callbacks read; set for the duration of one {@link #scrape()}. */
  private GatewayStats current;

  public GatewayMetrics(Supplier<GatewayStats> stats) {
    this.stats = stats;
    counter("parsed_records_total", "Records consumed from ecapture.parsed.", GatewayStats::parsedRecords);
    counter("log_records_total", "Records consumed from ecapture.logs.", GatewayStats::logRecords);
    counter("undecodable_records_total", "Records skipped because they did not decode.", GatewayStats::undecodableRecords);
    counter("truncated_payloads_total", "Event payloads cut to the size limit.", GatewayStats::truncatedPayloads);
    counter("frames_sent_total", "Frames queued to clients.", GatewayStats::framesSent);
    counter("frames_dropped_total", "Frames dropped because a client read too slowly.", GatewayStats::framesDropped);
    counter("connections_total", "WebSocket handshakes completed.", GatewayStats::connectionsAccepted);
    counter("handshakes_refused_total", "WebSocket handshakes refused.", GatewayStats::handshakesRefused);
    counter("handshakes_malformed_total", "Upgrade requests that broke RFC 6455.", GatewayStats::malformedHandshakes);
    counter("replayed_events_total", "Past events replayed to clients on request.", GatewayStats::replayedEvents);
    counter("dispatch_errors_total", "Consumed records skipped because handing them to clients failed.",
        GatewayStats::dispatchErrors);
    counter("frames_failed_total", "Frames whose write to a client socket failed.", GatewayStats::framesFailed);
    gauge("clients", "Connected clients.", s -> s.clients().size());
    gauge("assigned_partitions", "Kafka partitions read.", GatewayStats::assignedPartitions);
    gauge("consumer_lag_records", "Records behind the partition ends, -1 when unknown.", GatewayStats::consumerLag);
    gauge("max_client_queued_bytes", "Largest send backlog of any client.",
        s -> s.clients().stream().mapToLong(GatewayStats.ClientStats::queuedBytes).max().orElse(0));
  }

  /** Also exposes a Kafka client's own metrics, e.g. {@code consumer::metrics}. */
  public GatewayMetrics kafka(Supplier<? extends Map<MetricName, ? extends Metric>> source) {
    metrics.kafka(source);
    return this;
  }

  /** Every metric in the Prometheus text format ({@link #CONTENT_TYPE}). */
  public synchronized String scrape() {
    current = stats.get();
    try {
      return metrics.scrape();
    } finally {
      current = null;
    }
  }

  private void counter(String name, String help, ToDoubleFunction<GatewayStats> value) {
    metrics.counter(name, help, () -> value.applyAsDouble(current));
  }

  private void gauge(String name, String help, ToDoubleFunction<GatewayStats> value) {
    metrics.gauge(name, help, () -> value.applyAsDouble(current));
  }
}
