package io.ecapture.kafka.collector.control;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * The periodic counter report: every interval one summary line to the local log, and a warning
 * (for the process log) when records were lost in the kernel or failed to reach Kafka since the
 * last report. Driven by one thread calling {@link #tick()} (the ring-buffer thread between
 * drains), so it needs no timer of its own.
 */
public final class StatsReporter {
  private final Supplier<CollectorStats.Snapshot> stats;
  private final long intervalNs;
  private final Logger log;
  private final Consumer<String> warnings;
  private long nextNs;
  private long reportedKernelDrops;
  private long reportedSendErrors;

  public StatsReporter(Supplier<CollectorStats.Snapshot> stats, Duration interval, Logger log, Consumer<String> warnings) {
    this.stats = stats;
    this.intervalNs = interval.toNanos();
    this.log = log;
    this.warnings = warnings;
    this.nextNs = System.nanoTime() + intervalNs;
  }

  /** Reports when the interval has passed since the last report; cheap otherwise. */
  public void tick() {
    if (System.nanoTime() - nextNs >= 0) {
      nextNs += intervalNs;
      report();
    }
  }

  /** Logs the summary line and the warnings due now. */
  void report() {
    CollectorStats.Snapshot snapshot = stats.get();
    log.info("collector stats: {}", snapshot.summary());
    if (snapshot.droppedInKernel() > reportedKernelDrops) {
      warnings.accept("kernel ring buffer full: " + (snapshot.droppedInKernel() - reportedKernelDrops)
          + " records lost since last report (" + snapshot.droppedInKernel() + " total)");
      reportedKernelDrops = snapshot.droppedInKernel();
    }
    if (snapshot.sendErrors() > reportedSendErrors) {
      warnings.accept((snapshot.sendErrors() - reportedSendErrors)
          + " records failed to reach Kafka since last report (" + snapshot.sendErrors() + " total)");
      reportedSendErrors = snapshot.sendErrors();
    }
  }
}
