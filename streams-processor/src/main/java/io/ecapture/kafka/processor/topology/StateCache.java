package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The last state this task wrote per connection, as the builder it was built from, in front of
 * the state store: a record of a known connection then costs neither a protobuf parse of its
 * state (Kafka Streams' record cache holds serialized bytes) nor a copy into a new builder (which
 * was a third of the processing time). A protobuf builder stays usable after {@code build()}.
 *
 * <p>A cached builder is changed in place by the record working on it: every path that changes
 * it either saves it (store and cache agree again) or removes the connection from the cache.
 *
 * <p>Losing any entry at any time costs one store read, never data: the store ({@link
 * ConnectionStateStore}) writes a changed state to the changelog at the commit and only then
 * puts it here. Valid only while this processor instance is the store's only writer between
 * {@code init} and {@code close}; both clear it.
 *
 * <p>Bounded by entries and by the serialized size of the states it holds, since one
 * connection's state may hold megabytes of unparsed bytes; both bounds hold when {@link #put}
 * returns. The least recently used states leave first. One stream thread owns it: a plain
 * access-ordered map, no locking (a concurrent cache cost 3-4% of the stream thread in the
 * throughput bench's profile).
 */
final class StateCache {
  private record Slot(ProcessorConnectionState.Builder state, int bytes) {}

  /** In access order: the first entry is the least recently used. */
  private final LinkedHashMap<String, Slot> entries = new LinkedHashMap<>(256, 0.75f, true);
  private final int maxEntries;
  private final long maxBytes;
  private long bytes;

  StateCache(int maxEntries, long maxBytes) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /** The cached state, or null when unknown here (the store must be asked). */
  ProcessorConnectionState.Builder get(String key) {
    Slot slot = entries.get(key);
    return slot == null ? null : slot.state();
  }

  /**
   * Caches {@code state}, whose last built message serialized to {@code size} bytes (a size of 0
   * counts as 1, so every entry is subject to the byte bound).
   */
  void put(String key, ProcessorConnectionState.Builder state, long size) {
    Slot slot = new Slot(state, (int) Math.max(1, Math.min(Integer.MAX_VALUE, size)));
    Slot old = entries.put(key, slot);
    bytes += slot.bytes() - (old == null ? 0 : old.bytes());
    if (entries.size() <= maxEntries && bytes <= maxBytes) {
      return;
    }
    Iterator<Slot> eldest = entries.values().iterator();
    while ((entries.size() > maxEntries || bytes > maxBytes) && eldest.hasNext()) {
      bytes -= eldest.next().bytes();
      eldest.remove();
    }
  }

  void remove(String key) {
    Slot old = entries.remove(key);
    if (old != null) {
      bytes -= old.bytes();
    }
  }

  void clear() {
    entries.clear();
    bytes = 0;
  }

  /** Serialized bytes of the cached states (for tests). */
  long bytes() {
    return bytes;
  }

  /** Cached states (for tests). */
  long size() {
    return entries.size();
  }
}
