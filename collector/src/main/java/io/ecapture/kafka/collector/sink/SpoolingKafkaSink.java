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
import java.util.concurrent.ConcurrentSkipListMap;
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
 * acknowledged it (and everything before it). A partition of a topic keeps the spool's order:
 * <ul>
 *   <li>the producer never gives a record up for time ({@code delivery.timeout.ms} is unbounded,
 *       see {@link #PRODUCER_DEFAULTS}): through a broker failover or a cut link it retries, and
 *       idempotence keeps each partition's batches in order across the retries. A finite delivery
 *       timeout broke that order: the batches that expired were re-sent by the spool after later
 *       batches of the same partition, still pending when the broker came back, had succeeded
 *       (the idempotent producer bumps its epoch and goes on after an expired batch);
 *   <li>when a send fails anyway (the producer's buffer full, metadata not available, an error
 *       the producer does not retry, a timeout set by the user), the sender waits for every
 *       in-flight record's outcome, rewinds to the first failed record and re-sends, in spool
 *       order, every record of each partition that had a failure from that partition's first
 *       failed record on, the delivered ones included (those are repeats: the processor drops
 *       chunks it already has by their stream offset); records of other partitions delivered
 *       meanwhile are not sent again.
 * </ul>
 * A record the broker stored but never acknowledged can still arrive twice (at-least-once). What
 * is unsent at close stays on disk and is sent after a restart.
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
   * Producer defaults under the user's overrides: a send blocks (metadata, buffer) at most 3 s and
   * a request is retried after 5 s without an answer, but a record is never failed for time
   * ({@code delivery.timeout.ms} unbounded): the producer retries it until the broker takes it, in
   * partition order (idempotence). The spool bounds what the producer holds ({@link
   * SpoolConfig#maxInFlight}); the rest waits on disk.
   */
  static final Map<String, Object> PRODUCER_DEFAULTS =
      Map.of("max.block.ms", 3_000, "request.timeout.ms", 5_000, "delivery.timeout.ms", Integer.MAX_VALUE);
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
  /** Spool positions handed to the producer and not yet answered, with when they were sent. */
  private final ConcurrentSkipListMap<Long, Long> inFlight = new ConcurrentSkipListMap<>();
  /**
   * Spool positions whose send failed, with their partition as the producer's callback named it
   * ({@code topic#partition}), or their tagged key when it named none (the partition is then
   * worked out from the key, see {@link #partitionOf}).
   */
  private final ConcurrentSkipListMap<Long, Object> failed = new ConcurrentSkipListMap<>();
  /** Failed positions that were repeats (delivered and counted as sent before). */
  private final java.util.Set<Long> failedRepeats = java.util.concurrent.ConcurrentHashMap.newKeySet();
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

  // sender-thread state of a replay after a failure: per partition the first position to send
  // again, the position from which everything is sent again (a failure whose partition is not
  // known), the failed positions not re-sent yet, and where the replay ends
  private final Map<String, Long> replayFrom = new java.util.HashMap<>();
  /** Partition counts per topic as the replay found them (asked once per replay). */
  private final Map<String, Integer> replayPartitionCounts = new java.util.HashMap<>();
  private long replayAllFrom = Long.MAX_VALUE;
  private final NavigableSet<Long> resend = new TreeSet<>();
  private long resendLimit;
  /** Whether the entry {@link #nextToSend} returned was delivered before (a repeat of a replay). */
  private boolean nextIsRepeat;
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

          @Override
          public long oldestUnacknowledgedMs() {
            return oldestUnacknowledgedNs() / 1_000_000;
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
    int newlyActive = marks.wroteKey(connection, System.nanoTime(), ACTIVE_WINDOW_NS);
    if (newlyActive >= 0 && marker != null) {
      // the first record in a while to this partition: a mark goes first, so the processor
      // knows this host marks the partition before it reads the data (without one it flushes
      // an idle message in progress at once, as for a collector without marks)
      appendMark(newlyActive, preludeMarkTime(event.getWallTimeNs()));
    }
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
    boolean first = true;
    while (running) {
      if (!first || marks.partitions() > 0) {
        LockSupport.parkNanos(this, intervalNs);
      }
      first = false; // the partition count at once: the first records' partitions get a mark first
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
        appendMark(partition, markTime);
      }
    }
  }

  private long oldestUnacknowledgedNs() {
    Map.Entry<Long, Long> oldest = inFlight.firstEntry();
    return oldest == null ? 0 : Math.max(0, System.nanoTime() - oldest.getValue());
  }

  /** Partitions of ecapture.raw known to the progress marks (0 until the first metadata). */
  int knownPartitions() {
    return marks.partitions();
  }

  private final java.util.concurrent.atomic.AtomicLong markSequence = new java.util.concurrent.atomic.AtomicLong();

  /** Appends a progress mark of capture time {@code markTime} for {@code partition} (any thread). */
  private void appendMark(int partition, long markTime) {
    RawEvent mark = RawEvent.newBuilder()
        .setHostId(new String(hostKey, StandardCharsets.UTF_8))
        .setWallTimeNs(markTime)
        .setProgress(io.ecapture.kafka.proto.capture.ProgressMark.newBuilder()
            .setSequence(markSequence.getAndIncrement()))
        .build();
    if (spool.append(tagged(MARK_TAG, marks.keyFor(partition)), mark.toByteArray())) {
      stats.onProgressMark();
      wakeForAppend();
    }
  }

  /**
   * The time of a mark put in front of an event (on the ring-buffer thread): every event captured
   * before the last drain the ring buffer reported is in the spool already, and the mark never
   * claims the event's own time; 0 (a mark that claims nothing) without drain reports.
   */
  private long preludeMarkTime(long eventWallTimeNs) {
    long drained = drainedUpToNs;
    return drained == 0 ? 0 : Math.max(0, Math.min(drained, eventWallTimeNs - 1));
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
      send(entry, nextIsRepeat);
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

  /** The topic a spooled record goes to, from its tag; null for a record this sink did not write. */
  private String topicOf(byte[] tagged) {
    byte tag = tagged.length == 0 ? 0 : tagged[0];
    return switch (tag) {
      case RAW_TAG, MARK_TAG -> topics.raw();
      case KEYLOG_TAG -> topics.keylog();
      default -> null;
    };
  }

  /** A failure whose partition is not known: every record from it on is sent again. */
  private static final String ANY_PARTITION = "";

  /**
   * The partition a spooled record goes to, as {@code topic#partition} (sender thread, during a
   * replay): Kafka's default partitioner for its key (every record here has one) over the
   * partition count the producer's metadata gave at the replay's start; {@link #ANY_PARTITION}
   * when that count is not known.
   */
  private String partitionOf(byte[] tagged) {
    String topic = topicOf(tagged);
    if (topic == null) {
      return ANY_PARTITION;
    }
    int count = replayPartitionCounts.computeIfAbsent(topic, t -> {
      try {
        return kafka.partitionsFor(t); // the producer's metadata: known once it sent to the topic
      } catch (RuntimeException e) {
        return 0;
      }
    });
    if (count <= 0) {
      return ANY_PARTITION;
    }
    byte[] key = java.util.Arrays.copyOfRange(tagged, 1, tagged.length);
    return topic + "#" + ProgressMarks.partitionOf(key, count);
  }

  /**
   * Hands one spooled record to the producer.
   *
   * @param repeat the record was delivered before and is sent again only to keep its partition's
   *     order after a failure (not counted as sent again when it succeeds)
   */
  private void send(DiskSpool.Entry entry, boolean repeat) {
    long position = entry.position();
    byte[] tagged = entry.key();
    byte tag = tagged.length == 0 ? 0 : tagged[0];
    String topic = topicOf(tagged);
    if (topic == null) {
      stats.onSendRejected(); // not written by this sink: skip rather than guess
      return;
    }
    byte[] key = java.util.Arrays.copyOfRange(tagged, 1, tagged.length);
    inFlight.put(position, System.nanoTime());
    try {
      kafka.send(topic, key, entry.value(), (metadata, error) -> {
        if (error == null && metadata != null) {
          if (tag == RAW_TAG) {
            marks.wrote(metadata.partition(), System.nanoTime()); // delivered data: marks follow it
          } else if (tag == MARK_TAG && !repeat) {
            stats.onProgressMarkSent();
          }
        }
        Object partition = metadata != null && metadata.partition() >= 0
            ? metadata.topic() + "#" + metadata.partition() : tagged;
        onOutcome(position, partition, error, tag == MARK_TAG, repeat);
      });
    } catch (RuntimeException e) {
      onOutcome(position, tagged, e, tag == MARK_TAG, repeat);
    }
  }

  /**
   * @param partition {@code topic#partition} when known, else the record's tagged key
   * @param mark a progress mark (not counted as a record sent)
   * @param repeat sent again only for its partition's order (counted as sent once, before)
   */
  private void onOutcome(long position, Object partition, Exception error, boolean mark, boolean repeat) {
    if (error == null) {
      if (!mark && !repeat) {
        stats.onSent();
      }
      succeededSinceFailure = true;
    } else if (error instanceof RecordTooLargeException || error instanceof InvalidTopicException) {
      stats.onSendRejected(); // retrying cannot help: counted and skipped
      kafka.logSendError(error);
    } else {
      stats.onSendError();
      // before leaving inFlight: a position is always in one of the two
      if (repeat) {
        failedRepeats.add(position);
      }
      failed.put(position, partition);
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
   * failed record; {@link #nextToSend} then re-sends, up to where the reader was, every record of
   * a partition that had a failure from its first failed record on (delivered ones included, so
   * the partition gets them again in spool order), skipping records of other partitions.
   */
  private void recoverFromFailure() {
    while (!inFlight.isEmpty()) {
      if (closing()) {
        return;
      }
      await(false, RELEASE_EVERY_NS, inFlight::isEmpty);
    }
    Map<Long, Object> toResend = new java.util.TreeMap<>(failed);
    toResend.keySet().forEach(failed::remove);
    failure = false;
    if (toResend.isEmpty()) {
      return;
    }
    boolean replaying = resending;
    resendLimit = replaying ? Math.max(resendLimit, spool.readPosition()) : spool.readPosition();
    if (!replaying) {
      replayFrom.clear();
      replayAllFrom = Long.MAX_VALUE;
    }
    replayPartitionCounts.clear();
    for (Map.Entry<Long, Object> f : toResend.entrySet()) {
      String partition = f.getValue() instanceof String named ? named : partitionOf((byte[]) f.getValue());
      if (partition.equals(ANY_PARTITION)) {
        replayAllFrom = Math.min(replayAllFrom, f.getKey());
      } else {
        replayFrom.merge(partition, f.getKey(), Math::min);
      }
    }
    resend.addAll(toResend.keySet());
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
    nextIsRepeat = false;
    while (resending) {
      DiskSpool.Entry entry = spool.next();
      if (entry == null || entry.position() >= resendLimit) {
        // failed records not met again: the spool dropped (DROP_OLDEST) their segment meanwhile
        if (!resend.isEmpty()) {
          lost(resend);
        }
        resending = false;
        return entry;
      }
      long position = entry.position();
      NavigableSet<Long> passed = resend.headSet(position, false);
      if (!passed.isEmpty()) {
        lost(passed); // dropped with their segment, as above
      }
      if (resend.remove(position)) {
        stats.onResent();
        nextIsRepeat = failedRepeats.remove(position);
        return entry;
      }
      if (position >= replayAllFrom
          || (!replayFrom.isEmpty() && position >= replayFrom.getOrDefault(partitionOf(entry.key()), Long.MAX_VALUE))) {
        // delivered, but behind a failed record of its partition: sent again after it, in order
        stats.onResent();
        nextIsRepeat = true;
        return entry;
      }
      // delivered, its partition had no failure before it: skip
    }
    return spool.next();
  }

  /** Failed records the spool no longer holds: counted as lost unless delivered before (repeats). */
  private void lost(NavigableSet<Long> positions) {
    long lost = positions.stream().filter(p -> !failedRepeats.remove(p)).count();
    stats.onSpoolLost(lost);
    positions.clear();
  }

  /** Frees what the broker has acknowledged: everything before the oldest unacknowledged record. */
  private void releaseDelivered() {
    long lowest = spool.readPosition();
    if (!resend.isEmpty()) {
      lowest = Math.min(lowest, resend.first());
    }
    lowest = Math.min(lowest, first(inFlight.navigableKeySet(), lowest));
    lowest = Math.min(lowest, first(failed.navigableKeySet(), lowest));
    try {
      spool.release(lowest);
    } catch (UncheckedIOException e) {
      LOG.warn("{}", e.getMessage()); // the next release retries; a restart may re-send a little more
    }
  }

  private static long first(NavigableSet<Long> set, long otherwise) {
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
