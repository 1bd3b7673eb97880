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
