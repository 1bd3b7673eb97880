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
 * <p>One hash map holds every key's {@link Slot} (which schedule, its time, its live entry), so a
 * record costs one lookup however the connection moves between schedules; the schedules' entries
 * point at their slot and are checked against it without a lookup.
 *
 * <p>Not persisted: rebuilt from the store once in {@code init} (after restoration).
 */
final class IdleIndex {
  /** A connection is flushed after this many idle periods even if its thread was never free. */
  static final int SATURATED_IDLE_FACTOR = 60;
  private static final int FLUSH = 0;
  private static final int EVICTION = 1;
  private static final int FINISHED = 2;

  /**
   * A key's place: its schedule ({@code kind}), its latest time and, for the flush schedule, the
   * thread's {@link ThreadBusyTime} when that time was set and its live tree entry. {@code
   * version} changes with every move; a FIFO entry is current while its version is the slot's.
   * A removed slot has {@code kind} -1.
   */
  private static final class Slot {
    final String key;
    int kind = -1;
    long ms;
    long busyNanos;
    long version;
    FlushEntry queued;

    Slot(String key) {
      this.key = key;
    }
  }

  /** Ordered by (time, insertion number), never comparing keys. */
  private record FlushEntry(long ms, long seq, Slot slot) implements Comparable<FlushEntry> {
    @Override
    public int compareTo(FlushEntry other) {
      int byTime = Long.compare(ms, other.ms);
      return byTime != 0 ? byTime : Long.compare(seq, other.seq);
    }
  }

  /** Current while its slot is still in the same schedule at the same version. */
  private record FifoEntry(long ms, int kind, long version, Slot slot) {
    boolean current() {
      return slot.kind == kind && slot.version == version;
    }
  }

  private final Map<String, Slot> slots = new HashMap<>();
  private final int[] counts = new int[3];
  /**
   * Connections holding unflushed bytes. A key's entry is a lower bound of its time: a later time
   * (the common case: the connection's activity moved on) only updates the slot and the entry is
   * moved when a walk reaches it; an earlier time moves the entry at once. An entry whose slot no
   * longer points at it is stale, skipped and dropped when reached, or compacted away when stale
   * entries dominate. A walk stops at the first entry not yet due, which is right because no
   * key's time is before its entry's.
   */
  private final TreeSet<FlushEntry> flushOrder = new TreeSet<>();
  /**
   * FIFOs of the eviction and the finished schedules: written with the current time, which only
   * grows; entries of keys that moved on are skipped when reached (compacted when they dominate).
   */
  private final ArrayDeque<FifoEntry> evictionQueue = new ArrayDeque<>();
  private final ArrayDeque<FifoEntry> finishedQueue = new ArrayDeque<>();
  private long nextSeq;

  /** Schedules a connection with unflushed bytes whose oldest unflushed activity is {@code ms}. */
  void awaitFlush(String key, long ms) {
    Slot slot = slot(key);
    if (slot.kind == FLUSH) {
      if (slot.ms == ms) {
        return; // already there: most records of a busy connection land in the same ms
      }
    } else {
      move(slot, FLUSH);
    }
    slot.ms = ms;
    slot.version++;
    slot.busyNanos = ThreadBusyTime.nanos();
    if (slot.queued == null || ms < slot.queued.ms()) {
      enqueueFlush(slot);
    }
  }

  /** Schedules a connection with nothing to flush, last active at {@code ms} (the clock now). */
  void awaitEviction(String key, long ms) {
    scheduleFifo(slot(key), EVICTION, ms, evictionQueue);
  }

  /** A connection finished at {@code ms} (the clock now): its positions are remembered. */
  void rememberFinished(String key, long ms) {
    scheduleFifo(slot(key), FINISHED, ms, finishedQueue);
  }

  void remove(String key) {
    Slot slot = slots.remove(key);
    if (slot != null) {
      leave(slot);
      slot.kind = -1;
    }
  }

  /** Finished connections remembered for at least {@code memoryMs}; they leave the schedule. */
  List<String> dueToForget(long nowMs, long memoryMs) {
    return takeDue(finishedQueue, nowMs - memoryMs);
  }

