package io.ecapture.kafka.collector.libbpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Counts the keys of a BPF hash map by walking it with bpf_map_get_next_key. */
public final class MapKeys {
  private static final int ENOENT = 2;

  private final int mapFd;
  private final int keySize;

  public MapKeys(int mapFd, int keySize) {
    this.mapFd = mapFd;
    this.keySize = keySize;
  }

  /**
   * Number of entries, bounded by {@code limit}. Entries added or removed during the walk may or
   * may not be counted (the kernel gives no snapshot).
   */
  public long count(long limit) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(keySize);
      MemorySegment next = arena.allocate(keySize);
      MemorySegment current = MemorySegment.NULL; // NULL: start from the first key
      long count = 0;
      while (count < limit) {
        int rc = LibBpf.mapGetNextKey(mapFd, current, next);
        if (rc == -ENOENT) {
          break;
        }
        if (rc < 0) {
          throw new LibBpfException("bpf_map_get_next_key", -rc);
        }
        count++;
        key.copyFrom(next);
        current = key;
      }
      return count;
    }
  }
}
