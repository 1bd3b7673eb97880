package io.ecapture.kafka.forwarder.sink;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
 * A {@link Refused} record is dropped at once.
 *
 * <p>Batched ({@link #batching}, HTTP push): records gather into a batch of up to {@code
 * batchSize}, sealed when full or once its oldest record waited {@code batchTimeout}; the queue
 * holds at most {@code maxBatches} sealed batches (a batch that does not fit overflows, its
 * records counted), and each batch is one {@link #sendBatch} with its own tries: the backoff
 * starts afresh for each batch and a dropped batch is not waited after.
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
  /** Batched: the batch records gather in (0: one record a unit), its timeout, the bound in batches. */
  private int batchSize;
  private long batchTimeoutNs;
  private int maxBatches;
  private List<Item> current = new ArrayList<>();
  private long currentSinceNs;
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

  /** A unit of the queue: one record, or a batch. */
  private static final class Pending {
    final List<Item> items;
    final long bytes;
    /** The worker is trying it (under the lock). */
    boolean taken;
    int attempts;
    long sentAtNs;

    Pending(List<Item> items) {
      this.items = items;
      long sum = 0;
      for (Item item : items) {
        sum += item.size();
      }
      this.bytes = sum;
    }

    long firstSeq() {
      return items.getFirst().seq();
    }
  }

  /** The peer refused a record: retrying would not change its answer, so it is dropped at once. */
  protected static final class Refused extends IOException {
    public Refused(String message) {
      super(message);
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

  /**
   * Sends batches of up to {@code size} records (sealed early once the oldest waited {@code
   * timeout}), at most {@code maxBatches} waiting; called before {@link #startWorker}.
   */
  protected final void batching(int size, Duration timeout, int maxBatches) {
    if (size < 1) {
      throw new IllegalArgumentException("batch size must be >= 1");
    }
    this.batchSize = size;
    this.batchTimeoutNs = Math.max(1, timeout.toNanos());
    this.maxBatches = maxBatches;
  }

  /** Starts the worker; subclasses call it at the end of their constructor. */
  protected final void startWorker() {
    worker.start();
  }

  /** Opens the connection. */
  protected abstract void connect() throws IOException;

  /**
   * Sends one record over the open connection; an exception means the connection is broken (a
   * {@link Refused}: the record cannot be delivered). Batched sinks implement {@link #sendBatch}
   * instead.
   */
  protected void send(Item item) throws IOException {
    throw new UnsupportedOperationException(name + ": sends batches");
  }

  /**
   * Sends one unit (batched: a batch; else one record, through {@link #send(Item)}).
   *
   * @return the bytes that went out (counted in {@code sentBytes})
   */
  protected long sendBatch(List<Item> items) throws IOException {
    long bytes = 0;
    for (Item item : items) {
      send(item);
      bytes += item.size();
    }
    return bytes;
  }

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
      if (batchSize > 0) {
        if (current.isEmpty()) {
          currentSinceNs = System.nanoTime();
        }
        current.add(item);
        if (current.size() >= batchSize) {
          seal();
        }
        lock.notifyAll();
        return;
      }
      enqueue(List.of(item));
    }
  }

  /** Moves the batch records gathered in to the queue (holding the lock). */
  private void seal() {
    if (!current.isEmpty()) {
      List<Item> batch = current;
      current = new ArrayList<>();
      enqueue(batch);
    }
  }

  /** Whether a unit of {@code bytes} finds no room (batched: {@code maxBatches} wait, besides the one being sent). */
  private boolean full(long bytes) {
    return batchSize > 0 ? queue.size() - (!queue.isEmpty() && queue.peekFirst().taken ? 1 : 0) >= maxBatches
        : !queue.isEmpty() && queuedBytes + bytes > capacityBytes;
  }

  /** Queues a unit, or counts its records as overflow (holding the lock). */
  private void enqueue(List<Item> items) {
    Pending unit = new Pending(items);
    if (full(unit.bytes) && healthy && Thread.currentThread() != worker) {
      // the peer is there but slower than Kafka: hold the consumer (back-pressure), bounded
      long deadline = System.nanoTime() + BACKPRESSURE_LIMIT.toNanos();
      while (healthy && !closed && full(unit.bytes)) {
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
    if (full(unit.bytes)) {
      counters.overflow.add(items.size());
      long total = counters.overflow.sum();
      if (Long.highestOneBit(total) > overflowLogged) { // at every power of two
        overflowLogged = Long.highestOneBit(total);
        log.warn("{}: buffer full ({} waiting, bound {}): {} record(s) dropped so far{}", name,
            batchSize > 0 ? queue.size() + " batches" : queuedBytes + " bytes",
            batchSize > 0 ? maxBatches + " batches" : capacityBytes + " bytes", total,
            counters.lastError() == null ? "" : " (peer: " + counters.lastError() + ")");
      }
      return;
    }
    queue.addLast(unit);
    queuedBytes += unit.bytes;
    lock.notifyAll();
  }

  @Override
  public boolean flush(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      seal();
      lock.notifyAll();
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
      if (queue.isEmpty() && current.isEmpty()) {
        return lastAccepted;
      }
      long head = current.isEmpty() ? Long.MAX_VALUE : current.getFirst().seq();
      for (Pending p : queue) {
        head = Math.min(head, p.firstSeq());
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
          if (!current.isEmpty() && System.nanoTime() - currentSinceNs >= batchTimeoutNs) {
            seal(); // the oldest record waited the batch timeout
            continue;
          }
          long waitMs = current.isEmpty() ? 200 : (batchTimeoutNs - (System.nanoTime() - currentSinceNs)) / 1_000_000;
          try {
            lock.wait(Math.max(1, waitMs));
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
        next.taken = true;
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
        long bytes = sendBatch(next.items);
        healthy = true;
        backoff.reset();
        connectFailures = 0;
        synchronized (lock) {
          if (queue.peekFirst() == next) { // else close() took it (counted as dropped)
            queue.pollFirst();
            queuedBytes -= next.bytes;
            counters.sent.add(next.items.size());
            counters.sentBytes.add(bytes);
            remember(next);
          }
          inFlight = false;
          lock.notifyAll();
        }
      } catch (IOException | RuntimeException e) {
        healthy = false;
        counters.error(message(e)); // before flush() can return on the unit's end
        counters.connected(false);
        boolean giveUp = e instanceof Refused || maxAttempts > 0 && next.attempts >= maxAttempts;
        synchronized (lock) {
          if (queue.peekFirst() != next) {
            giveUp = false; // close() took it (counted as dropped)
          } else if (giveUp) {
            queue.pollFirst();
            queuedBytes -= next.bytes;
            counters.dropped.add(next.items.size());
          } else if (next.attempts > 0) {
            counters.retries.increment();
          }
          inFlight = false;
          lock.notifyAll();
        }
        lostConnection(e);
        if (giveUp) {
          log.warn("{}: {} record(s) dropped after {} attempt(s): {}", name, next.items.size(), next.attempts,
              e.toString());
        }
        if (giveUp && batchSize > 0) {
          backoff.reset(); // batches are tried on their own: the next one starts afresh
        } else {
          sleep(backoff.next());
        }
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
    recentBytes += p.bytes;
    while (!recent.isEmpty() && (now - recent.peekFirst().sentAtNs > resendWindowNs || recentBytes > capacityBytes)) {
      recentBytes -= recent.pollFirst().bytes;
    }
  }

  /** The connection broke: close it and queue again what it may have lost. */
  private void lostConnection(Exception e) {
    healthy = false;
    String message = message(e);
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
          queuedBytes += p.bytes;
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

  private static String message(Exception e) {
    return e.getMessage() == null ? e.toString() : e.getMessage();
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
      long left = current.size();
      for (Pending p : queue) {
        left += p.items.size();
      }
      counters.dropped.add(left);
      current = new ArrayList<>();
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
