package io.ecapture.kafka.gateway;

import io.ecapture.kafka.common.KafkaProcessLog;
import io.ecapture.kafka.gateway.feed.EventReplay;
import io.ecapture.kafka.gateway.feed.KafkaFeed;
import io.ecapture.kafka.gateway.forward.ForwardControl;
import io.ecapture.kafka.gateway.http.GatewayMetrics;
import io.ecapture.kafka.gateway.http.GatewayServer;
import io.ecapture.kafka.gateway.session.Broadcaster;
import io.ecapture.kafka.gateway.session.ClientOptions;
import io.ecapture.kafka.gateway.session.ClientSession;
import io.ecapture.kafka.gateway.session.SessionRegistry;
import io.ecapture.kafka.gateway.wire.LogEntries;
import io.ecapture.kafka.gateway.wire.ProcessLogFormatter;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running eCaptureQ-compatible gateway: one port serving the WebSocket stream, {@code
 * /status}, {@code /metrics} and the browser view {@code /ui/}, fed by a Kafka consumer of {@code
 * ecapture.parsed} and {@code ecapture.logs}.
 *
 * <pre>{@code
 * try (Gateway gateway = Gateway.start(GatewayConfig.defaults())) {
 *   // eCaptureQ connects to ws://127.0.0.1:28257/, a browser opens http://127.0.0.1:28257/ui/
 * }
 * }</pre>
 *
 * <p>Wires the parts: {@code feed} (Kafka consumption, replays) hands records to {@code session}
 * (the broadcaster and the client sessions with their bounded queues), which sends frames built by
 * {@code wire} (the eCaptureQ encoding); {@code http} (Jetty) accepts connections and serves
 * {@code /status}, {@code /metrics} and {@code /ui/}.
 *
 * <p>Thread-safe. {@link #close()} stops the consumer, closes client connections (1001 going away)
 * and releases the port.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);
  /** Component name of the gateway's lines in {@code ecapture.logs}. */
  public static final String COMPONENT = "gateway";

  private final GatewayConfig config;
  private final GatewayCounters counters;
  private final Broadcaster broadcaster;
  private final ScheduledExecutorService heartbeats;
  private final GatewayServer server;
  private final KafkaFeed feed;
  private final EventReplay replay;
  /** The gateway's own lines: to ecapture.logs (back to clients through the feed), or local only. */
  private final KafkaProcessLog processLog;
  private final ForwardControl forwards;

  private Gateway(GatewayConfig config) {
    this.config = config;
    this.processLog = config.kafkaEnabled()
        ? KafkaProcessLog.start(log, COMPONENT, config.hostId(), config.bootstrapServers(), config.kafkaOverrides(),
            config.topics().logs())
        : KafkaProcessLog.disabled(log, COMPONENT, config.hostId());
    // warnings and errors of the gateway's classes reach ecapture.logs too (launcher's appender)
    io.ecapture.kafka.common.ProcessLogRouting.register("io.ecapture.kafka.gateway", processLog);
    this.counters = new GatewayCounters();
    this.broadcaster = new Broadcaster(config, counters);
    this.heartbeats =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("gateway-heartbeat").daemon().factory());
    GatewayMetrics metrics = new GatewayMetrics(this::stats);
    this.forwards = new ForwardControl(config.bootstrapServers(), config.kafkaOverrides());
    this.server = new GatewayServer(config, new Registry(), counters, this::stats, metrics, forwards);
    this.feed = config.kafkaEnabled() ? new KafkaFeed(config, broadcaster, counters) : null;
    if (feed != null) {
      metrics.kafka(feed::kafkaMetrics);
    }
    this.replay = broadcaster.replayAvailable() ? new EventReplay(config, broadcaster, counters) : null;
  }

  /**
   * Starts listening and consuming; returns once the port is bound (the consumer may still be
   * looking for its partitions, see {@link #awaitKafkaAssignment}).
   *
   * @throws GatewayStartException when the address cannot be bound (in use, not local...), the
   *     TLS key store cannot be read, or the address is not loopback and neither a token nor TLS
   *     protects it (see {@link GatewayConfig#unsafeListenReason()})
   */
  public static Gateway start(GatewayConfig config) {
    String unsafe = config.unsafeListenReason();
    if (unsafe != null) {
      throw new GatewayStartException(unsafe);
    }
    Gateway gateway = new Gateway(config);
    try {
      gateway.server.start();
    } catch (Exception e) {
      gateway.close();
      throw new GatewayStartException("cannot listen on " + config.listen() + ": " + e, e);
    }
    String scheme = config.tlsKeyStore() == null ? "ws" : "wss";
    String url = scheme + "://" + hostForUrl(config) + ":" + gateway.port() + "/";
    gateway.processLog("listening on " + url + " (browser view " + url.replaceFirst("^ws", "http") + "ui/)"
        + (config.kafkaEnabled()
            ? ", reading " + config.topics().parsed() + " and " + config.topics().logs() + " from "
                + config.bootstrapServers()
            : ", no Kafka feed configured"));
    if (gateway.feed != null) {
      gateway.feed.start();
    }
    return gateway;
  }

  /** The bound port (the real one when {@link GatewayConfig#listen()} asked for 0). */
  public int port() {
    return server.boundPort();
  }

  /** The port of {@code /status} and {@code /metrics}: the WebSocket port itself. */
  public int statusPort() {
    return port();
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

  /**
   * A line of the gateway's own process log: to {@code ecapture.logs} with component {@value
   * #COMPONENT} and the host id, so every gateway's clients see it (this one's through its feed);
   * without Kafka, to this gateway's clients only. Never blocks.
   */
  public void processLog(String message) {
    if (processLog.enabled()) {
      processLog.info(message);
    } else {
      log.info(message);
      broadcaster.publishLog(ProcessLogFormatter.local(Instant.now(), "INF", message));
    }
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
        counters.malformedHandshakes.sum(),
        counters.replayedEvents.sum(),
        counters.dispatchErrors.sum(),
        counters.framesFailed.sum(),
        feed == null ? 0 : feed.assignedPartitions(),
        feed == null ? -1 : feed.lag(),
        processLog.dropped(),
        clients);
  }

  /** The event forwarders {@code POST /config} runs in this gateway. */
  public ForwardControl forwards() {
    return forwards;
  }

  @Override
  public void close() {
    processLog("stopping (" + broadcaster.sessions().size() + " clients)");
    forwards.close();
    if (feed != null) {
      feed.close();
    }
    processLog.close();
    if (replay != null) {
      replay.close();
    }
    server.stop();
    heartbeats.shutdownNow();
  }

  private static String hostForUrl(GatewayConfig config) {
    String host = config.listen().getHostString();
    return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
  }

  private static long unixSeconds() {
    return System.currentTimeMillis() / 1000;
  }

  /** Registers connections with the broadcaster, starts heartbeats and requested replays. */
  private final class Registry implements SessionRegistry {
    @Override
    public ClientSession open(Session connection, String path, ClientOptions options) {
      ClientSession session = broadcaster.open(connection, path, options, unixSeconds());
      counters.connectionsAccepted.increment();
      long period = config.heartbeatInterval().toMillis();
      session.heartbeatTask(
          heartbeats.scheduleAtFixedRate(
              () -> heartbeat(session), period, period, TimeUnit.MILLISECONDS));
      if (options.wantsReplay()) {
        if (replay != null) {
          replay.submit(session);
        } else {
          session.offer(LogEntries.frame(LogEntries.runLog(ProcessLogFormatter.local(Instant.now(), "WRN",
              "no replay: " + (config.kafkaEnabled() ? "disabled (--max-replay-events 0)" : "no Kafka feed")))));
        }
      }
      return session;
    }

    @Override
    public void close(ClientSession session) {
      broadcaster.close(session);
    }

    private static void heartbeat(ClientSession session) {
      try {
        session.heartbeat(unixSeconds());
      } catch (RuntimeException e) {
        // an exception would silently cancel this client's periodic task
        log.warn("heartbeat failed for {}", session.stats().remote(), e);
      }
    }
  }
}
