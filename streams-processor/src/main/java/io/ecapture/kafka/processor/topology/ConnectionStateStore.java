package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.processor.state.ProcessorHttp2Stream;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection state store as the connection processor uses it: Kafka Streams' changelogged
 * key-value store ({@code inner}) behind a write-behind cache of protobuf builders.
 *
 * <p>A record changes its connection's builder in place and {@link #put}s it back: the builder
 * is only marked dirty, not built, serialized or written. Dirty states are written to the inner
 * store (built and serialized once each) when Kafka Streams commits: it calls {@link
 * #flushCache} on every cached store of the task before it flushes the task's producer and
 * commits the input offsets (under exactly_once_v2: before the transaction commits), so the
 * changelog holds, in the same transaction as the output and the offsets, exactly the states
 * after the last committed record. A crash loses the dirty states together with the open
 * transaction; the restarted task restores the changelog and reprocesses from the committed
 * offsets ({@code StateCrashRestartIntegrationTest}). A connection touched by several records
 * between two commits costs one serialization instead of one per record, and no record costs a
 * pass through Kafka Streams' record cache.
 *
 * <p>The hook is Kafka Streams' {@link CachedStateStore} (an internal interface: its caching
 * layer is driven the same way); this store is the root of its layers, so it is what the task's
 * state manager flushes and closes. A closed or re-initialised store drops its dirty states
 * (a dirty close aborts the transaction they belong to).
 *
 * <p>Bounds: dirty states at most {@code maxEntries} and about {@code maxBytes} (counted from
 * their large byte fields); past either, the oldest are written to the inner store at once in
 * {@link #writeExcess}, which the processor calls before it changes any state (an inner write
 * that fails then leaves no half-changed builder). Clean states stay cached as builders too
 * ({@link StateCache}, same bounds).
 *
 * <p>Invariant the processor keeps: a builder obtained by {@link #get} and changed is either
 * {@link #put} back or its connection {@link #delete}d before the record ends.
 */
public final class ConnectionStateStore
    implements StateStore, CachedStateStore<String, ProcessorConnectionState> {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionStateStore.class);
  /** Counted per dirty state on top of its large byte fields. */
  static final int STATE_OVERHEAD_BYTES = 512;

  private final KeyValueStore<String, ProcessorConnectionState> inner;
  private final StateCache clean;
  /**
   * Changed since the last flush, in the order of their first change; a null state deletes. A
   * dirty connection may still have an entry in {@link #clean} (marking it dirty costs no cache
   * removal): the dirty one is always looked at first, and the write at the commit replaces or
   * removes the clean one.
   */
  private final LinkedHashMap<String, Dirty> dirty = new LinkedHashMap<>();
  private final int maxEntries;
  private final long maxBytes;
  private long dirtyBytes;
  private long writes;

  /** A dirty state and its weight, changed in place while the connection stays dirty. */
  private static final class Dirty {
    ProcessorConnectionState.Builder state;
    long weight;

    Dirty(ProcessorConnectionState.Builder state, long weight) {
      this.state = state;
      this.weight = weight;
    }
  }

  ConnectionStateStore(KeyValueStore<String, ProcessorConnectionState> inner, int maxEntries,
      long maxBytes) {
    this.inner = Objects.requireNonNull(inner, "inner");
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.clean = new StateCache(maxEntries, maxBytes);
  }

  /** A store builder: {@code inner}'s layers (changelog, caching) under this store. */
  public static StoreBuilder<ConnectionStateStore> builder(
      StoreBuilder<KeyValueStore<String, ProcessorConnectionState>> inner, int maxEntries,
      long maxBytes) {
    return new Builder(inner, maxEntries, maxBytes);
  }

  /**
   * The connection's state, or null: the dirty builder, else the cached clean one, else parsed
   * from the inner store (and cached). The builder is the store's own: see the class comment.
   */
  public ProcessorConnectionState.Builder get(String key) {
    Dirty changed = dirty.get(key);
    if (changed != null) {
      return changed.state;
    }
    ProcessorConnectionState.Builder cached = clean.get(key);
    if (cached != null) {
      return cached;
    }
    ProcessorConnectionState stored = inner.get(key);
    if (stored == null) {
      return null;
    }
    ProcessorConnectionState.Builder builder = stored.toBuilder();
    clean.put(key, builder, stored.getSerializedSize());
    return builder;
  }

  /** The connection's state changed (it is written at the next commit). */
  public void put(String key, ProcessorConnectionState.Builder state) {
    Objects.requireNonNull(state, "state");
    markDirty(key, state, weight(state));
  }

  /** The connection's state is dropped (at the next commit in the changelog). */
  public void delete(String key) {
    markDirty(key, null, STATE_OVERHEAD_BYTES);
  }

  /**
   * The connection's state is dropped from the inner store at once (and from the caches): for
   * error paths, where a store that fails should fail here, in the caller's hands, rather than in
   * the next commit.
   */
  public void deleteNow(String key) {
    clean.remove(key);
    Dirty changed = dirty.remove(key);
    if (changed != null) {
      dirtyBytes -= changed.weight;
    }
    writes++;
    inner.delete(key);
  }

  private void markDirty(String key, ProcessorConnectionState.Builder state, long weight) {
    Dirty changed = dirty.get(key);
    if (changed == null) {
      dirty.put(key, new Dirty(state, weight));
    } else {
      dirtyBytes -= changed.weight; // already dirty: keeps its place
      changed.state = state;
      changed.weight = weight;
    }
    dirtyBytes += weight;
  }

  /**
   * Writes the oldest dirty states to the inner store while more than the bounds are dirty; to
   * be called before any state is changed for a record.
   */
  public void writeExcess() {
    if (dirty.size() <= maxEntries && dirtyBytes <= maxBytes) {
      return;
    }
    Iterator<Map.Entry<String, Dirty>> it = dirty.entrySet().iterator();
    while (it.hasNext() && (dirty.size() > maxEntries * 3L / 4 || dirtyBytes > maxBytes * 3 / 4)) {
      Map.Entry<String, Dirty> entry = it.next();
      write(entry.getKey(), entry.getValue().state);
      it.remove();
      dirtyBytes -= entry.getValue().weight;
    }
  }

  /** Writes every dirty state to the inner store (in the order of their last change). */
  private void writeDirty() {
    for (Map.Entry<String, Dirty> entry : dirty.entrySet()) {
      write(entry.getKey(), entry.getValue().state);
    }
    dirty.clear();
    dirtyBytes = 0;
  }

  private void write(String key, ProcessorConnectionState.Builder state) {
    writes++;
    if (state == null) {
      clean.remove(key);
      inner.delete(key);
      return;
    }
    ProcessorConnectionState built = state.build();
    inner.put(key, built);
    // the inner store's serde just serialized it: the size is memoized
    clean.put(key, state, built.getSerializedSize());
  }

  /** Drops every cached and dirty state (the store is restored or closed). */
  private void dropCached() {
    if (!dirty.isEmpty()) {
      LOG.debug("{} dropped {} unflushed connection states", name(), dirty.size());
    }
    dirty.clear();
    dirtyBytes = 0;
    clean.clear();
  }

  /** What the changelog holds as of the last flush: the inner store (for tests and restarts). */
  public KeyValueStore<String, ProcessorConnectionState> committed() {
    return inner;
  }

  /** States written to the inner store so far (for tests). */
  long writes() {
    return writes;
  }

  /** Dirty states now (for tests). */
  int dirtyCount() {
    return dirty.size();
  }

  /**
   * An estimate of the state's serialized size from its large fields (buffers, waiting chunks,
   * message bodies, decoding contexts), without serializing it.
   */
  static long weight(ProcessorConnectionState.Builder state) {
    return STATE_OVERHEAD_BYTES + weight(state.getReadBuilder()) + weight(state.getWriteBuilder());
  }

  private static long weight(ProcessorDirectionState.Builder dir) {
    long bytes = dir.getBuffer().size() + dir.getWsInflateWindow().size()
        + dir.getWsMessage().getPayload().size() + 16L * dir.getBufferTimesCount()
        + 64L * dir.getHpackEntriesCount();
    for (int i = 0; i < dir.getOutOfOrderCount(); i++) {
      bytes += dir.getOutOfOrder(i).getPayload().size() + 32;
    }
    for (ProcessorHttp2Stream stream : dir.getHttp2StreamsList()) {
      bytes += stream.getBody().size() + stream.getHeaderBlock().size()
          + 64L * stream.getHeadersCount();
    }
    return bytes;
  }

  // --- StateStore / CachedStateStore

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    dropCached();
    inner.init(context, root);
  }

  /** Kafka Streams' commit, before the producer flush and the offset commit. */
  @Override
  public void flushCache() {
    writeDirty();
    if (inner instanceof CachedStateStore<?, ?> cached) {
      cached.flushCache();
    }
  }

  @Override
  public void clearCache() {
    dropCached();
    if (inner instanceof CachedStateStore<?, ?> cached) {
      cached.clearCache();
    }
  }

  @Override
  public boolean setFlushListener(CacheFlushListener<String, ProcessorConnectionState> listener,
      boolean sendOldValues) {
    return false;
  }

  @Override
  @SuppressWarnings("deprecation")
  public void flush() {
    writeDirty();
    inner.flush();
  }

  @Override
  public void commit(Map<TopicPartition, Long> changelogOffsets) {
    writeDirty();
    inner.commit(changelogOffsets);
  }

  @Override
  public void close() {
    dropCached();
    inner.close();
  }

  @Override
  public boolean persistent() {
    return inner.persistent();
  }

  @Override
  public boolean isOpen() {
    return inner.isOpen();
  }

  private record Builder(StoreBuilder<KeyValueStore<String, ProcessorConnectionState>> inner,
      int maxEntries, long maxBytes) implements StoreBuilder<ConnectionStateStore> {
    @Override
    public StoreBuilder<ConnectionStateStore> withCachingEnabled() {
      return new Builder(inner.withCachingEnabled(), maxEntries, maxBytes);
    }

    @Override
    public StoreBuilder<ConnectionStateStore> withCachingDisabled() {
      return new Builder(inner.withCachingDisabled(), maxEntries, maxBytes);
    }

    @Override
    public StoreBuilder<ConnectionStateStore> withLoggingEnabled(Map<String, String> config) {
      return new Builder(inner.withLoggingEnabled(config), maxEntries, maxBytes);
    }

    @Override
    public StoreBuilder<ConnectionStateStore> withLoggingDisabled() {
      return new Builder(inner.withLoggingDisabled(), maxEntries, maxBytes);
    }

    @Override
    public ConnectionStateStore build() {
      return new ConnectionStateStore(inner.build(), maxEntries, maxBytes);
    }

    @Override
    public Map<String, String> logConfig() {
      return inner.logConfig();
    }

    @Override
    public boolean loggingEnabled() {
      return inner.loggingEnabled();
    }

    @Override
    public String name() {
      return inner.name();
    }
  }
}
