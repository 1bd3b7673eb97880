package io.ecapture.kafka.collector.decode;

import java.time.Instant;

/**
 * Converts kernel CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns) to Unix nanoseconds. On Linux
 * {@link System#nanoTime()} reads the same clock, so one offset measured at start converts every
 * timestamp; NTP slews after start are ignored (microseconds per hour).
 */
public final class MonotonicClock {
  private final long wallMinusMonotonicNs;

  private MonotonicClock(long wallMinusMonotonicNs) {
    this.wallMinusMonotonicNs = wallMinusMonotonicNs;
  }

  /** Measures the offset now. */
  public static MonotonicClock measure() {
    long before = System.nanoTime();
    Instant wall = Instant.now();
    long after = System.nanoTime();
    long wallNs = wall.getEpochSecond() * 1_000_000_000L + wall.getNano();
    return new MonotonicClock(wallNs - (before + (after - before) / 2));
  }

  /** A fixed offset, for tests. */
  public static MonotonicClock withOffset(long wallMinusMonotonicNs) {
    return new MonotonicClock(wallMinusMonotonicNs);
  }

  public long toUnixNanos(long monotonicNs) {
    return monotonicNs + wallMinusMonotonicNs;
  }
}
