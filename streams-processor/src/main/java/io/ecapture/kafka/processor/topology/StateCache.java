package io.ecapture.kafka.processor.topology;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Policy;
import io.ecapture.kafka.processor.state.ProcessorConnectionState;

/**
 * The last state this task wrote per connection, as the builder it was built from, in front of
 * the state store: a record of a known connection then costs neither a protobuf parse of its
 * state (Kafka Streams' record cache holds serialized bytes) nor a copy into a new builder (which
 * was a third of the processing time). A protobuf builder stays usable after {@code build()}.
 *
 * <p>A cached builder is changed in place by the record working on it: every path that changes
 * it either saves it (store and cache agree again) or removes the connection from the cache.
 *
 * <p>Write-through: every change still goes to the store at once, so the changelog and the
 * restart guarantees are exactly those of the store, and losing any entry at any time costs one
 * store read, never data. Valid only while this processor instance is the store's only writer
 * between {@code init} and {@code close}; both clear it (a task that is closed dirty and revived
 * is re-initialised, and the store restored, before processing).
 *
 * <p>Bounded by entries and by the serialized size of the states it holds, since one
 * connection's state may hold megabytes of unparsed bytes: a Caffeine cache weighing each state by
 * its size, evicting synchronously on the caller's thread (executor {@code Runnable::run}), so
 * both bounds hold when {@link #put} returns. Which state leaves is Caffeine's W-TinyLFU choice,
 * not strictly the least recently used one (a new connection's state may be the one refused):
 * being write-through, that only decides which connection pays the store read next.
 */
final class StateCache {
  private record Slot(ProcessorConnectionState.Builder state, int bytes) {}

  private final Cache<String, Slot> entries;
  private final Policy.Eviction<String, Slot> eviction;
  private final int maxEntries;

  StateCache(int maxEntries, long maxBytes) {
    this.maxEntries = maxEntries;
    this.entries = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .<String, Slot>weigher((key, slot) -> slot.bytes())
        .executor(Runnable::run)
        .build();
    this.eviction = entries.policy().eviction().orElseThrow();
  }

  /** The cached state, or null when unknown here (the store must be asked). */
  ProcessorConnectionState.Builder get(String key) {
    Slot slot = entries.getIfPresent(key);
    return slot == null ? null : slot.state();
  }

  /**
   * Caches {@code state}, whose last built message serialized to {@code size} bytes (a size of 0
   * counts as 1, so every entry is subject to the byte bound).
   */
  void put(String key, ProcessorConnectionState.Builder state, long size) {
    entries.put(key, new Slot(state, (int) Math.max(1, Math.min(Integer.MAX_VALUE, size))));
    while (entries.estimatedSize() > maxEntries) {
      var coldest = eviction.coldest(1).keySet();
      if (coldest.isEmpty()) {
        break;
      }
      entries.invalidate(coldest.iterator().next());
    }
  }

  void remove(String key) {
    entries.invalidate(key);
  }

  void clear() {
    entries.invalidateAll();
  }

  /** Serialized bytes of the cached states (for tests). */
  long bytes() {
    return eviction.weightedSize().orElseThrow();
  }

  /** Cached states (for tests). */
  long size() {
    return entries.estimatedSize();
  }
}
