package io.ecapture.kafka.processor;

import java.time.Duration;
import java.util.Objects;

/**
 * How the processor bounds failures it cannot handle in place, so a poison record never makes a
 * stream thread replace itself forever.
 *
 * <ul>
 *   <li>A record whose processing in the connection processor throws a {@code KafkaException}
 *       that is not one of Kafka Streams' own signals nor retriable (a state store or serde
 *       failing on the connection's state) is tried {@code maxRecordAttempts} times in all, in
 *       place (100 ms, 200 ms... apart), its output held back until an attempt succeeds; after the
 *       last failure the connection's state is reset and the record goes to {@code ecapture.dlq}
 *       with the reason and the attempts in headers, and processing goes on with the next record.
 *       Other exceptions there (a parser bug) dead-letter the record at once.
 *   <li>A record whose processing fails elsewhere (an exception escaping a processor node) is
 *       tried {@code maxRecordAttempts} times too, but each failed attempt ends the stream thread,
 *       which is replaced and processes the record again from the last commit (under exactly-once
 *       the attempt's output is aborted); the last failure dead-letters it ({@link
 *       PoisonRecordHandler}). A replaced thread rejoins the group, which takes up to the
 *       consumer's session timeout.
 *   <li>A stream thread that dies is replaced after a backoff that doubles from {@code
 *       firstBackoff} up to {@code maxBackoff}; more than {@code maxThreadFailures} deaths within
 *       {@code threadFailureWindow} stop the app instead (state ERROR in /status), with the last
 *       error logged ({@link ThreadFailureHandler}).
 * </ul>
 *
 * @param maxRecordAttempts attempts of one record before it is dead-lettered, at least 1 (1: at
 *     once, no retry). Default 3.
 * @param maxThreadFailures stream-thread deaths tolerated within the window. Default 10.
 * @param threadFailureWindow the window. Default 10 min.
 * @param firstBackoff wait before replacing a thread the first time. Default 1 s.
 * @param maxBackoff longest wait before replacing a thread. Default 30 s.
 */
public record FailurePolicy(
    int maxRecordAttempts,
    int maxThreadFailures,
    Duration threadFailureWindow,
    Duration firstBackoff,
    Duration maxBackoff) {

  public static final int DEFAULT_MAX_RECORD_ATTEMPTS = 3;
  public static final int DEFAULT_MAX_THREAD_FAILURES = 10;
  public static final Duration DEFAULT_THREAD_FAILURE_WINDOW = Duration.ofMinutes(10);
  public static final Duration DEFAULT_FIRST_BACKOFF = Duration.ofSeconds(1);
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);

  /** Every default. */
  public static final FailurePolicy DEFAULTS = new FailurePolicy(DEFAULT_MAX_RECORD_ATTEMPTS,
      DEFAULT_MAX_THREAD_FAILURES, DEFAULT_THREAD_FAILURE_WINDOW, DEFAULT_FIRST_BACKOFF, DEFAULT_MAX_BACKOFF);

  public FailurePolicy {
    if (maxRecordAttempts < 1) {
      throw new IllegalArgumentException("maxRecordAttempts must be >= 1: " + maxRecordAttempts);
    }
    if (maxThreadFailures < 1) {
      throw new IllegalArgumentException("maxThreadFailures must be >= 1: " + maxThreadFailures);
    }
    Objects.requireNonNull(threadFailureWindow, "threadFailureWindow");
    Objects.requireNonNull(firstBackoff, "firstBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (threadFailureWindow.isNegative() || threadFailureWindow.isZero()
        || firstBackoff.isNegative() || maxBackoff.compareTo(firstBackoff) < 0) {
      throw new IllegalArgumentException("window must be positive and 0 <= firstBackoff <= maxBackoff");
    }
  }

  /** This policy with another number of attempts per record. */
  public FailurePolicy withMaxRecordAttempts(int attempts) {
    return new FailurePolicy(attempts, maxThreadFailures, threadFailureWindow, firstBackoff, maxBackoff);
  }

  /** The wait before replacing a thread after its {@code failure}-th death in the window (1-based). */
  public Duration backoff(int failure) {
    Duration wait = firstBackoff;
    for (int i = 1; i < failure && wait.compareTo(maxBackoff) < 0; i++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
  }
}
