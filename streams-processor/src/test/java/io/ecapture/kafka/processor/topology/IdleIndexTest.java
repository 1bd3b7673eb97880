package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class IdleIndexTest {
  private final IdleIndex index = new IdleIndex();

  @Test
  void flushScheduleIsOrderedByTimeAndFollowsUpdates() {
    index.awaitFlush("b", 200);
    index.awaitFlush("a", 100);
    index.awaitFlush("c", 100);
    index.awaitFlush("a", 300); // a moved on
    assertEquals(List.of("c", "b"), index.dueForFlush(1200, 1000));
    assertEquals(List.of("c", "b", "a"), index.dueForFlush(1300, 1000));
  }

  @Test
  void timeTheThreadSpentBusyIsNotIdleness() {
    index.awaitFlush("starved", 0);
    // the stream thread then processed other records for 2.5 s (e.g. another task's batch of
    // large messages): that time, beyond half an idle period, does not count as idle
    ThreadBusyTime.since(System.nanoTime() - 2_500_000_000L);
    assertEquals(List.of(), index.dueForFlush(2900, 1000), "only 0.9 s of free time");
    index.awaitFlush("fresh", 2900); // a connection active after the busy stretch
    assertEquals(List.of("starved"), index.dueForFlush(3000, 1000), "1 s of free time");
    assertEquals(List.of("starved", "fresh"), index.dueForFlush(3900, 1000));
    // a thread that is never free still flushes after 60 idle periods
    IdleIndex saturated = new IdleIndex();
    saturated.awaitFlush("k", 0);
    ThreadBusyTime.since(System.nanoTime() - 100_000_000_000L);
    assertEquals(List.of(), saturated.dueForFlush(59_999, 1000));
    assertEquals(List.of("k"), saturated.dueForFlush(60_000, 1000));
    // a little busy time (below half the idle period) changes nothing
    IdleIndex light = new IdleIndex();
    light.awaitFlush("k", 0);
    ThreadBusyTime.since(System.nanoTime() - 400_000_000L);
    assertEquals(List.of("k"), light.dueForFlush(1000, 1000));
  }

  @Test
  void evictionTakesOnlyKeysWhoseLatestActivityIsDue() {
    index.awaitEviction("a", 100);
    index.awaitEviction("b", 150);
    index.awaitEviction("a", 400); // a was active again: its first entry is stale
    index.awaitEviction("c", 500);
    index.remove("c");
    assertEquals(List.of("b"), index.dueForEviction(1200, 1000));
    assertEquals(List.of(), index.dueForEviction(1300, 1000), "b left the schedule");
    assertEquals(List.of("a"), index.dueForEviction(1400, 1000));
    assertEquals(0, index.size());
  }

  @Test
  void aKeyMovesBetweenSchedules() {
    index.awaitEviction("a", 100);
    index.awaitFlush("a", 150);
    assertEquals(List.of(), index.dueForEviction(5000, 1000));
    assertEquals(List.of("a"), index.dueForFlush(5000, 1000));
    index.awaitEviction("a", 200);
    assertEquals(List.of(), index.dueForFlush(5000, 1000));
    assertEquals(1, index.size());
  }

  @Test
  void staleEntriesOfBusyConnectionsAreCompactedAway() {
    index.awaitEviction("idle", 1);
    for (long ms = 1; ms <= 100_000; ms++) {
      index.awaitEviction("busy", ms); // the clock moves on with every record
    }
    assertEquals(List.of("idle"), index.dueForEviction(50_000, 1000));
    assertEquals(List.of("busy"), index.dueForEviction(200_000, 1000));
    assertEquals(0, index.size());
  }
}
