package io.ecapture.kafka.collector.sink;

import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.NavigableSet;
import java.util.NoSuchElementException;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production sink: every capture event is appended to a {@link DiskSpool} on the ring-buffer
 * thread (a memory copy, never a wait on the broker), and one sender thread produces the spool to
 * {@code ecapture.raw} in append order.
 *
 * <p>Lossless by design while the spool has room: a record leaves the spool only once the broker
 * acknowledged it (and everything before it). When sends fail (broker down, timeouts) the sender
 * waits for every in-flight record's outcome, rewinds to the first failed one and re-sends only
 * the failed ones, in their original order, so a connection's records keep their order and
 * delivered ones are not duplicated (a record the broker stored but never acknowledged can still
 * arrive twice: at-least-once). What is unsent at close stays on disk and is sent after a restart.
 *
 * <p>The sender never polls: with nothing to send it sleeps (parked) until an append, a send
 * outcome it waits for, or {@link #close} wakes it; an idle collector costs no CPU here.
 *
 * <p>Process-log lines go straight to the producer (best effort, not spooled). Limits (disk, records
 * in flight, how long closing keeps sending) come from {@link SpoolConfig}.
 */
public final class SpoolingKafkaSink implements CaptureSink {
  private static final Logger LOG = LoggerFactory.getLogger(SpoolingKafkaSink.class);
  /**
   * Producer defaults under the user's overrides: short timeouts, as the spool, not the producer,
   * holds records through an outage.
   */
  static final Map<String, Object> PRODUCER_DEFAULTS =
      Map.of("max.block.ms", 3_000, "request.timeout.ms", 5_000, "delivery.timeout.ms", 12_000);
  private static final long IDLE_PARK_NS = TimeUnit.MILLISECONDS.toNanos(2);
  private static final long RELEASE_EVERY_NS = TimeUnit.MILLISECONDS.toNanos(200);
  /** Longest an idle sender sleeps without being woken (a safety net: appends wake it). */
  private static final long IDLE_WAIT_NS = TimeUnit.SECONDS.toNanos(1);
  private static final long INITIAL_BACKOFF_MS = 200;
  private static final long MAX_BACKOFF_MS = 3_000;

  /** First byte of a spool record's key: which topic it goes to (the rest is the Kafka key). */
  static final byte RAW_TAG = 'R';
  static final byte KEYLOG_TAG = 'K';
  /** A progress mark for ecapture.raw; the key routes it to its partition. */
  static final byte MARK_TAG = 'M';
  /** A partition gets progress marks while data was appended or acknowledged for it this recently. */
  static final long ACTIVE_WINDOW_NS = TimeUnit.SECONDS.toNanos(5);

  private final DiskSpool spool;
  private final byte[] hostKey;
  private final KafkaCaptureSink kafka;
  private final CollectorStats stats;
  private final SpoolConfig settings;
  private final ConcurrentSkipListSet<Long> inFlight = new ConcurrentSkipListSet<>();
  private final ConcurrentSkipListSet<Long> failed = new ConcurrentSkipListSet<>();
  private final Thread sender;
  private final ProgressMarks marks;
  private volatile boolean failure;
  private volatile boolean succeededSinceFailure;
  private volatile boolean running = true;
  // the sender blocks instead of polling: it says what it waits for, appends and outcomes wake it
  private volatile boolean waitingForAppend;
  private volatile boolean waitingForOutcome;
  private volatile long closeDeadlineNs;
  private boolean closed;

  // sender-thread state: records to send again after a failure, and where that replay ends
  private NavigableSet<Long> resend = new TreeSet<>();
  private long resendLimit;
  private long backoffMs = INITIAL_BACKOFF_MS;
  private volatile boolean resending;

  /**
   * Opens (and recovers) the spool in {@code config.directoryFor(producer.hostId())} and starts the
   * sender thread.
   *
   * @throws UncheckedIOException when the spool cannot be opened (another collector holds it, no
   *     permission)
   */
  /** Names of the topics sent to (a spooled record carries a tag, not a name). */
  private final io.ecapture.kafka.common.TopicNames topics;

  public SpoolingKafkaSink(ProducerSettings producer, SpoolConfig config, CollectorStats stats) {
    this.stats = stats;
    this.settings = config;
    this.hostKey = producer.hostId().getBytes(StandardCharsets.UTF_8);
    this.topics = producer.topics();
    Path directory = config.directoryFor(producer.hostId());
    try {
      this.spool = DiskSpool.open(directory, config.maxBytes(), config.segmentBytes(), config.fullPolicy());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the spool in " + directory, e);
    }
    try {
      this.kafka = new KafkaCaptureSink(producer.withDefaults(PRODUCER_DEFAULTS), stats);
    } catch (RuntimeException e) {
      this.spool.close(); // frees the directory lock
      throw e;
    }
    DiskSpool disk = this.spool;
    stats.attachSpool(
        new CollectorStats.SpoolGauges() {
          @Override
          public long usedBytes() {
            return disk.usedBytes();
          }

          @Override
          public long droppedRecords() {
            return disk.droppedRecords();
          }
        });
    this.marks = new ProgressMarks(producer.hostId());
    this.sender = Thread.ofPlatform().name("collector-spool-sender").daemon().start(this::sendLoop);
    this.marker = config.progressMark().isZero() ? null
        : Thread.ofPlatform().name("collector-progress-marks").daemon()
            .start(() -> markLoop(config.progressMark().toNanos()));
  }

  private final Thread marker;
  /** See {@link #drainedUpTo}; 0 until the ring-buffer thread reports (then marks use the clock). */
  private volatile long drainedUpToNs;

  @Override
  public void drainedUpTo(long wallTimeNs) {
    drainedUpToNs = wallTimeNs;
  }

  @Override
  public void event(RawEvent event) {
    byte[] connection = event.getConnectionId().getBytes(StandardCharsets.UTF_8);
    byte[] key = tagged(RAW_TAG, connection);
    marks.wroteKey(connection, System.nanoTime());
    if (spool.append(key, event.toByteArray())) {
      stats.onSpooled();
      wakeForAppend();
    }
  }

  @Override
  public void log(ProcessLog line) {
    kafka.log(line);
  }

  /** Key-log lines are spooled like capture events: a session's keys must not be lost either. */
  @Override
  public void keyLog(String line) {
    byte[] key = tagged(KEYLOG_TAG, hostKey);
    if (spool.append(key, line.getBytes(StandardCharsets.UTF_8))) {
      stats.onSpooled();
      wakeForAppend();
    }
  }

  /**
   * After an append (visible to the sender: the spool's lock released it): wakes the sender if it
   * sleeps for want of records. Costs a volatile read when it does not.
   */
  private void wakeForAppend() {
    if (waitingForAppend) {
      LockSupport.unpark(sender);
    }
  }

  /**
   * Blocks the sender until {@code ready} holds, an append or an outcome wakes it (whichever
   * {@code forAppend} names), {@link #close} does, or {@code maxNs} pass. The flag is set before
   * {@code ready} is checked, so a wake-up between the check and the park is never lost.
   */
  private void await(boolean forAppend, long maxNs, java.util.function.BooleanSupplier ready) {
    if (forAppend) {
      waitingForAppend = true;
    } else {
      waitingForOutcome = true;
    }
    try {
      if (!ready.getAsBoolean()) {
        LockSupport.parkNanos(this, maxNs);
      }
    } finally {
      waitingForAppend = false;
      waitingForOutcome = false;
    }
  }

  /**
   * The progress-mark thread: every {@code intervalNs} appends one mark through the spool for each
   * partition of ecapture.raw data went to within {@link #ACTIVE_WINDOW_NS} (appended or
   * acknowledged), so the mark follows that data in the partition. Idle: no marks.
   */
  private void markLoop(long intervalNs) {
    long sequence = 0;
    while (running) {
      LockSupport.parkNanos(this, intervalNs);
      if (!running) {
        return;
      }
      try {
        marks.partitions(kafka.partitionsFor(topics.raw()));
      } catch (RuntimeException e) {
        // no metadata yet (broker away): the last known count stays in use
        LOG.debug("no partition count for {}: {}", topics.raw(), e.toString());
      }
      long now = System.nanoTime();
      // read before the appends below: every event captured before it is already in the spool
      long drained = drainedUpToNs;
      long markTime = drained != 0 ? Math.min(drained, wallTimeNs()) : wallTimeNs();
      for (int partition : marks.active(now, ACTIVE_WINDOW_NS)) {
        RawEvent mark = RawEvent.newBuilder()
            .setHostId(new String(hostKey, StandardCharsets.UTF_8))
            .setWallTimeNs(markTime)
            .setProgress(io.ecapture.kafka.proto.capture.ProgressMark.newBuilder().setSequence(sequence++))
            .build();
        if (spool.append(tagged(MARK_TAG, marks.keyFor(partition)), mark.toByteArray())) {
          stats.onProgressMark();
          wakeForAppend();
        }
      }
    }
  }

  private static long wallTimeNs() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private static byte[] tagged(byte tag, byte[] key) {
    byte[] tagged = new byte[key.length + 1];
    tagged[0] = tag;
    System.arraycopy(key, 0, tagged, 1, key.length);
    return tagged;
  }

  private void sendLoop() {
    long nextRelease = System.nanoTime();
    while (running || !drainedOrOutOfTime()) {
      if (failure) {
        recoverFromFailure();
        continue;
      }
      if (inFlight.size() >= settings.maxInFlight()) {
        await(false, RELEASE_EVERY_NS, () -> inFlight.size() < settings.maxInFlight() || failure);
        continue;
      }
      DiskSpool.Entry entry = nextToSend();
      if (entry == null) {
        releaseDelivered();
        nextRelease = System.nanoTime() + RELEASE_EVERY_NS;
        // idle: sleep until an append; while sends are outstanding, come back to release them.
        // Closing, poll briefly until the last outcomes are in (bounded by drainOnClose)
        long wait = !running ? IDLE_PARK_NS : inFlight.isEmpty() ? IDLE_WAIT_NS : RELEASE_EVERY_NS;
        await(true, wait, () -> failure || !spool.caughtUp());
        continue;
      }
      send(entry);
      if (System.nanoTime() - nextRelease >= 0) {
        releaseDelivered();
        nextRelease = System.nanoTime() + RELEASE_EVERY_NS;
      }
    }
  }

  /** At close: stop once all is sent, the broker is failing (the rest waits on disk), or time is up. */
  private boolean drainedOrOutOfTime() {
    boolean drained = inFlight.isEmpty() && !failure && !resending && spool.caughtUp();
    return drained || failure || System.nanoTime() - closeDeadlineNs >= 0;
  }

  private boolean closing() {
    return !running && System.nanoTime() - closeDeadlineNs >= 0;
  }

  private void send(DiskSpool.Entry entry) {
    long position = entry.position();
    byte[] tagged = entry.key();
    byte tag = tagged.length == 0 ? 0 : tagged[0];
    String topic = switch (tag) {
      case RAW_TAG, MARK_TAG -> topics.raw();
      case KEYLOG_TAG -> topics.keylog();
      default -> null;
    };
    if (topic == null) {
      stats.onSendRejected(); // not written by this sink: skip rather than guess
      return;
    }
    byte[] key = java.util.Arrays.copyOfRange(tagged, 1, tagged.length);
    inFlight.add(position);
    try {
      kafka.send(topic, key, entry.value(), (metadata, error) -> {
        if (error == null && metadata != null) {
          if (tag == RAW_TAG) {
            marks.wrote(metadata.partition(), System.nanoTime()); // delivered data: marks follow it
          } else if (tag == MARK_TAG) {
            stats.onProgressMarkSent();
          }
        }
        onOutcome(position, error, tag == MARK_TAG);
      });
    } catch (RuntimeException e) {
      onOutcome(position, e, tag == MARK_TAG);
    }
  }

  private void onOutcome(long position, Exception error, boolean mark) {
    if (error == null) {
      if (!mark) {
        stats.onSent();
      }
      succeededSinceFailure = true;
    } else if (error instanceof RecordTooLargeException || error instanceof InvalidTopicException) {
      stats.onSendRejected(); // retrying cannot help: counted and skipped
      kafka.logSendError(error);
    } else {
      stats.onSendError();
      failed.add(position); // before leaving inFlight: a position is always in one of the two sets
      failure = true;
      kafka.logSendError(error);
    }
    inFlight.remove(position);
    if (waitingForOutcome || (failure && waitingForAppend)) {
      LockSupport.unpark(sender);
    }
  }

  /**
   * After a failed send: waits for every outstanding outcome, then rewinds the spool to the first
   * failed record; {@link #nextToSend} then re-sends exactly the failed records up to where the
   * reader was, skipping those delivered meanwhile.
   */
  private void recoverFromFailure() {
    while (!inFlight.isEmpty()) {
      if (closing()) {
        return;
      }
      await(false, RELEASE_EVERY_NS, inFlight::isEmpty);
    }
    NavigableSet<Long> toResend = new TreeSet<>(failed);
    failed.removeAll(toResend);
    failure = false;
    if (toResend.isEmpty()) {
      return;
    }
    resendLimit = resend.isEmpty() ? spool.readPosition() : Math.max(resendLimit, spool.readPosition());
    resend.addAll(toResend);
    resending = true;
    spool.seek(resend.first());
    if (succeededSinceFailure) {
      backoffMs = INITIAL_BACKOFF_MS;
    }
    succeededSinceFailure = false;
    LOG.debug("resending {} records after a send failure; backoff {} ms", resend.size(), backoffMs);
    sleep(backoffMs);
    backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
  }

  private DiskSpool.Entry nextToSend() {
    while (!resend.isEmpty()) {
      DiskSpool.Entry entry = spool.next();
      if (entry == null || entry.position() >= resendLimit) {
        // the spool dropped (DROP_OLDEST) the segment of the rest while they waited
        stats.onSpoolLost(resend.size());
        resend.clear();
        resending = false;
        return entry;
      }
      if (resend.remove(entry.position())) {
        stats.onResent();
        resending = !resend.isEmpty();
        return entry;
      }
      // delivered before the failure: skip
    }
    resending = false;
    return spool.next();
  }

  /** Frees what the broker has acknowledged: everything before the oldest unacknowledged record. */
  private void releaseDelivered() {
    long lowest = spool.readPosition();
    if (!resend.isEmpty()) {
      lowest = Math.min(lowest, resend.first());
    }
    lowest = Math.min(lowest, first(inFlight, lowest));
    lowest = Math.min(lowest, first(failed, lowest));
    try {
      spool.release(lowest);
    } catch (UncheckedIOException e) {
      LOG.warn("{}", e.getMessage()); // the next release retries; a restart may re-send a little more
    }
  }

  private static long first(ConcurrentSkipListSet<Long> set, long otherwise) {
    try {
      return set.first();
    } catch (NoSuchElementException e) {
      return otherwise;
    }
  }

  /** The producer's own metrics. */
  @Override
  public Map<MetricName, ? extends Metric> kafkaMetrics() {
    return kafka.kafkaMetrics();
  }

  /** Waits (up to 30 s) until everything spooled so far has been acknowledged or has failed. */
  @Override
  public void flush() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() - deadline < 0
        && !(spool.caughtUp() && inFlight.isEmpty() && !failure && !resending)) {
      LockSupport.parkNanos(IDLE_PARK_NS);
    }
    kafka.flush();
  }

  /**
   * Sends what is spooled for up to {@link SpoolConfig#drainOnClose()} (less when sends are
   * failing), then closes the producer;
   * what is still unacknowledged stays in the spool for the next start.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeDeadlineNs = System.nanoTime() + settings.drainOnClose().toNanos();
    running = false;
    if (marker != null) {
      LockSupport.unpark(marker);
      try {
        marker.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    LockSupport.unpark(sender);
    try {
      sender.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    kafka.close(); // fails what is still in flight: those positions land in `failed`
    releaseDelivered();
    long left = spool.appendedRecords() - stats.sent();
    if (!spool.caughtUp() || !failed.isEmpty() || !resend.isEmpty()) {
      LOG.warn("collector spool keeps undelivered records for the next start in {}", spool);
    } else if (left > 0) {
      LOG.debug("spool closed; {} records were appended but not acknowledged in this run", left);
    }
    spool.close();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
