package io.ecapture.kafka.forwarder.sink;

import java.time.Duration;

/** Waits that double from {@code min} up to {@code max}, reset after a success. */
final class Backoff {
  private final long minMs;
  private final long maxMs;
  private long nextMs;

  Backoff(Duration min, Duration max) {
    this.minMs = Math.max(1, min.toMillis());
    this.maxMs = Math.max(minMs, max.toMillis());
    this.nextMs = minMs;
  }

  /** The wait before the next attempt; doubles the one after. */
  long next() {
    long wait = nextMs;
    nextMs = Math.min(maxMs, nextMs * 2);
    return wait;
  }

  void reset() {
    nextMs = minMs;
  }
}
