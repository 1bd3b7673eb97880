package io.ecapture.kafka.collector.probe;

import io.ecapture.kafka.collector.libbpf.LibBpf;
import io.ecapture.kafka.collector.libbpf.LibBpfException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.OptionalLong;
import java.util.function.IntConsumer;

/**
 * The processes exec_watch stopped ({@code held_pids} of exec_watch.h: pid -> {@code struct
 * held_process}), and their release. Releasing deletes the entry first: whoever deletes it (the
 * collector after attaching, its timeout sweep, or the hold guard after the collector died) owns
 * the resume, so a process is resumed once, and an entry whose pid now names another process (its
 * start time differs) is dropped without a signal.
 */
final class HeldProcesses {
  static final int VALUE_SIZE = 16;
  static final long START_BOOTTIME = 0;
  static final long KTIME = 8;
  private static final int ENOENT = 2;

  private final int mapFd;

  HeldProcesses(int mapFd) {
    this.mapFd = mapFd;
  }

  /**
   * Resumes {@code pid} if it is still held and still the process that was stopped.
   *
   * @return true when this call resumed it (false: released before, or gone)
   */
  boolean release(int pid) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
      key.set(ValueLayout.JAVA_INT, 0, pid);
      MemorySegment value = arena.allocate(VALUE_SIZE);
      if (LibBpf.mapLookupElem(mapFd, key, value) != 0) {
        return false;
      }
      return claimAndResume(pid, key, value.get(ValueLayout.JAVA_LONG, START_BOOTTIME));
    }
  }

  /**
   * Resumes every held process stopped at or before {@code ktimeNs} (CLOCK_MONOTONIC; {@link
   * Long#MAX_VALUE}: all of them).
   *
   * @param resumed told each pid this call resumed
   * @return how many were resumed
   */
  int sweep(long ktimeNs, IntConsumer resumed) {
    int count = 0;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
      MemorySegment next = arena.allocate(ValueLayout.JAVA_INT);
      MemorySegment value = arena.allocate(VALUE_SIZE);
      MemorySegment current = MemorySegment.NULL;
      // at most the map's size of keys, plus slack for entries added during the walk
      for (int i = 0; i < 4 * 1024; i++) {
        int rc = LibBpf.mapGetNextKey(mapFd, current, next);
        if (rc == -ENOENT) {
          break;
        }
        if (rc < 0) {
          throw new LibBpfException("bpf_map_get_next_key(held_pids)", -rc);
        }
        key.copyFrom(next);
        current = key;
        if (LibBpf.mapLookupElem(mapFd, key, value) != 0) {
          continue; // released meanwhile
        }
        if (value.get(ValueLayout.JAVA_LONG, KTIME) > ktimeNs) {
          continue;
        }
        int pid = key.get(ValueLayout.JAVA_INT, 0);
        // deleting the current key makes get_next_key restart from the first: fine, we skip
        // entries not due and the walk is bounded
        if (claimAndResume(pid, key, value.get(ValueLayout.JAVA_LONG, START_BOOTTIME))) {
          count++;
          resumed.accept(pid);
        }
        current = MemorySegment.NULL;
      }
    }
    return count;
  }

  /** Whether the map is empty (one system call). */
  boolean isEmpty() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment next = arena.allocate(ValueLayout.JAVA_INT);
      return LibBpf.mapGetNextKey(mapFd, MemorySegment.NULL, next) == -ENOENT;
    }
  }

  /** Entries in the map (bounded walk). */
  long size() {
    return new io.ecapture.kafka.collector.libbpf.MapKeys(mapFd, Integer.BYTES).count(4 * 1024);
  }

  private boolean claimAndResume(int pid, MemorySegment key, long startBoottimeNs) {
    if (LibBpf.mapDeleteElem(mapFd, key) != 0) {
      return false; // someone else released it
    }
    OptionalLong ticks = ProcessSignals.startTicks(pid);
    if (ticks.isEmpty() || ticks.getAsLong() != startBoottimeNs / ProcessSignals.NANOS_PER_TICK) {
      return false; // exited (or the pid is another process's now): nothing to resume
    }
    return ProcessSignals.kill(pid, ProcessSignals.SIGCONT);
  }
}
