package io.ecapture.kafka.gateway.session;

import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.gateway.GatewayCounters;
import io.ecapture.kafka.gateway.wire.EventMapper;
import io.ecapture.kafka.gateway.wire.LogEntries;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.websocket.api.Session;

/**
 * Fans entries out to every connected {@link ClientSession}.
 *
 * <p>Events are mapped and serialized once, and only when some connected client's filter wants
 * them; each client then gets the same bytes through its own bounded queue. Process-log lines are
 * also kept in the {@link ReplayBuffer}; registering a client and snapshotting the buffer happen
 * under one lock so every line reaches a new client exactly once (by replay or live) and in order.
 */
public final class Broadcaster {
  private final List<ClientSession> sessions = new CopyOnWriteArrayList<>();
  private final ReplayBuffer replay;
  private final Object logLock = new Object();
  private final EventMapper mapper;
  private final GatewayConfig config;
  private final GatewayCounters counters;

  public Broadcaster(GatewayConfig config, GatewayCounters counters) {
    this.config = config;
    this.counters = counters;
    this.replay = new ReplayBuffer(config.replayLogs());
    this.mapper = new EventMapper(config.maxPayloadBytes(), counters);
  }

  /**
   * Registers a client and sends it, in this order, the replayed process logs and heartbeat 0.
   *
   * @param path the request target, any token already redacted
   */
  public ClientSession open(Session connection, String path, ClientOptions options, long unixSeconds) {
    ClientSession session =
        new ClientSession(
            connection, path, options, config.maxQueuedFrames(), config.maxQueuedBytes(), counters);
    // holding the session's lock keeps live frames behind the replay and the first heartbeat
    synchronized (session) {
      if (options.wantsReplay() && replayAvailable()) {
        session.beginReplay();
      }
      List<byte[]> backlog;
      synchronized (logLock) {
        sessions.add(session);
        backlog = replay.snapshot();
      }
      for (byte[] frame : backlog) {
        session.offer(frame);
      }
      session.heartbeat(unixSeconds);
    }
    return session;
  }

  /** Whether {@code since}/{@code last} requests are served (needs Kafka). */
  public boolean replayAvailable() {
    return config.kafkaEnabled() && config.maxReplayEvents() > 0;
  }

  /** Forgets a client that left and stops its heartbeat. */
  public void close(ClientSession session) {
    sessions.remove(session);
    session.closed();
  }

  /** Maps and sends one parsed message to the clients whose filter accepts it. */
  public void publish(ParsedMessage message, long fallbackTimeNs) {
    byte[] frame = null;
    // annotated variants, built once per message: index bit 0 host, bit 1 workload, bit 2 pair
    byte[][] annotated = null;
    for (ClientSession session : sessions) {
      if (session.filter().accepts(message)) {
        if (frame == null) {
          frame = eventFrame(message, fallbackTimeNs);
        }
        ClientOptions options = session.options();
        if (options.annotates()) {
          int variant = (options.annotateHost() ? 1 : 0) | (options.annotateWorkload() ? 2 : 0)
              | (options.annotatePair() ? 4 : 0);
          if (annotated == null) {
            annotated = new byte[8][];
          }
          if (annotated[variant] == null) {
            annotated[variant] = options.annotate(frame, message);
          }
          session.offerLive(annotated[variant]);
        } else {
          session.offerLive(frame);
        }
      }
    }
  }

  /** The EVENT frame of one parsed message, as every client without annotations gets it. */
  public byte[] eventFrame(ParsedMessage message, long fallbackTimeNs) {
    return LogEntries.frame(LogEntries.event(mapper.map(message, fallbackTimeNs)));
  }

  /** Sends one process-log line to every client and keeps it for replay. */
  public void publishLog(String line) {
    byte[] frame = LogEntries.frame(LogEntries.runLog(line));
    List<ClientSession> targets;
    synchronized (logLock) {
      replay.add(frame);
      targets = List.copyOf(sessions);
    }
    for (ClientSession session : targets) {
      session.offer(frame);
    }
  }

  /** Whether any client is connected (else parsed records need not even be decoded). */
  public boolean hasClients() {
    return !sessions.isEmpty();
  }

  /** The connected clients, a copy. */
  public List<ClientSession> sessions() {
    return List.copyOf(sessions);
  }
}
