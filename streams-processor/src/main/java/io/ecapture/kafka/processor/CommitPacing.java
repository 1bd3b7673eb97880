package io.ecapture.kafka.processor;

import java.time.Duration;
import java.util.Objects;

/**
 * When the processor asks Kafka Streams for a commit of its own, so a parsed message reaches
 * read_committed readers (the gateway) without waiting for {@code commit.interval.ms}.
 *
 * <p>Under exactly_once_v2 a parsed message is visible only once its transaction commits. Kafka
 * Streams commits every {@code commit.interval.ms}, checked only between polls, so a message
 * waited up to that interval plus {@code poll.ms}. A task that emitted a message instead requests
 * a commit ({@code ProcessorContext.commit()}); Streams makes requested commits in the same loop
 * iteration, right after processing and punctuation. An unlimited request would commit a
 * transaction per loop iteration under load, so requests are rate-limited by a token bucket
 * per stream thread (its tasks share one transaction):
 * {@code burst} requests at once, then one per {@code interval}. An emit that finds the bucket
 * empty is committed by the next record's request once a token is back, or by a wall-clock
 * punctuator scheduled only while such an emit waits (a punctuator fires only when the stream
 * thread wakes, so after the last record of a burst at the latest when its poll returns, {@code
 * poll.ms}). The regular commit interval still runs as well.
 *
 * <p>A task asks once per polled batch, at the batch's last record ({@link LastFetchedOffsets}):
 * Kafka Streams processes one record per task per loop pass while it commits, so asking at every
 * emitting record committed a batch's records one transaction each, in a row.
 *
 * <p>Only used with exactly_once_v2: under at_least_once a message is visible when it is produced.
 *
 * @param interval a token comes back every this long: the long-run rate of requested commits
 *     under load is at most one per interval; zero requests a commit after every emit (no
 *     limit); negative never requests one ({@code --commit-request-interval-ms -1}, only the
 *     commit interval commits). Default {@link #DEFAULT_INTERVAL}.
 * @param burst requests allowed at once after a quiet time (a request and its response parsed a
 *     few milliseconds apart are both committed at once). At least 1. Default {@value
 *     #DEFAULT_BURST}.
 */
public record CommitPacing(Duration interval, int burst, Duration maxLag) {
  /**
   * One requested commit per 20 ms under load at most: the rate Kafka Streams itself committed
   * at with the former 20 ms commit interval (bench/pipeline-latency.sh live; README).
   */
  public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(20);
  public static final int DEFAULT_BURST = 4;
  /**
   * Requests are for live output: a message whose input record is older than this (the record's
   * timestamp, set by the collector, against this processor's clock) is left to the commit
   * interval. A processor working through a backlog then commits every commit.interval.ms and
   * writes each connection's state once per interval, not once per requested commit: in the
   * throughput bench the 100 ms interval cost 34% less CPU per record than commits every 20 ms.
   */
  public static final Duration DEFAULT_MAX_LAG = Duration.ofSeconds(1);
  public static final CommitPacing DEFAULTS = new CommitPacing(DEFAULT_INTERVAL, DEFAULT_BURST);
  /** Never requests a commit: Kafka Streams commits every commit.interval.ms only. */
  public static final CommitPacing OFF = new CommitPacing(Duration.ofMillis(-1), 1);

  public CommitPacing {
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(maxLag, "maxLag");
    if (maxLag.isNegative()) {
      throw new IllegalArgumentException("commit request max lag must be >= 0: " + maxLag);
    }
    if (burst < 1) {
      throw new IllegalArgumentException("commit request burst must be >= 1: " + burst);
    }
  }

  /** With the default {@link #DEFAULT_MAX_LAG}. */
  public CommitPacing(Duration interval, int burst) {
    this(interval, burst, DEFAULT_MAX_LAG);
  }

  /** From the command line's milliseconds: negative is {@link #OFF}. */
  public static CommitPacing ofMillis(long intervalMs, int burst) {
    return ofMillis(intervalMs, burst, DEFAULT_MAX_LAG.toMillis());
  }

  /** As {@link #ofMillis(long, int)} with a max lag. */
  public static CommitPacing ofMillis(long intervalMs, int burst, long maxLagMs) {
    return intervalMs < 0 ? OFF
        : new CommitPacing(Duration.ofMillis(intervalMs), burst, Duration.ofMillis(maxLagMs));
  }

  /** Whether commits are requested at all. */
  public boolean enabled() {
    return !interval.isNegative();
  }
}
