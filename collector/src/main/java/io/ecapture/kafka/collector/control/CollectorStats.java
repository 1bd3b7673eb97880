package io.ecapture.kafka.collector.control;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one collector. Written through the {@code on...} methods by the record processor
 * (ring-buffer thread) and the sinks (their sender and the Kafka producer's I/O thread); the
 * kernel's own counters and the spool's gauges are read live through what is attached. {@link
 * #snapshot()} is safe from any thread.
 */
public final class CollectorStats {
  private final LongAdder captured = new LongAdder();
  private final LongAdder capturedBytes = new LongAdder();
  private final LongAdder malformed = new LongAdder();
  private final LongAdder sent = new LongAdder();
  private final LongAdder sendErrors = new LongAdder();
  private final LongAdder sendRejected = new LongAdder();
  private final LongAdder spooled = new LongAdder();
  private final LongAdder resent = new LongAdder();
  private final LongAdder spoolLost = new LongAdder();
  private final LongAdder keyLogLines = new LongAdder();
  private final LongAdder processLogsDropped = new LongAdder();
  private final LongAdder controlRefused = new LongAdder();
  private final LongAdder progressMarks = new LongAdder();
  private final LongAdder progressMarksSent = new LongAdder();
  private volatile java.util.function.LongSupplier ringBufferHandlerFailures = () -> 0;
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

    /** How long the oldest record handed to the producer has waited for its answer (ms), 0 if none. */
    default long oldestUnacknowledgedMs() {
      return 0;
    }
  }

  /** Reads {@code spoolBytes} and part of {@code spoolDropped} from the spool from now on. */
  public void attachSpool(SpoolGauges gauges) {
    this.spool = gauges;
  }

  /** A counter the kernel side keeps (tlscapture.h enum drop_counter), or the connection count. */
  public enum KernelCounter {
    /** Records lost because the ring buffer was full. */
    DROPPED_RECORDS,
    /** Payload bytes of those records. */
    DROPPED_BYTES,
    /** Payload copies from user memory that failed. */
    READ_FAULTS,
    /** Calls longer than the capture limit. */
    TRUNCATED_CALLS,
    /** SSL calls the process filter skipped. */
    FILTERED_CALLS,
    /** Entry uprobe hits of SSL read/write calls. */
    ENTRY_HITS,
    /** Return uprobe hits of SSL read/write calls. */
    RETURN_HITS,
    /** Completed handshakes. */
    HANDSHAKES,
    /** SSL read/write calls whose socket the SSL object's BIO named (bio-fd). */
    BIO_SOCKET_CALLS,
    /** Writes captured at their entry, their return probe skipped (uprobe session). */
    ENTRY_ONLY_WRITES,
    /** Connections tracked right now (a gauge: the size of the connection map). */
    TRACKED_CONNECTIONS
  }

  /** The kernel's counters, read live (the probe side maps them to its BPF maps). */
  public interface KernelCounters {
    KernelCounters NONE = counter -> 0;

    /** The current value; may throw once the maps are gone (then reported as -1). */
    long read(KernelCounter counter);
  }

  /** Reads the kernel counters through {@code counters} from now on. */
  public void attachKernelCounters(KernelCounters counters) {
    this.kernel = counters;
  }

  /**
   * Keeps the kernel counters' current values readable after their BPF maps are gone (the
   * collector stops): they are read once now and never again.
   */
  public void freezeKernelCounters() {
    Map<KernelCounter, Long> last = new EnumMap<>(KernelCounter.class);
    for (KernelCounter counter : KernelCounter.values()) {
      last.put(counter, safeRead(kernel, counter));
    }
    attachKernelCounters(last::get);
  }

  /** One capture event decoded from the ring buffer, with {@code payloadBytes} of plaintext. */
  public void onCaptured(long payloadBytes) {
    captured.increment();
    capturedBytes.add(payloadBytes);
  }

  /** One ring-buffer record that did not decode (skipped). */
  public void onMalformed() {
    malformed.increment();
  }

  /** Key-log lines made from one key record. */
  public void onKeyLogLines(int lines) {
    keyLogLines.add(lines);
  }

  /** One record appended to the spool (once per record, whatever its send attempts). */
  public void onSpooled() {
    spooled.increment();
  }

  /** One record the broker acknowledged. */
  public void onSent() {
    sent.increment();
  }

  /** One failed send attempt. */
  public void onSendError() {
    sendErrors.increment();
  }

  /** One record the broker refused for good (not retried). */
  public void onSendRejected() {
    sendRejected.increment();
  }

  /** One spooled record sent again after a failed attempt. */
  public void onResent() {
    resent.increment();
  }

  /** Spooled records lost before they could be re-sent (their segment was dropped meanwhile). */
  public void onSpoolLost(long records) {
    spoolLost.add(records);
  }

  /** Reads {@code ringBufferHandlerFailures} from the ring buffer from now on. */
  public void attachRingBuffer(java.util.function.LongSupplier handlerFailures) {
    this.ringBufferHandlerFailures = handlerFailures;
  }

  /** One process-log line not delivered to ecapture.logs (queue full, send failed). */
  public void onProcessLogDropped() {
    processLogsDropped.increment();
  }

  /** One request to change capture refused by the status endpoint. */
  public void onControlRefused() {
    controlRefused.increment();
  }

  /** A progress mark was appended to the spool (not counted in {@code spooled}). */
  public void onProgressMark() {
    progressMarks.increment();
  }

  /** The broker acknowledged a progress mark (not counted in {@code sent}). */
  public void onProgressMarkSent() {
    progressMarksSent.increment();
  }

  /** Records acknowledged so far (what {@link Snapshot#sent()} reports, without a snapshot). */
  public long sent() {
    return sent.sum();
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
   * @param ringBufferHandlerFailures ring-buffer records whose handler threw (a collector bug):
   *     skipped and counted, the ring-buffer thread keeps draining
   * @param processLogsDropped process-log lines not delivered to ecapture.logs (sender queue full,
   *     send failed); capture events and key-log lines are counted elsewhere
   * @param controlRefused requests to change capture the status endpoint refused (foreign Origin
   *     or Host, missing or wrong token, not JSON)
   * @param bioSocketCalls SSL read/write calls whose socket was read from the SSL object's socket
   *     BIO (bio-fd socket discovery)
   * @param entryOnlyWrites writes captured at their entry probe, their return probe skipped
   * @param progressMarks progress marks appended to the spool (see {@code ProgressMark} in
   *     capture.proto); not part of {@code spooled}
   * @param progressMarksSent progress marks the broker acknowledged; not part of {@code sent}
   * @param oldestUnacknowledgedMs how long the oldest record the spool handed to the producer has
   *     waited for the broker's answer, in ms (a gauge; 0 when none waits): the producer retries a
   *     record until the broker takes it, so an unreachable cluster shows here, not as send errors
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
      long handshakes,
      long ringBufferHandlerFailures,
      long processLogsDropped,
      long controlRefused,
      long bioSocketCalls,
      long entryOnlyWrites,
      long progressMarks,
      long progressMarksSent,
      long oldestUnacknowledgedMs) {

    /** Without the unacknowledged-age gauge (0). */
    public Snapshot(long captured, long capturedBytes, long droppedInKernel, long droppedBytesInKernel, long readFaults,
        long truncatedCalls, long malformed, long sent, long sendErrors, long trackedConnections, long filteredInKernel,
        long spooled, long spoolDropped, long spoolBytes, long resent, long sendRejected, long sslCalls, long uprobeHits,
        long keyLogLines, long handshakes, long ringBufferHandlerFailures, long processLogsDropped, long controlRefused,
        long bioSocketCalls, long entryOnlyWrites, long progressMarks, long progressMarksSent) {
      this(captured, capturedBytes, droppedInKernel, droppedBytesInKernel, readFaults, truncatedCalls, malformed, sent,
          sendErrors, trackedConnections, filteredInKernel, spooled, spoolDropped, spoolBytes, resent, sendRejected,
          sslCalls, uprobeHits, keyLogLines, handshakes, ringBufferHandlerFailures, processLogsDropped, controlRefused,
          bioSocketCalls, entryOnlyWrites, progressMarks, progressMarksSent, 0);
    }

    /** Without the socket-discovery and progress-mark counters (0). */
    public Snapshot(long captured, long capturedBytes, long droppedInKernel, long droppedBytesInKernel, long readFaults,
        long truncatedCalls, long malformed, long sent, long sendErrors, long trackedConnections, long filteredInKernel,
        long spooled, long spoolDropped, long spoolBytes, long resent, long sendRejected, long sslCalls, long uprobeHits,
        long keyLogLines, long handshakes, long ringBufferHandlerFailures, long processLogsDropped, long controlRefused) {
      this(captured, capturedBytes, droppedInKernel, droppedBytesInKernel, readFaults, truncatedCalls, malformed, sent,
          sendErrors, trackedConnections, filteredInKernel, spooled, spoolDropped, spoolBytes, resent, sendRejected,
          sslCalls, uprobeHits, keyLogLines, handshakes, ringBufferHandlerFailures, processLogsDropped, controlRefused,
          0, 0, 0, 0, 0);
    }

    /** One summary line for the periodic log. */
    public String summary() {
      return "captured=" + captured + " bytes=" + capturedBytes + " dropped_kernel=" + droppedInKernel
          + " dropped_kernel_bytes=" + droppedBytesInKernel + " read_faults=" + readFaults
          + " truncated=" + truncatedCalls + " malformed=" + malformed + " sent=" + sent
          + " send_errors=" + sendErrors + " connections=" + trackedConnections
          + " filtered_kernel=" + filteredInKernel + " spooled=" + spooled + " spool_dropped=" + spoolDropped
          + " spool_bytes=" + spoolBytes + " resent=" + resent + " rejected=" + sendRejected
          + " ssl_calls=" + sslCalls + " uprobe_hits=" + uprobeHits + " keylog_lines=" + keyLogLines
          + " handshakes=" + handshakes + " handler_failures=" + ringBufferHandlerFailures
          + " logs_dropped=" + processLogsDropped + " control_refused=" + controlRefused
          + " bio_socket_calls=" + bioSocketCalls + " entry_only_writes=" + entryOnlyWrites
          + " progress_marks=" + progressMarks + " progress_marks_sent=" + progressMarksSent
          + " oldest_unacknowledged_ms=" + oldestUnacknowledgedMs;
    }
  }

  public Snapshot snapshot() {
    KernelCounters k = kernel;
    SpoolGauges spoolGauges = spool;
    return new Snapshot(
        captured.sum(),
        capturedBytes.sum(),
        safeRead(k, KernelCounter.DROPPED_RECORDS),
        safeRead(k, KernelCounter.DROPPED_BYTES),
        safeRead(k, KernelCounter.READ_FAULTS),
        safeRead(k, KernelCounter.TRUNCATED_CALLS),
        malformed.sum(),
        sent.sum(),
        sendErrors.sum(),
        safeRead(k, KernelCounter.TRACKED_CONNECTIONS),
        safeRead(k, KernelCounter.FILTERED_CALLS),
        spooled.sum(),
        spoolGauges.droppedRecords() + spoolLost.sum(),
        spoolGauges.usedBytes(),
        resent.sum(),
        sendRejected.sum(),
        safeRead(k, KernelCounter.ENTRY_HITS),
        safeRead(k, KernelCounter.ENTRY_HITS) + safeRead(k, KernelCounter.RETURN_HITS),
        keyLogLines.sum(),
        safeRead(k, KernelCounter.HANDSHAKES),
        ringBufferHandlerFailures.getAsLong(),
        processLogsDropped.sum(),
        controlRefused.sum(),
        safeRead(k, KernelCounter.BIO_SOCKET_CALLS),
        safeRead(k, KernelCounter.ENTRY_ONLY_WRITES),
        progressMarks.sum(),
        progressMarksSent.sum(),
        spoolGauges.oldestUnacknowledgedMs());
  }

  /** One kernel counter, -1 when unreadable. */
  private static long safeRead(KernelCounters counters, KernelCounter counter) {
    try {
      return counters.read(counter);
    } catch (RuntimeException e) {
      return -1; // map already closed: unknown
    }
  }
}
