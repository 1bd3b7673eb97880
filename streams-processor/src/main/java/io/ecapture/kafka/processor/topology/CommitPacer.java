package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.CommitPacing;
import io.ecapture.kafka.processor.LastFetchedOffsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Requests a Kafka Streams commit after a task emitted parsed messages, rate-limited as {@link
 * CommitPacing} describes.
 *
 * <p>It sits between the processor and its context ({@link #context()}): a record forwarded to
 * {@link TopologyNames#PARSED_SINK} marks the task as having an uncommitted message, and after
 * each {@code process} call and each punctuation ({@link #afterWork()}) a marked task requests a
 * commit if a token is left. Otherwise a wall-clock punctuator is scheduled for when the next
 * token is back, and cancelled as soon as the request was made: it exists only while a message
 * waits, since a punctuation makes the task need a commit (an idle processor must not commit).
 *
 * <p>The token bucket ({@link Bucket}) belongs to the stream thread, shared by its tasks: under
 * exactly_once_v2 one requested commit commits every task of the thread (one producer, one
 * transaction), so the limit is on the thread's commits, whatever the number of partitions.
 * Tasks of a thread run one at a time on it, so nothing here needs a lock.
 */
final class CommitPacer {
  private static final ThreadLocal<Bucket> THREAD_BUCKETS = new ThreadLocal<>();

  private final ProcessorContext<Object, Object> context;
  private final Bucket bucket;
  private final boolean enabled;
  private boolean pending;
  private Cancellable retry;
  private long requested;
  private long behind;
  private final long maxLagMs;
  private Runnable onRequest = () -> {};

  /**
   * A pacer sharing the calling stream thread's bucket (created with {@code pacing} on the
   * thread's first task).
   *
   * @param context the task's real context
   * @param pacing the rate limit; {@link CommitPacing#enabled() disabled}: the context is passed
   *     through untouched
   */
  static CommitPacer forCurrentThread(ProcessorContext<Object, Object> context, CommitPacing pacing) {
    Bucket bucket = THREAD_BUCKETS.get();
    if (bucket == null || !bucket.pacing.equals(pacing)) {
      bucket = new Bucket(pacing, context.currentSystemTimeMs());
      THREAD_BUCKETS.set(bucket);
    }
    return new CommitPacer(context, bucket);
  }

  /** A pacer with the given bucket (tests: several tasks of one thread). */
  CommitPacer(ProcessorContext<Object, Object> context, Bucket bucket) {
    this.context = context;
    this.bucket = bucket;
    this.enabled = bucket.pacing.enabled();
    this.maxLagMs = bucket.pacing.maxLag().toMillis();
  }

  /**
   * A parsed message was emitted for a record of time {@code timestamp}: it waits for a commit
   * when it is live, i.e. its record is at most the max lag old; an older one (a backlog) is left
   * to the commit interval (see {@link CommitPacing#DEFAULT_MAX_LAG}).
   */
  private void emitted(long timestamp) {
    if (context.currentSystemTimeMs() - timestamp <= maxLagMs) {
      pending = true;
    } else {
      behind++;
    }
  }

  /** The context to hand the processor: records what it emits and when it punctuates. */
  ProcessorContext<Object, Object> context() {
    return enabled ? new Pacing() : context;
  }

  /**
   * After the processor's {@code process} or a punctuation: requests a commit when one is due.
   * Not while records of the task's partition are already buffered behind the one just processed
   * ({@link LastFetchedOffsets}): the batch's last record requests it, so a batch costs one
   * commit, not one per emitting record.
   */
  void afterWork() {
    if (!pending || moreBuffered()) {
      return;
    }
    long now = context.currentSystemTimeMs();
    if (bucket.take(now)) {
      pending = false;
      requested++;
      onRequest.run();
      context.commit();
      if (retry != null) {
        retry.cancel();
        retry = null;
      }
    } else if (retry == null) {
      retry = context.schedule(Duration.ofMillis(bucket.waitMs()), PunctuationType.WALL_CLOCK_TIME,
          timestamp -> afterWork());
    }
  }

  /** Whether this thread already polled a record of the current record's partition after it. */
  private boolean moreBuffered() {
    Optional<RecordMetadata> current = context.recordMetadata();
    if (current.isEmpty()) {
      return false; // a punctuation
    }
    RecordMetadata record = current.get();
    return LastFetchedOffsets.fetchedAfter(record.topic(), record.partition(), record.offset());
  }

  /**
   * A stream thread's commit requests: {@code burst} at once, then one per interval, held as
   * milliseconds of credit (one request costs {@code interval}).
   */
  static final class Bucket {
    private final CommitPacing pacing;
    private final long intervalMs;
    private final long capacityMs;
    private long creditMs;
    private long refilledAtMs;
    /** The thread's cached time of the last request taken; Long.MIN_VALUE: none yet. */
    private long requestedAtMs = Long.MIN_VALUE;

    Bucket(CommitPacing pacing, long nowMs) {
      this.pacing = pacing;
      this.intervalMs = Math.max(0, pacing.interval().toMillis());
      this.capacityMs = (long) pacing.burst() * intervalMs;
      this.creditMs = capacityMs;
      this.refilledAtMs = nowMs;
    }

    /** Whether a request may be made now; takes its token. */
    boolean take(long now) {
      if (now == requestedAtMs) {
        // the thread's clock has not moved since the last request: Kafka Streams gives every
        // record of a processing pass the same time, and commits only after the pass, so the
        // commit already asked for covers this emit too (free; a commit quicker than a
        // millisecond would let a second one through, a cheap one)
        return true;
      }
      // a clock that went back (or a new test's mock clock): start over with a full bucket
      creditMs = now < refilledAtMs ? capacityMs : Math.min(capacityMs, creditMs + now - refilledAtMs);
      refilledAtMs = now;
      if (creditMs < intervalMs) {
        return false;
      }
      creditMs -= intervalMs; // interval 0: no limit
      requestedAtMs = now;
      return true;
    }

    /** How long until the next token is back (at least 1 ms). */
    long waitMs() {
      return Math.max(1, intervalMs - creditMs);
    }
  }

  /** Called at each commit request (a counter of the processor's metrics). */
  void onRequest(Runnable hook) {
    onRequest = java.util.Objects.requireNonNull(hook, "hook");
  }

  /** Commits requested so far (tests). */
  long requested() {
    return requested;
  }

  /** Emits left to the commit interval because their record was older than the max lag (tests). */
  long behind() {
    return behind;
  }

  /** Whether an emitted message waits for a token (tests). */
  boolean pending() {
    return pending;
  }

  /** Delegates everything; notes parsed messages and runs {@link #afterWork()} after punctuations. */
  private final class Pacing implements ProcessorContext<Object, Object> {
    @Override
    public <K, V> void forward(Record<K, V> record) {
      context.forward(record);
      emitted(record.timestamp());
    }

    @Override
    public <K, V> void forward(Record<K, V> record, String childName) {
      context.forward(record, childName);
      if (TopologyNames.PARSED_SINK.equals(childName)) {
        emitted(record.timestamp());
      }
    }

    @Override
    public Cancellable schedule(Duration interval, PunctuationType type, Punctuator callback) {
      return context.schedule(interval, type, paced(callback));
    }

    @Override
    public Cancellable schedule(Instant startTime, Duration interval, PunctuationType type,
        Punctuator callback) {
      return context.schedule(startTime, interval, type, paced(callback));
    }

    private Punctuator paced(Punctuator callback) {
      return timestamp -> {
        callback.punctuate(timestamp);
        afterWork();
      };
    }

    @Override
    public String applicationId() {
      return context.applicationId();
    }

    @Override
    public TaskId taskId() {
      return context.taskId();
    }

    @Override
    public Optional<RecordMetadata> recordMetadata() {
      return context.recordMetadata();
    }

    @Override
    public Serde<?> keySerde() {
      return context.keySerde();
    }

    @Override
    public Serde<?> valueSerde() {
      return context.valueSerde();
    }

    @Override
    public java.io.File stateDir() {
      return context.stateDir();
    }

    @Override
    public StreamsMetrics metrics() {
      return context.metrics();
    }

    @Override
    public <S extends StateStore> S getStateStore(String name) {
      return context.getStateStore(name);
    }

    @Override
    public void commit() {
      context.commit();
    }

    @Override
    public Map<String, Object> appConfigs() {
      return context.appConfigs();
    }

    @Override
    public Map<String, Object> appConfigsWithPrefix(String prefix) {
      return context.appConfigsWithPrefix(prefix);
    }

    @Override
    public long currentSystemTimeMs() {
      return context.currentSystemTimeMs();
    }

    @Override
    public long currentStreamTimeMs() {
      return context.currentStreamTimeMs();
    }
  }
}
