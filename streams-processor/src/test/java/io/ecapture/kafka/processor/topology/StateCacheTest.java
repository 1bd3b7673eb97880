package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import org.junit.jupiter.api.Test;

class StateCacheTest {
  @Test
  void leastRecentlyUsedStatesLeavePastTheByteBound() {
    StateCache cache = new StateCache(100, 1000);
    cache.put("a", ProcessorConnectionState.newBuilder(), 400);
    cache.put("b", ProcessorConnectionState.newBuilder(), 400);
    assertNotNull(cache.get("a")); // a is now the most recent
    cache.put("c", ProcessorConnectionState.newBuilder(), 400);
    assertNull(cache.get("b"));
    assertNotNull(cache.get("a"));
    assertEquals(800, cache.bytes());
    cache.put("a", ProcessorConnectionState.newBuilder(), 100); // replaced, not added
    assertEquals(500, cache.bytes());
    cache.remove("c");
    assertEquals(100, cache.bytes());
  }

  @Test
  void leastRecentlyUsedStatesLeavePastTheEntryBound() {
    StateCache cache = new StateCache(2, Long.MAX_VALUE);
    cache.put("a", ProcessorConnectionState.newBuilder(), 1);
    cache.put("b", ProcessorConnectionState.newBuilder(), 1);
    cache.put("c", ProcessorConnectionState.newBuilder(), 1);
    assertNull(cache.get("a"));
    assertEquals(2, cache.bytes());
  }
}
