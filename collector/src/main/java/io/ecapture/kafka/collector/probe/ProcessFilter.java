package io.ecapture.kafka.collector.probe;

import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.control.FilterControl;
import io.ecapture.kafka.collector.sink.ProcessLogger;

/**
 * The process filter in force and how it changes. The kernel applies it in BPF maps; a pid filter
 * also decides where the uprobes are: attached per process for each pid (other processes never
 * trap), for every process otherwise. Changes are serialised; a change of pids re-attaches every
 * uprobe through the {@link LibraryRegistry} and rolls back to the previous filter when nothing
 * attaches for the new pids.
 */
public final class ProcessFilter implements FilterControl {
  private final TlsProbes probes;
  private final LibraryRegistry registry;
  private final ProcessLogger log;
  private volatile CaptureFilter current;
  private boolean closed;

  /** @param initial the filter to start with (written to the kernel by {@link #apply()}) */
  public ProcessFilter(TlsProbes probes, LibraryRegistry registry, CaptureFilter initial, ProcessLogger log) {
    this.probes = probes;
    this.registry = registry;
    this.log = log;
    this.current = initial;
  }

  /** Writes the current filter into the kernel maps (at start, before the uprobes are attached). */
  public synchronized void apply() {
    probes.applyFilter(current);
  }

  @Override
  public CaptureFilter current() {
    return current;
  }

  /**
   * Changes which processes are captured, effective for SSL calls that start after it returns.
   *
   * @throws IllegalStateException when closed
   * @throws AttachException when no probe attaches for the new pids (the old filter and probes stay)
   */
  @Override
  public synchronized void update(CaptureFilter next) {
    if (closed) {
      throw new IllegalStateException("collector closed");
    }
    CaptureFilter previous = current;
    // narrow the kernel filter first so a wider probe set never captures excluded processes
    probes.applyFilter(next);
    if (!previous.pids().equals(next.pids())) {
      try {
        registry.retarget(next.pids());
      } catch (AttachException e) {
        probes.applyFilter(previous);
        throw e;
      }
    }
    current = next;
    log.info("capture filter now " + next.toJson() + " (" + probes.uprobeCount() + " uprobes)");
  }

  /** Refuses changes from now on; waits for one in progress. */
  public synchronized void close() {
    closed = true;
  }
}