  /** Finished connections still remembered. */
  int finishedCount() {
    return counts[FINISHED];
  }

  /** Keys whose flush time is at least {@code idleMs} old, oldest first. */
  List<String> dueForFlush(long nowMs, long idleMs) {
    long busyNowNanos = ThreadBusyTime.nanos();
    List<String> due = new ArrayList<>();
    FlushEntry entry = flushOrder.isEmpty() ? null : flushOrder.first();
    while (entry != null && nowMs - entry.ms() >= idleMs) {
      FlushEntry next = flushOrder.higher(entry);
      Slot slot = entry.slot();
      if (slot.queued != entry) {
        flushOrder.remove(entry); // stale
      } else if (slot.ms != entry.ms()) {
        // moved on since it was queued: re-queued at its time (reached again if that is due)
        enqueueFlush(slot);
        next = flushOrder.higher(entry);
      } else {
        long idle = nowMs - slot.ms;
        long busyMs = Math.max(0, busyNowNanos - slot.busyNanos) / 1_000_000;
        long credit = Math.max(0, busyMs - idleMs / 2);
        if (idle - credit >= idleMs || idle >= SATURATED_IDLE_FACTOR * idleMs) {
          due.add(slot.key);
        }
      }
      entry = next;
    }
    return due;
  }

  /** Keys with nothing to flush, untouched for at least {@code ttlMs}; they leave the schedule. */
  List<String> dueForEviction(long nowMs, long ttlMs) {
    return takeDue(evictionQueue, nowMs - ttlMs);
  }

  /** Whether some connection holds bytes waiting for their idle flush. */
  boolean hasPendingFlush() {
    return counts[FLUSH] > 0;
  }

  /** Open connections: those awaiting a flush or their eviction. */
  int size() {
    return counts[FLUSH] + counts[EVICTION];
  }

  private Slot slot(String key) {
    Slot slot = slots.get(key);
    if (slot == null) {
      slot = new Slot(key);
      slots.put(key, slot);
    }
    return slot;
  }

  /** Takes the slot out of its schedule (its entries become stale) and into {@code kind}'s. */
  private void move(Slot slot, int kind) {
    leave(slot);
    slot.kind = kind;
    counts[kind]++;
  }

  private void leave(Slot slot) {
    if (slot.kind >= 0) {
      counts[slot.kind]--;
    }
    slot.queued = null; // a flush entry in the tree becomes stale
    slot.version++; // and so do FIFO entries
  }

  private void scheduleFifo(Slot slot, int kind, long ms, ArrayDeque<FifoEntry> queue) {
    if (slot.kind == kind) {
      if (slot.ms == ms) {
        return;
      }
    } else {
      move(slot, kind);
    }
    slot.ms = ms;
    slot.version++;
    queue.addLast(new FifoEntry(ms, kind, slot.version, slot));
    if (queue.size() > 2 * counts[kind] + 1024) {
      queue.removeIf(entry -> !entry.current());
    }
  }

  private void enqueueFlush(Slot slot) {
    if (slot.queued != null) {
      flushOrder.remove(slot.queued);
    }
    slot.queued = new FlushEntry(slot.ms, nextSeq++, slot);
    flushOrder.add(slot.queued);
    if (flushOrder.size() > 2 * counts[FLUSH] + 1024) {
      flushOrder.removeIf(entry -> entry.slot().queued != entry);
    }
  }

  /**
   * Removes and returns the keys last scheduled at or before {@code notAfterMs}. A clock step
   * back can leave a later-scheduled key behind an earlier one: it is then taken a little late.
   */
  private List<String> takeDue(ArrayDeque<FifoEntry> queue, long notAfterMs) {
    List<String> due = new ArrayList<>();
    while (!queue.isEmpty() && queue.peekFirst().ms() <= notAfterMs) {
      FifoEntry entry = queue.pollFirst();
      if (entry.current()) {
        remove(entry.slot().key);
        due.add(entry.slot().key);
      }
    }
    return due;
  }
}
