package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.processor.StreamsProcessor;
import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The write-behind connection state store: changes reach the inner (changelogged) store only
 * when Kafka Streams commits ({@code flushCache}), once per connection however many records
 * changed it; a closed or re-initialised store forgets what was not flushed; past its bounds the
 * oldest changes are written early. The crash case against a real broker is
 * {@code StateCrashRestartIntegrationTest}.
 */
class ConnectionStateStoreTest {
  private ConnectionStateStore store;
  private KeyValueStore<String, ProcessorConnectionState> inner;
  private MockProcessorContext<Object, Object> context;

  @BeforeEach
  void init() {
    store = open(10, 1 << 20);
  }

  private ConnectionStateStore open(int maxEntries, long maxBytes) {
    context = new MockProcessorContext<>();
    ConnectionStateStore s = ConnectionStateStore.builder(Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(TopologyNames.STATE_STORE), Serdes.String(),
            StreamsProcessor.STATE_SERDE), maxEntries, maxBytes)
        .withLoggingDisabled().build();
    s.init(context.getStateStoreContext(), s);
    inner = s.committed();
    return s;
  }

  private static ProcessorConnectionState.Builder state(long nextOffset) {
    return ProcessorConnectionState.newBuilder()
        .setRead(ProcessorDirectionState.newBuilder().setNextOffset(nextOffset));
  }

  @Test
  void changesReachTheInnerStoreAtTheCommitOncePerConnection() {
    ProcessorConnectionState.Builder a = state(1);
    store.put("a", a);
    for (int i = 2; i <= 50; i++) {
      ProcessorConnectionState.Builder same = store.get("a");
      assertSame(a, same, "the store's own builder, changed in place");
      same.getReadBuilder().setNextOffset(i);
      store.put("a", same);
    }
    store.put("b", state(7));
    assertNull(inner.get("a"), "nothing written before the commit");
    assertEquals(0, store.writes());
    assertEquals(2, store.dirtyCount());

    store.flushCache();
    assertEquals(2, store.writes(), "one write per connection");
    assertEquals(50, inner.get("a").getRead().getNextOffset());
    assertEquals(7, inner.get("b").getRead().getNextOffset());
    assertEquals(0, store.dirtyCount());
    assertEquals(50, store.get("a").getRead().getNextOffset(), "still cached after the commit");

    store.delete("a");
    assertNull(store.get("a"));
    assertEquals(50, inner.get("a").getRead().getNextOffset(), "the delete waits for the commit too");
    store.flushCache();
    assertNull(inner.get("a"));
  }

  @Test
  void whatWasNotCommittedIsForgottenOnReinitAndDeleteNowIsImmediate() {
    store.put("a", state(3));
    store.flushCache();
    store.get("a").getReadBuilder().setNextOffset(99);
    store.put("a", store.get("a"));
    store.put("c", state(5));
    // a dirty close / a revived task: the store is initialised again over what the changelog holds
    store.init(context.getStateStoreContext(), store);
    assertEquals(3, store.get("a").getRead().getNextOffset(), "the committed state, read again");
    assertNull(store.get("c"));

    store.put("a", state(4));
    store.deleteNow("a");
    assertNull(inner.get("a"));
    assertNull(store.get("a"));
    store.flushCache();
    assertNull(inner.get("a"), "the dropped change is not written later");
  }

  @Test
  void pastItsBoundsTheOldestChangesAreWrittenEarly() {
    ConnectionStateStore small = open(4, 1 << 20);
    for (int i = 0; i < 6; i++) {
      small.put("k" + i, state(i));
    }
    small.writeExcess();
    assertEquals(3, small.dirtyCount(), "down to three quarters of the bound");
    assertEquals(0, inner.get("k0").getRead().getNextOffset());
    assertEquals(2, inner.get("k2").getRead().getNextOffset());
    assertNull(inner.get("k3"));

    ConnectionStateStore bytes = open(100, 4 * 1024);
    for (int i = 0; i < 4; i++) {
      ProcessorConnectionState.Builder big = state(i);
      big.getWriteBuilder().setBuffer(ByteString.copyFrom(new byte[1500]));
      bytes.put("b" + i, big);
    }
    bytes.writeExcess();
    assertEquals(1, bytes.dirtyCount(), "by the size of their buffers");
    assertEquals(1500, inner.get("b2").getWrite().getBuffer().size());
  }

  @Test
  void aDirtyConnectionIsNeverServedFromItsCleanEntry() {
    ProcessorConnectionState.Builder first = state(1);
    store.put("a", first);
    store.flushCache(); // "a" now cached clean as first
    assertSame(first, store.get("a"));

    ProcessorConnectionState.Builder replaced = state(2); // e.g. a finished connection's marker
    store.put("a", replaced);
    assertSame(replaced, store.get("a"), "the dirty state, not the clean entry");
    store.delete("a");
    assertNull(store.get("a"), "deleted, though the clean cache had it");
    store.flushCache();
    assertNull(inner.get("a"));
    assertNull(store.get("a"), "the delete's write dropped the clean entry too");

    ProcessorConnectionState.Builder again = state(3);
    store.put("a", again);
    store.flushCache();
    assertSame(again, store.get("a"));
    assertEquals(3, inner.get("a").getRead().getNextOffset());
    assertEquals(0, store.dirtyCount());
  }
}
