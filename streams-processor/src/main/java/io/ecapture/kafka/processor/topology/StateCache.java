package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

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
 * restart guarantees are exactly those of the store. Valid only while this processor instance
 * is the store's only writer between {@code init} and {@code close}; both clear it (a task that
 * is closed dirty and revived is re-initialised, and the store restored, before processing).
 *
 * <p>Bounded by entries and by the serialized size of the states it holds (least recently used
 * first out), since one connection's state may hold megabytes of unparsed bytes.
 */
final class StateCache {
  private record Slot(ProcessorConnectionState.Builder state, long bytes) {}

  private final LinkedHashMap<String, Slot> entries = new LinkedHashMap<>(1024, 0.75f, true);
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

  /** Caches {@code state}, whose last built message serialized to {@code size} bytes. */
  void put(String key, ProcessorConnectionState.Builder state, long size) {
    Slot previous = entries.put(key, new Slot(state, size));
    bytes += size - (previous == null ? 0 : previous.bytes());
    Iterator<Map.Entry<String, Slot>> eldest = entries.entrySet().iterator();
    while ((entries.size() > maxEntries || bytes > maxBytes) && eldest.hasNext()) {
      bytes -= eldest.next().getValue().bytes();
      eldest.remove();
    }
  }

  void remove(String key) {
    Slot previous = entries.remove(key);
    if (previous != null) {
      bytes -= previous.bytes();
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
}
