package io.ecapture.kafka.gateway;

/**
 * {@link GatewayStats} in the Prometheus text exposition format (version 0.0.4) for {@code GET
 * /metrics}. Per-client series are left out on purpose: client addresses would be unbounded label
 * values; the worst client's backlog is exported instead.
 */
final class MetricsText {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  private static final String PREFIX = "ecaptureq_gateway_";

  private MetricsText() {}

  static String render(GatewayStats s) {
    StringBuilder out = new StringBuilder(2048);
    counter(out, "parsed_records_total", "Records consumed from ecapture.parsed.", s.parsedRecords());
    counter(out, "log_records_total", "Records consumed from ecapture.logs.", s.logRecords());
    counter(out, "undecodable_records_total", "Records skipped because they did not decode.", s.undecodableRecords());
    counter(out, "truncated_payloads_total", "Event payloads cut to the size limit.", s.truncatedPayloads());
    counter(out, "frames_sent_total", "Frames queued to clients.", s.framesSent());
    counter(out, "frames_dropped_total", "Frames dropped because a client read too slowly.", s.framesDropped());
    counter(out, "connections_total", "WebSocket handshakes completed.", s.connectionsAccepted());
    counter(out, "handshakes_refused_total", "WebSocket handshakes refused.", s.handshakesRefused());
    counter(out, "handshakes_malformed_total", "Upgrade requests that broke RFC 6455.", s.malformedHandshakes());
    counter(out, "replayed_events_total", "Past events replayed to clients on request.", s.replayedEvents());
    gauge(out, "clients", "Connected clients.", s.clients().size());
    gauge(out, "assigned_partitions", "Kafka partitions read.", s.assignedPartitions());
    gauge(out, "consumer_lag_records", "Records behind the partition ends, -1 when unknown.", s.consumerLag());
    long worst = s.clients().stream().mapToLong(GatewayStats.ClientStats::queuedBytes).max().orElse(0);
    gauge(out, "max_client_queued_bytes", "Largest send backlog of any client.", worst);
    return out.toString();
  }

  private static void counter(StringBuilder out, String name, String help, long value) {
    metric(out, name, "counter", help, value);
  }

  private static void gauge(StringBuilder out, String name, String help, long value) {
    metric(out, name, "gauge", help, value);
  }

  private static void metric(StringBuilder out, String name, String type, String help, long value) {
    out.append("# HELP ").append(PREFIX).append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(PREFIX).append(name).append(' ').append(type).append('\n')
        .append(PREFIX).append(name).append(' ').append(value).append('\n');
  }
}
