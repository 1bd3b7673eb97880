package io.ecapture.kafka.collector.libbpf;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Reads a BPF_MAP_TYPE_PERCPU_ARRAY of __u64 counters, summed over CPUs. */
public final class PerCpuCounters {
  private final int mapFd;
  private final int cpus;

  public PerCpuCounters(int mapFd) {
    this.mapFd = mapFd;
    int n = LibBpf.numPossibleCpus();
    if (n <= 0) {
      throw new LibBpfException("libbpf_num_possible_cpus", -n);
    }
    this.cpus = n;
  }

  /** Sum over all CPUs of the counter at {@code index}. */
  public long sum(int index) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(JAVA_INT);
      key.set(JAVA_INT, 0, index);
      // per-CPU values are laid out 8-byte aligned, one per possible CPU
      MemorySegment values = arena.allocate(JAVA_LONG, cpus);
      int rc = LibBpf.mapLookupElem(mapFd, key, values);
      if (rc < 0) {
        throw new LibBpfException("bpf_map_lookup_elem(counter " + index + ")", -rc);
      }
      long total = 0;
      for (int cpu = 0; cpu < cpus; cpu++) {
        total += values.getAtIndex(JAVA_LONG, cpu);
      }
      return total;
    }
  }
}
