package io.ecapture.kafka.forwarder.sink;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sink with a connection (TCP, WebSocket, a proxy): records wait in a queue bounded by {@code
 * bufferBytes} while one worker thread connects (with backoff) and sends them in order. While the
 * peer is away the queue fills; a record that does not fit is dropped and counted in {@code
 * overflow} (logged the first time and at every power of two), never silently. While the peer is
 * there but slower than Kafka, {@link #accept} waits for room instead (back-pressure: the consumer
 * slows down), at most {@link #BACKPRESSURE_LIMIT}.
 *
 * <p>After a send error the record is retried on the next connection; so are the records sent in
 * the {@code resendWindow} before the error was seen (bytes a dying peer may never have read: the
 * kernel accepted them but they were lost with the connection), counted in {@code retries}. Loss
 * within the buffer bound is therefore not possible; a reconnect may repeat up to that window.
 * {@code maxAttempts} bounds the tries of one record (then {@code dropped}); 0 retries forever.
 */
abstract class QueuedSink implements Sink {
  /**
   * How long {@link #accept} waits for room while the peer is connected and taking records, only
   * slower than Kafka delivers them (beyond, the record overflows). Well below the consumer's
   * {@code max.poll.interval.ms} (5 min).
   */
  static final Duration BACKPRESSURE_LIMIT = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(QueuedSink.class);

  protected final SinkCounters counters = new SinkCounters();
  private final String name;
  private final long capacityBytes;
  private final long resendWindowNs;
  private final int maxAttempts;
  private final Backoff backoff;
  private final Object lock = new Object();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final ArrayDeque<Pending> recent = new ArrayDeque<>();
  private long queuedBytes;
  private long lastAccepted;
  private long recentBytes;
  private boolean inFlight;
  private volatile boolean closed;
  private boolean connected;
  private long overflowLogged;
  private long connectFailures;
  /** The last send succeeded: a full buffer means a slow peer (wait), not an absent one (drop). */
  private volatile boolean healthy;
  private final Thread worker;

  private static final class Pending {
    final Item item;
    int attempts;
    long sentAtNs;

    Pending(Item item) {
      this.item = item;
    }
  }

  QueuedSink(String name, long capacityBytes, Duration resendWindow, int maxAttempts, Duration minBackoff,
      Duration maxBackoff) {
    this.name = name;
    this.capacityBytes = capacityBytes;
    this.resendWindowNs = resendWindow.toNanos();
    this.maxAttempts = maxAttempts;
    this.backoff = new Backoff(minBackoff, maxBackoff);
    this.worker = Thread.ofPlatform().daemon().name("forward-" + name).unstarted(this::run);
  }

  /** Starts the worker; subclasses call it at the end of their constructor. */
  protected final void startWorker() {
    worker.start();
  }

  /** Opens the connection. */
  protected abstract void connect() throws IOException;

  /** Sends one record over the open connection; an exception means the connection is broken. */
  protected abstract void send(Item item) throws IOException;

  /** Closes the connection (idempotent). */
  protected abstract void disconnect();

  /** Whether the connection still works (the peer did not close it); checked before each send. */
  protected boolean alive() {
    return true;
  }

  /** Whether this sink keeps no connection between records (no connect, no resend window). */
  protected boolean perRecord() {
    return false;
  }

  @Override
  public void accept(Item item) {
    synchronized (lock) {
      lastAccepted = item.seq();
      if (closed) {
        counters.dropped.increment();
        return;
      }
      if (!queue.isEmpty() && queuedBytes + item.size() > capacityBytes && healthy) {
        // the peer is there but slower than Kafka: hold the consumer (back-pressure), bounded
        long deadline = System.nanoTime() + BACKPRESSURE_LIMIT.toNanos();
        while (healthy && !closed && !queue.isEmpty() && queuedBytes + item.size() > capacityBytes) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            break;
          }
          try {
            lock.wait(Math.max(1, left / 1_000_000));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      }
      if (!queue.isEmpty() && queuedBytes + item.size() > capacityBytes) {
        counters.overflow.increment();
        long total = counters.overflow.sum();
        if (Long.bitCount(total) == 1 && total > overflowLogged) {
          overflowLogged = total;
          log.warn("{}: buffer full ({} bytes waiting, bound {}): {} record(s) dropped so far{}", name, queuedBytes,
              capacityBytes, total, counters.lastError() == null ? "" : " (peer: " + counters.lastError() + ")");
        }
        return;
      }
      queue.addLast(new Pending(item));
      queuedBytes += item.size();
      lock.notifyAll();
    }
  }

  @Override
  public boolean flush(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (!queue.isEmpty() || inFlight) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || closed) {
          return false;
        }
        try {
          lock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  @Override
  public long doneThrough() {
    synchronized (lock) {
      if (queue.isEmpty()) {
        return lastAccepted;
      }
      long head = queue.peekFirst().item.seq();
      for (Pending p : queue) {
        head = Math.min(head, p.item.seq());
      }
      return head - 1;
    }
  }

  /** Records waiting (not yet handed to the peer). */
  public int queued() {
    synchronized (lock) {
      return queue.size();
    }
  }

  private void run() {
    while (!closed) {
      Pending next;
      synchronized (lock) {
        while (queue.isEmpty() && !closed) {
          try {
            lock.wait(200);
          } catch (InterruptedException e) {
            return;
          }
          if (queue.isEmpty() && connected && !perRecord() && !alive()) {
            lostConnection(new IOException("peer closed the connection"));
          }
        }
        if (closed) {
          return;
        }
        next = queue.peekFirst();
        inFlight = true;
      }
      try {
        if (!connected && !perRecord()) {
          connect();
          connected = true;
          connectFailures = 0;
          counters.connected(true);
          backoff.reset();
        }
        if (!perRecord() && !alive()) {
          throw new IOException("peer closed the connection");
        }
        next.attempts++;
        send(next.item);
        healthy = true;
        backoff.reset();
        connectFailures = 0;
        synchronized (lock) {
          queue.pollFirst();
          queuedBytes -= next.item.size();
          counters.sent.increment();
          counters.sentBytes.add(next.item.size());
          remember(next);
          inFlight = false;
          lock.notifyAll();
        }
      } catch (IOException | RuntimeException e) {
        healthy = false;
        boolean giveUp = maxAttempts > 0 && next.attempts >= maxAttempts;
        synchronized (lock) {
          if (giveUp) {
            queue.pollFirst();
            queuedBytes -= next.item.size();
            counters.dropped.increment();
          } else if (next.attempts > 0) {
            counters.retries.increment();
          }
          inFlight = false;
          lock.notifyAll();
        }
        lostConnection(e);
        if (giveUp) {
          log.warn("{}: record dropped after {} attempts: {}", name, next.attempts, e.toString());
        }
        sleep(backoff.next());
      }
    }
  }

  private void remember(Pending p) {
    if (resendWindowNs <= 0 || perRecord()) {
      return;
    }
    long now = System.nanoTime();
    p.sentAtNs = now;
    recent.addLast(p);
    recentBytes += p.item.size();
    while (!recent.isEmpty() && (now - recent.peekFirst().sentAtNs > resendWindowNs || recentBytes > capacityBytes)) {
      recentBytes -= recent.pollFirst().item.size();
    }
  }

  /** The connection broke: close it and queue again what it may have lost. */
  private void lostConnection(Exception e) {
    healthy = false;
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    counters.error(message);
    boolean was;
    synchronized (lock) {
      was = connected;
      connected = false;
      counters.connected(false);
      long now = System.nanoTime();
      // newest first onto the front, so the queue keeps the original order
      for (Iterator<Pending> it = recent.descendingIterator(); it.hasNext(); ) {
        Pending p = it.next();
        if (now - p.sentAtNs <= resendWindowNs) {
          queue.addFirst(p);
          queuedBytes += p.item.size();
          counters.retries.increment();
        }
      }
      recent.clear();
      recentBytes = 0;
    }
    disconnect();
    if (was) {
      counters.reconnects.increment();
      log.warn("{}: connection lost ({}); reconnecting with backoff, buffering up to {} bytes", name, message,
          capacityBytes);
    } else if (Long.bitCount(++connectFailures) == 1) {
      log.warn("{}: cannot {} ({}, {} failure(s) in a row); retrying with backoff, buffering up to {} bytes", name,
          perRecord() ? "deliver" : "connect", message, connectFailures, capacityBytes);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public SinkCounters counters() {
    return counters;
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      // what never left is lost with this process: count it (the offsets were not committed)
      counters.dropped.add(queue.size());
      queue.clear();
      lock.notifyAll();
    }
    worker.interrupt();
    try {
      worker.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    disconnect();
  }
}
