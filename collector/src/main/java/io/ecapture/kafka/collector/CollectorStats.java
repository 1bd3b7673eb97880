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
  final LongAdder sendRejected = new LongAdder();
  final LongAdder spooled = new LongAdder();
  final LongAdder resent = new LongAdder();
  final LongAdder spoolLost = new LongAdder();
  final LongAdder keyLogLines = new LongAdder();
  private volatile KernelCounters kernel = KernelCounters.NONE;
  private volatile SpoolGauges spool = SpoolGauges.NONE;

  /** Live values of the on-disk spool. */
  public interface SpoolGauges {
    SpoolGauges NONE =
        new SpoolGauges() {
          @Override
          public long usedBytes() {
            return 0;
          }

          @Override
          public long droppedRecords() {
            return 0;
          }
        };

    long usedBytes();

    long droppedRecords();
  }

  void attachSpool(SpoolGauges gauges) {
    this.spool = gauges;
  }

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
   * @param captured capture events decoded from the ring buffer (open, handshake, data chunk, close);
   *     key records are not events: their lines are counted in {@code keyLogLines}
   * @param capturedBytes plaintext payload bytes in those records
   * @param droppedInKernel records lost because the ring buffer was full (kernel counter)
   * @param droppedBytesInKernel payload bytes of those records
   * @param readFaults payload copies from user memory that failed in the kernel
   * @param truncatedCalls calls longer than the 1 MiB capture limit
   * @param malformed records that did not decode (skipped)
   * @param sent records the broker acknowledged: events and key-log lines (with the spool on,
   *     those a previous run left in it included)
   * @param sendErrors failed send attempts (with the spool: sent again later, so not a loss)
   * @param trackedConnections connections the kernel tracks right now (a gauge)
   * @param filteredInKernel SSL calls the in-kernel process filter skipped
   * @param spooled records appended to the on-disk spool, once each (retries are {@code resent}):
   *     events plus key-log lines, so with nothing refused {@code spooled = captured + keyLogLines}
   * @param spoolDropped records lost to the spool's size limit (full policy) or a disk error
   * @param spoolBytes bytes in the spool's live segments (a gauge)
   * @param resent spooled records sent again after a failed attempt (once per attempt)
   * @param sendRejected records the broker refused for good (too large): not retried
   * @param sslCalls SSL read/write calls the entry uprobes saw (filtered ones included)
   * @param uprobeHits entry plus return uprobe hits: the kernel traps the capture costs
   * @param keyLogLines NSS key-log lines produced from captured TLS key material (spooled and sent
   *     like events; not part of {@code captured})
   * @param handshakes completed TLS handshakes seen (SSL_do_handshake returning success, once per
   *     connection); their probes are not part of {@code uprobeHits}
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
      long trackedConnections,
      long filteredInKernel,
      long spooled,
      long spoolDropped,
      long spoolBytes,
      long resent,
      long sendRejected,
      long sslCalls,
      long uprobeHits,
      long keyLogLines,
      long handshakes) {

    /** One summary line for the periodic log. */
    public String summary() {
      return "captured=" + captured + " bytes=" + capturedBytes + " dropped_kernel=" + droppedInKernel
          + " dropped_kernel_bytes=" + droppedBytesInKernel + " read_faults=" + readFaults
          + " truncated=" + truncatedCalls + " malformed=" + malformed + " sent=" + sent
          + " send_errors=" + sendErrors + " connections=" + trackedConnections
          + " filtered_kernel=" + filteredInKernel + " spooled=" + spooled + " spool_dropped=" + spoolDropped
          + " spool_bytes=" + spoolBytes + " resent=" + resent + " rejected=" + sendRejected
          + " ssl_calls=" + sslCalls + " uprobe_hits=" + uprobeHits + " keylog_lines=" + keyLogLines
          + " handshakes=" + handshakes;
    }
  }

  public Snapshot snapshot() {
    KernelCounters k = kernel;
    SpoolGauges spoolGauges = spool;
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
        safeRead(k, KernelCounters.TRACKED_CONNECTIONS),
        safeRead(k, EventLayout.DROP_FILTERED),
        spooled.sum(),
        spoolGauges.droppedRecords() + spoolLost.sum(),
        spoolGauges.usedBytes(),
        resent.sum(),
        sendRejected.sum(),
        safeRead(k, EventLayout.COUNT_ENTRY_HITS),
        safeRead(k, EventLayout.COUNT_ENTRY_HITS) + safeRead(k, EventLayout.COUNT_RETURN_HITS),
        keyLogLines.sum(),
        safeRead(k, EventLayout.COUNT_HANDSHAKES));
  }

  /** One kernel counter (an index of tlscapture.h enum drop_counter), -1 when unreadable. */
  long kernelCounter(int index) {
    return safeRead(kernel, index);
  }

  private static long safeRead(KernelCounters counters, int index) {
    try {
      return counters.read(index);
    } catch (RuntimeException e) {
      return -1; // map already closed: unknown
    }
  }

}
