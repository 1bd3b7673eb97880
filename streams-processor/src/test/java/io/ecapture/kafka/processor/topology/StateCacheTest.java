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
 * Both bounds hold as soon as {@code put} returns, the bytes are counted exactly, and the least
 * recently used states leave first.
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
    assertEquals(List.of("a", "c"), kept,
        "one of three 400-byte states leaves a 1000-byte cache: b, read least recently");
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
    cache.get("a");
    cache.put("c", ProcessorConnectionState.newBuilder(), 1);
    assertEquals(List.of("a", "c"), cached(cache, "a", "b", "c"));
    assertEquals(2, cache.bytes());
  }

  @Test
  void oneLargeStateMakesRoomByEvictingAsManyOldOnesAsNeeded() {
    StateCache cache = new StateCache(100, 1000);
    for (String key : List.of("a", "b", "c", "d")) {
      cache.put(key, ProcessorConnectionState.newBuilder(), 200);
    }
    cache.put("big", ProcessorConnectionState.newBuilder(), 700);
    assertEquals(List.of("d", "big"), cached(cache, "a", "b", "c", "d", "big"));
    assertEquals(900, cache.bytes());
    cache.put("huge", ProcessorConnectionState.newBuilder(), 5000);
    assertEquals(List.of(), cached(cache, "a", "b", "c", "d", "big", "huge"),
        "a state past the byte bound on its own is not kept");
    assertEquals(0, cache.bytes());
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
