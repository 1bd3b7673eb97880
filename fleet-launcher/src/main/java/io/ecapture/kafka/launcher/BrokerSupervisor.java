package io.ecapture.kafka.launcher;

import io.ecapture.kafka.embedded.BrokerProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code up}'s embedded broker (a child JVM, {@link BrokerProcess}) under watch. When the child
 * exits without being asked to (a crash, an OOM kill, a SIGKILL) the supervisor:
 *
 * <ol>
 *   <li>reports it at once: an ERROR log line with the exit status, {@link #statusLine()} says
 *       {@code DOWN}, and the {@code onChange} callback runs (so {@code up} prints a status line
 *       without waiting for its next tick);
 *   <li>starts a new child on the same directory and the same ports, so every client (collector,
 *       processor, gateway) reconnects by itself with the bootstrap address it already has, after
 *       a backoff: {@link FleetConfig#brokerRestartBackoff()} doubled after every failed or
 *       short-lived attempt, never more than {@link FleetConfig#brokerRestartMaxBackoff()}, back
 *       to the first step once a broker stayed up for {@value #STABLE_SECONDS} s. It keeps
 *       trying as long as the fleet runs: without a broker nothing flows, and the collector's
 *       spool holds what is captured meanwhile (bounded by its own limit);
 *   <li>counts: {@link #deaths()} (children that died), {@link #restarts()} (successful
 *       restarts), both in the status line.
 * </ol>
 *
 * <p>Nothing polls: the JDK's process reaper reports the child's exit ({@link
 * BrokerProcess#onExit()}), one scheduler thread runs the restarts.
 */
final class BrokerSupervisor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BrokerSupervisor.class);
  /** A broker up this long before it died restarts after the first backoff step again. */
  static final long STABLE_SECONDS = 60;

  private final Path dir;
  private final String host;
  private final int port;
  private final int controllerPort;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Runnable onChange;
  private final ScheduledExecutorService restarter;
  private BrokerProcess current;
  private boolean up;
  private boolean closed;
  private long upSinceNs;
  private long downSinceNs;
  private int lastExitStatus;
  private long deaths;
  private long restarts;
  private Duration nextBackoff;
  private long nextAttemptNs;

  private BrokerSupervisor(Path dir, String host, int port, int controllerPort,
      Duration initialBackoff, Duration maxBackoff, Runnable onChange) {
    this.dir = dir;
    this.host = host;
    this.port = port;
    this.controllerPort = controllerPort;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.onChange = onChange;
    this.nextBackoff = initialBackoff;
    this.restarter = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "broker-supervisor");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts the first broker (returns once it serves clients) and watches it.
   *
   * @param onChange called (on a supervisor thread) when the broker goes down and when it is back
   * @throws IllegalStateException the first start failed: nothing is supervised then
   */
  static BrokerSupervisor start(Path dir, String host, int port, int controllerPort,
      Duration initialBackoff, Duration maxBackoff, Runnable onChange) throws IOException {
    BrokerSupervisor supervisor = new BrokerSupervisor(
        dir, host, port, controllerPort, initialBackoff, maxBackoff, onChange);
    try {
      supervisor.started(BrokerProcess.start(dir, host, port, controllerPort));
    } catch (IOException | RuntimeException e) {
      supervisor.restarter.shutdownNow();
      throw e;
    }
    return supervisor;
  }

  String bootstrapServers() {
    return host + ":" + port;
  }

  /** Whether a broker child runs right now. */
  synchronized boolean isUp() {
    return up;
  }

  /** The pid of the running broker child, or -1 while it is down. */
  synchronized long pid() {
    return up ? current.pid() : -1;
  }

  /** Broker children that exited unasked. */
  synchronized long deaths() {
    return deaths;
  }

  /** Brokers started again after a death. */
  synchronized long restarts() {
    return restarts;
  }

  /**
   * {@code broker[up pid=N deaths=D restarts=R]}, or while down {@code broker[DOWN for 12s
   * (exit 137) deaths=D restarts=R, next start in 2s]}.
   */
  synchronized String statusLine() {
    StringBuilder s = new StringBuilder("broker[");
    if (closed) {
      s.append("stopped");
    } else if (up) {
      s.append("up pid=").append(current.pid());
    } else {
      long now = System.nanoTime();
      s.append("DOWN for ").append(TimeUnit.NANOSECONDS.toSeconds(now - downSinceNs))
          .append("s (exit ").append(lastExitStatus).append(')');
      long untilNext = nextAttemptNs - now;
      s.append(untilNext > 0 ? ", next start in " + (TimeUnit.NANOSECONDS.toMillis(untilNext) + 999) / 1000 + "s"
          : ", starting");
    }
    return s.append(" deaths=").append(deaths).append(" restarts=").append(restarts).append(']')
        .toString();
  }

  private synchronized void started(BrokerProcess broker) {
    current = broker;
    up = true;
    upSinceNs = System.nanoTime();
    broker.onExit().thenAccept(status -> exited(broker, status));
  }

  private void exited(BrokerProcess broker, int status) {
    Duration delay;
    synchronized (this) {
      if (closed || broker != current) {
        return; // asked to stop, or an old child
      }
      up = false;
      deaths++;
      lastExitStatus = status;
      downSinceNs = System.nanoTime();
      if (TimeUnit.NANOSECONDS.toSeconds(downSinceNs - upSinceNs) >= STABLE_SECONDS) {
        nextBackoff = initialBackoff;
      }
      delay = takeBackoff();
    }
    LOG.error("the Kafka broker (pid {}) died with exit status {}{}; restarting it on {} in {} ms"
            + " (death {}); the collector spools until it is back",
        broker.pid(), status, status > 128 ? " (signal " + (status - 128) + ")" : "", dir,
        delay.toMillis(), deaths());
    notifyChange();
    schedule(delay);
  }

  /** The current backoff; the next one doubles, up to the maximum. Caller holds the lock. */
  private Duration takeBackoff() {
    Duration delay = nextBackoff;
    Duration doubled = nextBackoff.multipliedBy(2);
    nextBackoff = doubled.compareTo(maxBackoff) > 0 ? maxBackoff : doubled;
    nextAttemptNs = System.nanoTime() + delay.toNanos();
    return delay;
  }

  private void schedule(Duration delay) {
    try {
      restarter.schedule(this::restart, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  private void restart() {
    synchronized (this) {
      if (closed) {
        return;
      }
    }
    long downMs;
    try {
      BrokerProcess broker = BrokerProcess.start(dir, host, port, controllerPort);
      synchronized (this) {
        if (closed) {
          broker.close();
          return;
        }
        restarts++;
        downMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - downSinceNs);
        started(broker);
      }
      LOG.warn("the Kafka broker is back (pid {}) after {} ms down (restart {})",
          broker.pid(), downMs, restarts());
      notifyChange();
    } catch (IOException | RuntimeException e) {
      Duration delay;
      synchronized (this) {
        if (closed) {
          return;
        }
        delay = takeBackoff();
      }
      LOG.error("restarting the Kafka broker failed: {}; next attempt in {} ms", e.getMessage(),
          delay.toMillis());
      schedule(delay);
    }
  }

  private void notifyChange() {
    try {
      onChange.run();
    } catch (RuntimeException e) {
      LOG.warn("broker status callback failed: {}", e.toString());
    }
  }

  /** Stops supervising (no more restarts), then stops the broker cleanly. */
  @Override
  public void close() {
    BrokerProcess broker;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      broker = up ? current : null;
    }
    restarter.shutdownNow(); // a start in progress is interrupted and kills its child
    try {
      restarter.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (broker != null) {
      broker.close();
    }
  }
}
