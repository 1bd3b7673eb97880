package io.ecapture.kafka.collector;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one collector. Updated from the ring-buffer thread and the Kafka producer's I/O
 * thread; {@link #snapshot()} is safe from any thread.
 */
public final class CollectorStats {
  final LongAdder captured = new LongAdder();
  final LongAdder capturedBytes = new LongAdder();
  final LongAdder malformed = new LongAdder();
  final LongAdder sent = new LongAdder();
  final LongAdder sendErrors = new LongAdder();
  private volatile KernelCounters kernel = KernelCounters.NONE;

  /** Drop counters the BPF programs keep (per-CPU map, summed). */
  public interface KernelCounters {
    KernelCounters NONE = index -> 0;

    /** Pseudo-index: number of connections the kernel currently tracks. */
    int TRACKED_CONNECTIONS = -1;

    long read(int index);
  }

  void attachKernelCounters(KernelCounters counters) {
    this.kernel = counters;
  }

  /**
   * Point-in-time counter values.
   *
   * @param captured records decoded from the ring buffer (data, open and close events)
   * @param capturedBytes plaintext payload bytes in those records
   * @param droppedInKernel records lost because the ring buffer was full (kernel counter)
   * @param droppedBytesInKernel payload bytes of those records
   * @param readFaults payload copies from user memory that failed in the kernel
   * @param truncatedCalls calls longer than the 1 MiB capture limit
   * @param malformed records that did not decode (skipped)
   * @param sent records the broker acknowledged
   * @param sendErrors records the producer failed to deliver
   * @param trackedConnections connections the kernel tracks right now (a gauge)
   */
  public record Snapshot(
      long captured,
      long capturedBytes,
      long droppedInKernel,
      long droppedBytesInKernel,
      long readFaults,
      long truncatedCalls,
      long malformed,
      long sent,
      long sendErrors,
      long trackedConnections) {

    /** One summary line for the periodic log. */
    public String summary() {
      return "captured=" + captured + " bytes=" + capturedBytes + " dropped_kernel=" + droppedInKernel
          + " dropped_kernel_bytes=" + droppedBytesInKernel + " read_faults=" + readFaults
          + " truncated=" + truncatedCalls + " malformed=" + malformed + " sent=" + sent
          + " send_errors=" + sendErrors + " connections=" + trackedConnections;
    }
  }

  public Snapshot snapshot() {
    KernelCounters k = kernel;
    return new Snapshot(
        captured.sum(),
        capturedBytes.sum(),
        safeRead(k, EventLayout.DROP_RECORDS),
        safeRead(k, EventLayout.DROP_BYTES),
        safeRead(k, EventLayout.DROP_READ_FAULTS),
        safeRead(k, EventLayout.DROP_TRUNCATED),
        malformed.sum(),
        sent.sum(),
        sendErrors.sum(),
        safeRead(k, KernelCounters.TRACKED_CONNECTIONS));
  }

  private static long safeRead(KernelCounters counters, int index) {
    try {
      return counters.read(index);
    } catch (RuntimeException e) {
      return -1; // map already closed: unknown
    }
  }

}
