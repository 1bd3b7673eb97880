package io.ecapture.kafka.processor.topology;

/**
 * How long the current stream thread has spent processing records, over all its tasks. The idle
 * flush uses it ({@link IdleIndex}): a direction that saw no bytes while its thread was busy with
 * other records (another task's batch of large messages, or its own) was not idle, its next
 * bytes may simply not have been polled yet. Wall-clock idleness alone cut whole messages in two
 * under load (an 8 MiB body whose state is re-serialised per record keeps a thread busy for
 * seconds).
 */
final class ThreadBusyTime {
  private static final ThreadLocal<long[]> NANOS = ThreadLocal.withInitial(() -> new long[1]);

  private ThreadBusyTime() {}

  /** Nanoseconds this thread spent processing so far (a counter, only differences mean much). */
  static long nanos() {
    return NANOS.get()[0];
  }

  /** Adds the time since {@code startNanos} ({@link System#nanoTime()}) to this thread's. */
  static void since(long startNanos) {
    NANOS.get()[0] += Math.max(0, System.nanoTime() - startNanos);
  }
}
