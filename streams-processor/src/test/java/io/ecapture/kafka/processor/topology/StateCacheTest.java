package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Both bounds hold as soon as {@code put} returns and the bytes are counted exactly. Which state
 * leaves is Caffeine's W-TinyLFU choice, not strictly the least recently used one (see {@link
 * StateCache}): the cache is write-through, so any choice is correct, and these tests only check
 * that exactly enough states leave.
 */
class StateCacheTest {
  @Test
  void statesLeavePastTheByteBound() {
    StateCache cache = new StateCache(100, 1000);
    ProcessorConnectionState.Builder a = ProcessorConnectionState.newBuilder();
    cache.put("a", a, 400);
    cache.put("b", ProcessorConnectionState.newBuilder(), 400);
    assertSame(a, cache.get("a"), "the builder itself, not a copy");
    cache.put("c", ProcessorConnectionState.newBuilder(), 400);
    List<String> kept = cached(cache, "a", "b", "c");
    assertEquals(2, kept.size(), "one of three 400-byte states leaves a 1000-byte cache");
    assertEquals(800, cache.bytes());
    cache.put(kept.get(0), ProcessorConnectionState.newBuilder(), 100); // replaced, not added
    assertEquals(500, cache.bytes());
    assertEquals(2, cache.size());
    cache.remove(kept.get(1));
    assertNull(cache.get(kept.get(1)));
    assertEquals(100, cache.bytes());
  }

  @Test
  void statesLeavePastTheEntryBound() {
    StateCache cache = new StateCache(2, Long.MAX_VALUE);
    cache.put("a", ProcessorConnectionState.newBuilder(), 1);
    cache.put("b", ProcessorConnectionState.newBuilder(), 1);
    cache.put("c", ProcessorConnectionState.newBuilder(), 1);
    assertEquals(2, cached(cache, "a", "b", "c").size());
    assertEquals(2, cache.bytes());
  }

  @Test
  void clearForgetsEverything() {
    StateCache cache = new StateCache(10, 1000);
    cache.put("a", ProcessorConnectionState.newBuilder(), 10);
    assertNotNull(cache.get("a"));
    cache.clear();
    assertNull(cache.get("a"));
    assertEquals(0, cache.bytes());
  }

  private static List<String> cached(StateCache cache, String... keys) {
    return Stream.of(keys).filter(k -> cache.get(k) != null).toList();
  }
}
