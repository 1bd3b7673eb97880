package io.ecapture.kafka.processor.topology;

import java.util.ArrayDeque;
import java.util.ArrayList;
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
 * <p>Every record updates one of them, so both are cheap per update: the flush schedule is a
 * tree ordered by (time, insertion number), never comparing keys, whose entries move lazily (a
 * record that moves a key's time later touches only a hash map); the eviction schedule is
 * written with the current time, which only grows, so it is a FIFO with lazy deletion (an entry
 * whose key moved on is skipped when reached; the queue is compacted when stale entries
 * dominate).
 *
 * <p>Idle means idle while the stream thread was free: a connection is due for its flush once
 * {@code idleMs} passed since its activity, not counting the thread's time spent processing
 * records ({@link ThreadBusyTime}) beyond {@code idleMs / 2}; so a direction starved of polls by
 * a long batch of other records keeps its partial message. A thread busy all the time still
 * flushes after {@link #SATURATED_IDLE_FACTOR} x {@code idleMs}.
 *
 * <p>A third schedule, of the same FIFO kind, holds finished connections whose stream positions
 * are remembered for a while (to drop re-sent records); they are not open connections, so they
 * do not count in {@link #size()}.
 *
 * <p>Not persisted: rebuilt from the store once in {@code init} (after restoration).
 */
final class IdleIndex {
  /** A connection is flushed after this many idle periods even if its thread was never free. */
  static final int SATURATED_IDLE_FACTOR = 60;
  private final FlushSchedule awaitingFlush = new FlushSchedule();
  private final EvictionQueue awaitingEviction = new EvictionQueue();
  private final EvictionQueue finished = new EvictionQueue();

  /** Schedules a connection with unflushed bytes whose oldest unflushed activity is {@code ms}. */
  void awaitFlush(String key, long ms) {
    awaitingEviction.remove(key);
    finished.remove(key);
    awaitingFlush.put(key, ms);
  }

  /** Schedules a connection with nothing to flush, last active at {@code ms} (the clock now). */
  void awaitEviction(String key, long ms) {
    awaitingFlush.remove(key);
    finished.remove(key);
    awaitingEviction.put(key, ms);
  }

  /** A connection finished at {@code ms} (the clock now): its positions are remembered. */
  void rememberFinished(String key, long ms) {
    awaitingFlush.remove(key);
    awaitingEviction.remove(key);
    finished.put(key, ms);
  }

  void remove(String key) {
    awaitingFlush.remove(key);
    awaitingEviction.remove(key);
    finished.remove(key);
  }

  /** Finished connections remembered for at least {@code memoryMs}; they leave the schedule. */
  List<String> dueToForget(long nowMs, long memoryMs) {
    return finished.takeDue(nowMs - memoryMs);
  }

  /** Finished connections still remembered. */
  int finishedCount() {
    return finished.latest.size();
  }

  /** Keys whose flush time is at least {@code idleMs} old, oldest first. */
  List<String> dueForFlush(long nowMs, long idleMs) {
    return awaitingFlush.due(nowMs, idleMs, ThreadBusyTime.nanos());
  }

  /** Keys with nothing to flush, untouched for at least {@code ttlMs}; they leave the schedule. */
  List<String> dueForEviction(long nowMs, long ttlMs) {
    return awaitingEviction.takeDue(nowMs - ttlMs);
  }

  /** Whether some connection holds bytes waiting for their idle flush. */
  boolean hasPendingFlush() {
    return !awaitingFlush.entries.isEmpty();
  }

  int size() {
    return awaitingFlush.entries.size() + awaitingEviction.latest.size();
  }

  /**
   * Ordered by (time, insertion number), never comparing keys, and updated lazily: a key's
   * latest time and busy counter live in its {@link Slot}; its entry in the tree is a lower bound
   * of that time. A later time (the common case: the connection's activity moved on) only
   * updates the slot, the entry is moved when a walk reaches it; an earlier time moves the entry
   * at once. A removed key leaves a stale entry, skipped and dropped when reached, or compacted
   * away when stale entries dominate. A walk stops at the first entry not yet due, which is
   * right because no key's time is before its entry's.
   */
  private static final class FlushSchedule {
    /** {@code slot}: its key's, so a walk or a compaction needs no map lookup. */
    private record Entry(long ms, long seq, String key, Slot slot) implements Comparable<Entry> {
      @Override
      public int compareTo(Entry other) {
        int byTime = Long.compare(ms, other.ms);
        return byTime != 0 ? byTime : Long.compare(seq, other.seq);
      }
    }

    /**
     * {@code busyNanos}: the thread's {@link ThreadBusyTime} when {@code ms} was set; {@code
     * queued}: the key's live entry in the tree, null once the key was removed.
     */
    private static final class Slot {
      long ms;
      long busyNanos;
      Entry queued;
    }

    private final Map<String, Slot> entries = new HashMap<>();
    private final TreeSet<Entry> order = new TreeSet<>();
    private long nextSeq;

    void put(String key, long ms) {
      Slot slot = entries.get(key);
      if (slot == null) {
        slot = new Slot();
        entries.put(key, slot);
      } else if (slot.ms == ms) {
        return; // already there: most records of a busy connection land in the same ms
      }
      slot.ms = ms;
      slot.busyNanos = ThreadBusyTime.nanos();
      if (slot.queued == null || ms < slot.queued.ms()) {
        enqueue(key, slot);
      }
    }

    private void enqueue(String key, Slot slot) {
      if (slot.queued != null) {
        order.remove(slot.queued);
      }
      slot.queued = new Entry(slot.ms, nextSeq++, key, slot);
      order.add(slot.queued);
      if (order.size() > 2 * entries.size() + 1024) {
        order.removeIf(entry -> entry.slot().queued != entry);
      }
    }

    void remove(String key) {
      Slot slot = entries.remove(key);
      if (slot != null) {
        slot.queued = null; // its entry in the tree becomes stale
      }
    }

    /** Entries idle for {@code idleMs} of free thread time, see the class comment. */
    List<String> due(long nowMs, long idleMs, long busyNowNanos) {
      List<String> due = new ArrayList<>();
      Entry entry = order.isEmpty() ? null : order.first();
      while (entry != null && nowMs - entry.ms() >= idleMs) {
        Entry next = order.higher(entry);
        Slot slot = entry.slot();
        if (slot.queued != entry) {
          order.remove(entry); // stale
        } else if (slot.ms != entry.ms()) {
          // moved on since it was queued: re-queued at its time (reached again if that is due)
          enqueue(entry.key(), slot);
          next = order.higher(entry);
        } else {
          long idle = nowMs - slot.ms;
          long busyMs = Math.max(0, busyNowNanos - slot.busyNanos) / 1_000_000;
          long credit = Math.max(0, busyMs - idleMs / 2);
          if (idle - credit >= idleMs || idle >= SATURATED_IDLE_FACTOR * idleMs) {
            due.add(entry.key());
          }
        }
        entry = next;
      }
      return due;
    }
  }

  private static final class EvictionQueue {
    /** A key's latest time; {@link #REMOVED} once it left the schedule. */
    private static final class Slot {
      long ms;
    }

    private static final long REMOVED = Long.MIN_VALUE;

    /** Current while its slot still holds its time: checked without a map lookup. */
    private record Entry(long ms, String key, Slot slot) {
      boolean current() {
        return slot.ms == ms && ms != REMOVED;
      }
    }

    private final Map<String, Slot> latest = new HashMap<>();
    private final ArrayDeque<Entry> queue = new ArrayDeque<>();

    void put(String key, long ms) {
      Slot slot = latest.get(key);
      if (slot == null) {
        slot = new Slot();
        latest.put(key, slot);
      } else if (slot.ms == ms) {
        return;
      }
      slot.ms = ms;
      queue.addLast(new Entry(ms, key, slot));
      if (queue.size() > 2 * latest.size() + 1024) {
        compact();
      }
    }

    void remove(String key) {
      Slot slot = latest.remove(key);
      if (slot != null) {
        slot.ms = REMOVED; // its queue entries become stale
      }
    }

    /**
     * Removes and returns the keys last scheduled at or before {@code notAfterMs}. A clock step
     * back can leave a later-scheduled key behind an earlier one: it is then evicted a little late.
     */
    List<String> takeDue(long notAfterMs) {
      List<String> due = new ArrayList<>();
      while (!queue.isEmpty() && queue.peekFirst().ms() <= notAfterMs) {
        Entry entry = queue.pollFirst();
        if (entry.current()) {
          remove(entry.key());
          due.add(entry.key());
        }
      }
      return due;
    }

    private void compact() {
      queue.removeIf(entry -> !entry.current());
    }
  }
}
