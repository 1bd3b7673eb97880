package io.ecapture.kafka.collector.probe;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.ecapture.kafka.collector.libbpf.LibBpf;
import io.ecapture.kafka.collector.libbpf.LibBpfException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The verdict cache: what the collector decided about each executable, by {@link ExecKey}
 * (device, inode, mtime). It lives in the kernel ({@code exec_verdicts}, an LRU hash of {@value
 * #MAX_VERDICTS} entries) so the exec tracepoint returns after one lookup for a known file: it
 * never reports nor holds it again. A copy in memory (Caffeine, same size) answers the collector
 * for execs of one new file that raced each other before its verdict was written.
 */
final class ExecVerdicts {
  /** exec_watch.h enum exec_verdict. */
  static final int UNKNOWN = 0;
  static final int NO_TLS = 1;
  static final int PROBED = 2;
  static final int UNREADABLE = 3;
  /** EXEC_MAX_VERDICTS of exec_watch.h. */
  static final int MAX_VERDICTS = 65536;
  private static final int ENOENT = 2;

  private final int mapFd;
  private final Cache<ExecKey, Integer> local = Caffeine.newBuilder().maximumSize(MAX_VERDICTS).build();

  ExecVerdicts(int mapFd) {
    this.mapFd = mapFd;
  }

  /** The verdict on a file, {@link #UNKNOWN} when there is none (or the kernel forgot it). */
  int get(ExecKey key) {
    Integer known = local.getIfPresent(key);
    if (known != null) {
      return known;
    }
    int kernel = kernelVerdict(key);
    if (kernel != UNKNOWN) {
      local.put(key, kernel);
    }
    return kernel;
  }

  /** The verdict the kernel holds for a file, {@link #UNKNOWN} when none. */
  int kernelVerdict(ExecKey key) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment k = arena.allocate(ExecKey.SIZE);
      key.write(k, 0);
      MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
      int rc = LibBpf.mapLookupElem(mapFd, k, value);
      if (rc == -ENOENT) {
        return UNKNOWN;
      }
      if (rc < 0) {
        throw new LibBpfException("bpf_map_lookup_elem(exec_verdicts)", -rc);
      }
      return value.get(ValueLayout.JAVA_INT, 0);
    }
  }

  /** Records a verdict (anything but {@link #UNKNOWN}): from now on execs of the file are not reported. */
  void put(ExecKey key, int verdict) {
    if (verdict == UNKNOWN) {
      throw new IllegalArgumentException("no verdict to record");
    }
    local.put(key, verdict);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment k = arena.allocate(ExecKey.SIZE);
      key.write(k, 0);
      MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
      value.set(ValueLayout.JAVA_INT, 0, verdict);
      int rc = LibBpf.mapUpdateElem(mapFd, k, value, 0);
      if (rc < 0) {
        throw new LibBpfException("bpf_map_update_elem(exec_verdicts)", -rc);
      }
    }
  }

  /** Forgets a verdict (in the kernel and here): the next exec of the file is examined again. */
  void forget(ExecKey key) {
    local.invalidate(key);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment k = arena.allocate(ExecKey.SIZE);
      key.write(k, 0);
      LibBpf.mapDeleteElem(mapFd, k);
    }
  }

  /** Verdicts in memory (approximately). */
  long size() {
    return local.estimatedSize();
  }
}
