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

  @Test
  void aFlushTimeMovedLaterIsDueOnlyAtItsNewTimeAndKeepsTheOrder() {
    index.awaitFlush("a", 100);
    index.awaitFlush("b", 150);
    index.awaitFlush("a", 120); // later: its queued entry (100) stays as a lower bound
    index.awaitFlush("a", 180);
    index.awaitFlush("c", 90);
    assertEquals(List.of("c"), index.dueForFlush(1100, 1000), "a's old time 100 is not due");
    assertEquals(List.of("c", "b"), index.dueForFlush(1150, 1000));
    assertEquals(List.of("c", "b", "a"), index.dueForFlush(1180, 1000), "oldest first");
    // moved earlier again (a restore): due at the earlier time
    index.awaitFlush("b", 50);
    assertEquals(List.of("b", "c"), index.dueForFlush(1090, 1000));
  }

  @Test
  void aRemovedOrMovedKeyIsNotDueThroughItsOldEntry() {
    index.awaitFlush("a", 100);
    index.remove("a");
    assertEquals(List.of(), index.dueForFlush(5000, 1000));
    assertEquals(false, index.hasPendingFlush());
    index.awaitFlush("a", 4500); // back, later: the stale entry at 100 must not make it due
    assertEquals(List.of(), index.dueForFlush(5000, 1000));
    assertEquals(List.of("a"), index.dueForFlush(5500, 1000));
    index.awaitEviction("a", 5600);
    assertEquals(List.of(), index.dueForFlush(9000, 1000));
    assertEquals(1, index.size());
  }

  @Test
  void theBusyTimeCountsFromTheLatestFlushTime() {
    index.awaitFlush("k", 0);
    ThreadBusyTime.since(System.nanoTime() - 2_500_000_000L); // busy 2.5 s
    index.awaitFlush("k", 2000); // moved on after the busy stretch: that time is not its
    assertEquals(List.of(), index.dueForFlush(2900, 1000));
    assertEquals(List.of("k"), index.dueForFlush(3000, 1000));
  }

  @Test
  void manyRemovedAndMovedFlushEntriesStayCorrect() {
    java.util.Random random = new java.util.Random(7);
    java.util.Map<String, Long> expected = new java.util.HashMap<>();
    for (int i = 0; i < 50_000; i++) {
      String key = "k" + random.nextInt(300);
      long ms = 1000 + random.nextInt(100_000);
      switch (random.nextInt(3)) {
        case 0 -> { index.awaitEviction(key, ms); expected.remove(key); }
        case 1 -> { index.remove(key); expected.remove(key); }
        default -> { index.awaitFlush(key, ms); expected.put(key, ms); }
      }
      if (i % 5000 == 0) {
        long now = 1000 + random.nextInt(100_000);
        assertDue(expected, now, index.dueForFlush(now + 1000, 1000));
      }
    }
    for (long now = 0; now <= 102_000; now += 7_000) {
      assertDue(expected, now, index.dueForFlush(now + 1000, 1000));
    }
  }

  /** {@code due} holds exactly the keys whose time is at or before {@code notAfter}, oldest first. */
  private static void assertDue(java.util.Map<String, Long> times, long notAfter, List<String> due) {
    assertEquals(new java.util.HashSet<>(dueOf(times, notAfter)), new java.util.HashSet<>(due));
    assertEquals(due.size(), new java.util.HashSet<>(due).size(), "no key twice");
    for (int i = 1; i < due.size(); i++) {
      org.junit.jupiter.api.Assertions.assertTrue(times.get(due.get(i - 1)) <= times.get(due.get(i)),
          "oldest first: " + due);
    }
  }

  @Test
  void evictionEntriesOfRemovedAndReaddedKeysStayCorrect() {
    index.awaitEviction("a", 100);
    index.remove("a");
    index.awaitEviction("a", 100); // back with the same time: due once, not twice
    index.awaitEviction("b", 100);
    index.remove("b");
    assertEquals(List.of("a"), index.dueForEviction(1100, 1000));
    assertEquals(List.of(), index.dueForEviction(9000, 1000));
    // many keys moving on (the clock grows) and leaving: compactions keep the latest entries
    java.util.Random random = new java.util.Random(3);
    java.util.Map<String, Long> expected = new java.util.HashMap<>();
    for (long ms = 10_000; ms < 60_000; ms++) {
      String key = "k" + random.nextInt(500);
      if (random.nextInt(4) == 0) {
        index.remove(key);
        expected.remove(key);
      } else {
        index.awaitEviction(key, ms);
        expected.put(key, ms);
      }
    }
    for (long notAfter = 20_000; notAfter <= 61_000; notAfter += 4_000) {
      List<String> due = index.dueForEviction(notAfter + 1000, 1000);
      final long bound = notAfter;
      java.util.Set<String> want = new java.util.HashSet<>();
      expected.entrySet().removeIf(e -> e.getValue() <= bound && want.add(e.getKey()));
      assertEquals(want, new java.util.HashSet<>(due), "due at " + notAfter);
      assertEquals(due.size(), want.size(), "no key twice");
    }
    assertEquals(0, index.size());
  }

  /** The keys whose time is at or before {@code notAfter}, by time, ties in key order unknown. */
  private static List<String> dueOf(java.util.Map<String, Long> times, long notAfter) {
    return times.entrySet().stream().filter(e -> e.getValue() <= notAfter)
        .sorted(java.util.Map.Entry.comparingByValue()).map(java.util.Map.Entry::getKey).toList();
  }
}
