package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.CommitPacing;
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
 * CommitPacing} describes (a token bucket, one task's; tasks of a stream thread run one at a
 * time, so nothing here is shared between threads).
 *
 * <p>It sits between the processor and its context ({@link #context()}): a record forwarded to
 * {@link TopologyNames#PARSED_SINK} marks the task as having an uncommitted message, and after
 * each {@code process} call and each punctuation ({@link #afterWork()}) a marked task requests a
 * commit if a token is left. Otherwise a wall-clock punctuator is scheduled for when the next
 * token is back, and cancelled as soon as the request was made: it exists only while a message
 * waits, since a punctuation makes the task need a commit (an idle processor must not commit).
 */
final class CommitPacer {
  private final ProcessorContext<Object, Object> context;
  private final long intervalMs;
  private final int burst;
  private final boolean enabled;
  private double tokens;
  private long refilledAtMs;
  private boolean pending;
  private Cancellable retry;
  private long requested;

  /**
   * @param context the task's real context
   * @param pacing the rate limit; {@link CommitPacing#enabled() disabled}: the context is passed
   *     through untouched
   */
  CommitPacer(ProcessorContext<Object, Object> context, CommitPacing pacing) {
    this.context = context;
    this.enabled = pacing.enabled();
    this.intervalMs = Math.max(0, pacing.interval().toMillis());
    this.burst = pacing.burst();
    this.tokens = burst;
    this.refilledAtMs = context.currentSystemTimeMs();
  }

  /** The context to hand the processor: records what it emits and when it punctuates. */
  ProcessorContext<Object, Object> context() {
    return enabled ? new Pacing() : context;
  }

  /** After the processor's {@code process} or a punctuation: requests a commit when one is due. */
  void afterWork() {
    if (!pending) {
      return;
    }
    long now = context.currentSystemTimeMs();
    if (intervalMs > 0) {
      tokens = Math.min(burst, tokens + (double) Math.max(0, now - refilledAtMs) / intervalMs);
      refilledAtMs = now;
    }
    if (intervalMs == 0 || tokens >= 1) {
      if (intervalMs > 0) {
        tokens -= 1;
      }
      pending = false;
      requested++;
      context.commit();
      if (retry != null) {
        retry.cancel();
        retry = null;
      }
    } else if (retry == null) {
      long waitMs = (long) Math.ceil((1 - tokens) * intervalMs);
      retry = context.schedule(Duration.ofMillis(Math.max(1, waitMs)),
          PunctuationType.WALL_CLOCK_TIME, timestamp -> afterWork());
    }
  }

  /** Commits requested so far (tests). */
  long requested() {
    return requested;
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
      pending = true;
    }

    @Override
    public <K, V> void forward(Record<K, V> record, String childName) {
      context.forward(record, childName);
      if (TopologyNames.PARSED_SINK.equals(childName)) {
        pending = true;
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
