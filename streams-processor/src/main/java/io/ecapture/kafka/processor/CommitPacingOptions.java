package io.ecapture.kafka.processor;

import picocli.CommandLine.Option;

/**
 * {@link CommitPacing} as command-line options, shared by {@code processor} and {@code up} (a
 * picocli mixin).
 */
public final class CommitPacingOptions {
  @Option(names = "--commit-request-interval-ms", paramLabel = "MS",
      description = "exactly_once_v2: after emitting parsed messages a task asks for a commit at once, so "
          + "they reach the gateway without waiting for commit.interval.ms; under load at most one such "
          + "commit per MS (a token bucket); 0 = after every emit, -1 = never (only the commit interval "
          + "commits) (default: ${DEFAULT-VALUE})")
  long intervalMs = CommitPacing.DEFAULT_INTERVAL.toMillis();

  @Option(names = "--commit-request-burst", paramLabel = "N",
      description = "commits a task may ask for at once after a quiet time, before the interval applies "
          + "(default: ${DEFAULT-VALUE})")
  int burst = CommitPacing.DEFAULT_BURST;

  @Option(names = "--commit-request-max-lag-ms", paramLabel = "MS",
      description = "commits are asked for live output only: a message whose input record is older than "
          + "MS (its timestamp against this clock) waits for commit.interval.ms, so a processor working "
          + "through a backlog commits once per interval (default: ${DEFAULT-VALUE})")
  long maxLagMs = CommitPacing.DEFAULT_MAX_LAG.toMillis();

  /** The pacing these options describe; a bad value is an IllegalArgumentException. */
  public CommitPacing pacing() {
    return CommitPacing.ofMillis(intervalMs, burst, maxLagMs);
  }
}
