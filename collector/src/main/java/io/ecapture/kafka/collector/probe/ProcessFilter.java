package io.ecapture.kafka.collector.probe;

import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.control.FilterControl;
import io.ecapture.kafka.collector.identity.CgroupMount;
import io.ecapture.kafka.collector.sink.ProcessLogger;
import java.util.Optional;

/**
 * The process filter in force and how it changes. The kernel applies it in BPF maps; a pid filter
 * also decides where the uprobes are: attached per process for each pid (other processes never
 * trap), for every process otherwise. Changes are serialised; a change of pids re-attaches every
 * uprobe through the {@link LibraryRegistry} and rolls back to the previous filter when nothing
 * attaches for the new pids. Cgroup paths are resolved to ids below the cgroup2 mount each time
 * the filter is applied.
 */
public final class ProcessFilter implements FilterControl {
  private final TlsProbes probes;
  private final LibraryRegistry registry;
  private final ProcessLogger log;
  private final Optional<CgroupMount> cgroupMount;
  private volatile CaptureFilter current;
  private boolean closed;

  /**
   * @param initial the filter to start with (written to the kernel by {@link #apply()})
   * @param cgroupMount where cgroup paths of the filter are resolved; empty: a cgroup filter is refused
   */
  public ProcessFilter(TlsProbes probes, LibraryRegistry registry, CaptureFilter initial, ProcessLogger log,
      Optional<CgroupMount> cgroupMount) {
    this.probes = probes;
    this.registry = registry;
    this.log = log;
    this.cgroupMount = cgroupMount;
    this.current = initial;
  }

  /**
   * Writes the current filter into the kernel maps (at start, before the uprobes are attached).
   *
   * @throws IllegalArgumentException when a cgroup path of the filter is no cgroup
   */
  public synchronized void apply() {
    probes.applyFilter(current, cgroupMount);
  }

  @Override
  public CaptureFilter current() {
    return current;
  }

  /**
   * Changes which processes are captured, effective for SSL calls that start after it returns.
   *
   * @throws IllegalStateException when closed
   * @throws IllegalArgumentException when a cgroup path is no cgroup (nothing changed)
   * @throws AttachException when no probe attaches for the new pids (the old filter and probes stay)
   */
  @Override
  public synchronized void update(CaptureFilter next) {
    if (closed) {
      throw new IllegalStateException("collector closed");
    }
    CaptureFilter previous = current;
    // narrow the kernel filter first so a wider probe set never captures excluded processes
    probes.applyFilter(next, cgroupMount);
    if (!previous.pids().equals(next.pids())) {
      try {
        registry.retarget(next.pids());
      } catch (AttachException e) {
        probes.applyFilter(previous, cgroupMount);
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
