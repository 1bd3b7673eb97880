package io.ecapture.kafka.processor.topology;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * In-memory schedule of one task's connections, so the idle punctuator visits only connections
 * that are due instead of scanning the store. Two schedules ordered by time: connections holding
 * unflushed bytes (by the last activity of their oldest unflushed direction), and connections
 * with nothing to flush waiting for their TTL. A walk stops at the first entry not yet due, so a
 * punctuation costs O(due entries · log n).
 *
 * <p>Not persisted: rebuilt from the store once in {@code init} (after restoration).
 */
final class IdleIndex {
  private final Schedule awaitingFlush = new Schedule();
  private final Schedule awaitingEviction = new Schedule();

  /** Schedules a connection with unflushed bytes whose oldest unflushed activity is {@code ms}. */
  void awaitFlush(String key, long ms) {
    awaitingEviction.remove(key);
    awaitingFlush.put(key, ms);
  }

  /** Schedules a connection with nothing to flush, last active at {@code ms}. */
  void awaitEviction(String key, long ms) {
    awaitingFlush.remove(key);
    awaitingEviction.put(key, ms);
  }

  void remove(String key) {
    awaitingFlush.remove(key);
    awaitingEviction.remove(key);
  }

  /** Keys whose flush time is at least {@code idleMs} old, oldest first. */
  List<String> dueForFlush(long nowMs, long idleMs) {
    return awaitingFlush.due(nowMs - idleMs);
  }

  /** Keys with nothing to flush, untouched for at least {@code ttlMs}. */
  List<String> dueForEviction(long nowMs, long ttlMs) {
    return awaitingEviction.due(nowMs - ttlMs);
  }

  int size() {
    return awaitingFlush.times.size() + awaitingEviction.times.size();
  }

  private static final class Schedule {
    private record Entry(long ms, String key) {}

    private final Map<String, Long> times = new HashMap<>();
    private final TreeSet<Entry> order =
        new TreeSet<>(Comparator.comparingLong(Entry::ms).thenComparing(Entry::key));

    void put(String key, long ms) {
      remove(key);
      times.put(key, ms);
      order.add(new Entry(ms, key));
    }

    void remove(String key) {
      Long previous = times.remove(key);
      if (previous != null) {
        order.remove(new Entry(previous, key));
      }
    }

    List<String> due(long notAfterMs) {
      List<String> due = new ArrayList<>();
      for (Entry entry : order) {
        if (entry.ms() > notAfterMs) {
          break;
        }
        due.add(entry.key());
      }
      return due;
    }
  }
}
