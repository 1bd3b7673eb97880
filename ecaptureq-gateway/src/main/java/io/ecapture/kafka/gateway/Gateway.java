package io.ecapture.kafka.gateway;

import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running eCaptureQ-compatible gateway: a WebSocket server fed by a Kafka consumer of {@code
 * ecapture.parsed} and {@code ecapture.logs}.
 *
 * <pre>{@code
 * try (Gateway gateway = Gateway.start(GatewayConfig.defaults())) {
 *   // eCaptureQ connects to ws://127.0.0.1:28257/
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} stops the consumer, closes client connections (1001 going away)
 * and releases the port.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  private final GatewayConfig config;
  private final GatewayCounters counters;
  private final Broadcaster broadcaster;
  private final ScheduledExecutorService heartbeats;
  private final GatewayServer server;
  private final KafkaFeed feed;
  private volatile StatusServer status;

  private Gateway(GatewayConfig config) {
    this.config = config;
    this.counters = new GatewayCounters();
    this.broadcaster = new Broadcaster(config, counters);
    this.heartbeats =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("gateway-heartbeat").daemon().factory());
    this.server = new GatewayServer(config, broadcaster, counters, heartbeats);
    this.feed = config.kafkaEnabled() ? new KafkaFeed(config, broadcaster, counters) : null;
  }

  /**
   * Starts listening and consuming; returns once the WebSocket port is bound (the consumer may
   * still be looking for its partitions, see {@link #awaitKafkaAssignment}).
   *
   * @throws GatewayStartException when the address cannot be bound (in use, not local...)
   */
  public static Gateway start(GatewayConfig config) {
    Gateway gateway = new Gateway(config);
    gateway.server.start();
    try {
      gateway.server.started().get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException | InterruptedException e) {
      gateway.close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new GatewayStartException("cannot listen on " + config.listen() + ": " + cause, cause);
    }
    if (config.httpListen() != null) {
      try {
        gateway.status =
            new StatusServer(config.httpListen(), gateway::stats, new AccessToken(config.token()));
      } catch (IOException | RuntimeException e) {
        gateway.close();
        throw new GatewayStartException(
            "cannot serve status on " + config.httpListen() + ": " + e, e);
      }
    }
    String url = "ws://" + hostForUrl(config) + ":" + gateway.port() + "/";
    log.info("eCaptureQ gateway listening on {}", url);
    gateway.publishLog(
        ProcessLogFormatter.local(
            Instant.now(),
            "INF",
            "listening on " + url
                + (config.kafkaEnabled()
                    ? ", reading ecapture.parsed and ecapture.logs from " + config.bootstrapServers()
                    : ", no Kafka feed configured")));
    if (gateway.feed != null) {
      gateway.feed.start();
    }
    return gateway;
  }

  /** The bound WebSocket port (the real one when {@link GatewayConfig#listen()} asked for 0). */
  public int port() {
    return server.boundPort();
  }

  /** The port of {@code /status} and {@code /metrics}, -1 when not served. */
  public int statusPort() {
    StatusServer s = status;
    return s == null ? -1 : s.port();
  }

  public GatewayConfig config() {
    return config;
  }

  /**
   * Waits until the consumer reads partitions of both topics from their start positions: a record
   * produced after this returns true reaches connected clients. Always false without Kafka.
   */
  public boolean awaitKafkaAssignment(Duration timeout) throws InterruptedException {
    return feed != null && feed.awaitAssigned(timeout);
  }

  /** Sends a parsed message to connected clients as if it came from {@code ecapture.parsed}. */
  public void publish(ParsedMessage message) {
    broadcaster.publish(message, System.currentTimeMillis() * 1_000_000L);
  }

  /** Sends a fleet process-log record to connected clients and keeps it for replay. */
  public void publish(ProcessLog line) {
    broadcaster.publishLog(ProcessLogFormatter.format(line));
  }

  /** Sends one already formatted process-log line to connected clients and keeps it for replay. */
  public void publishLog(String line) {
    broadcaster.publishLog(line);
  }

  public GatewayStats stats() {
    List<GatewayStats.ClientStats> clients =
        broadcaster.sessions().stream().map(ClientSession::stats).toList();
    return new GatewayStats(
        counters.parsedRecords.sum(),
        counters.logRecords.sum(),
        counters.undecodableRecords.sum(),
        counters.truncatedPayloads.sum(),
        counters.framesSent.sum(),
        counters.framesDropped.sum(),
        counters.connectionsAccepted.sum(),
        counters.handshakesRefused.sum(),
        feed == null ? 0 : feed.assignedPartitions(),
        feed == null ? -1 : feed.lag(),
        clients);
  }

  @Override
  public void close() {
    if (feed != null) {
      feed.close();
    }
    try {
      server.stop((int) Duration.ofSeconds(2).toMillis(), "gateway shutting down");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    heartbeats.shutdownNow();
    StatusServer s = status;
    if (s != null) {
      s.close();
    }
  }

  private static String hostForUrl(GatewayConfig config) {
    String host = config.listen().getHostString();
    return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
  }
}
