package io.ecapture.kafka.gateway;

import java.util.List;

/**
 * A point-in-time snapshot of a gateway's counters; totals count since start.
 *
 * @param parsedRecords ParsedMessage records consumed and broadcast
 * @param logRecords ProcessLog records consumed and broadcast
 * @param undecodableRecords records skipped because their value did not decode (logged, never
 *     fatal)
 * @param truncatedPayloads event payloads cut to {@link GatewayConfig#maxPayloadBytes()}
 * @param framesSent frames handed to client connections
 * @param framesDropped frames not sent because a client's queue was over its bound
 * @param connectionsAccepted WebSocket handshakes completed
 * @param handshakesRefused well-formed handshakes refused (origin policy, token, bad options)
 * @param malformedHandshakes upgrade requests that broke RFC 6455 (no key, wrong version...)
 * @param replayedEvents past events sent to clients that asked for {@code since} or {@code last}
 * @param dispatchErrors consumed records that could not be handed to clients because mapping or
 *     sending them failed (a gateway bug): skipped one by one, logged, counted; the feed goes on
 * @param framesFailed frames whose write to a client's socket failed (the client went away
 *     mid-frame); the connection is closed by Jetty
 * @param assignedPartitions Kafka partitions this gateway currently reads
 * @param consumerLag records behind the end of its partitions as of the last poll, -1 unknown
 * @param processLogDropped the gateway's own process-log lines not delivered to {@code
 *     ecapture.logs} (queue full, broker away): dropped, never waited for
 * @param clients the connected clients
 */
public record GatewayStats(
    long parsedRecords,
    long logRecords,
    long undecodableRecords,
    long truncatedPayloads,
    long framesSent,
    long framesDropped,
    long connectionsAccepted,
    long handshakesRefused,
    long malformedHandshakes,
    long replayedEvents,
    long dispatchErrors,
    long framesFailed,
    int assignedPartitions,
    long consumerLag,
    long processLogDropped,
    List<ClientStats> clients) {

  public GatewayStats {
    clients = List.copyOf(clients);
  }

  /**
   * One connected client.
   *
   * @param remote the client's address
   * @param path the request path and query it connected with, any token redacted
   * @param framesSent frames queued to it
   * @param framesDropped frames dropped because it read too slowly
   * @param queuedFrames frames waiting in its send queue now
   * @param queuedBytes estimated bytes waiting in its send queue now
   * @param heartbeats heartbeats sent or attempted, the one at connect included
   */
  public record ClientStats(
      String remote,
      String path,
      long framesSent,
      long framesDropped,
      int queuedFrames,
      long queuedBytes,
      int heartbeats) {}
}
