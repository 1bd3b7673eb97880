package io.ecapture.kafka.collector.sink;

import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** Keeps what the collector delivers, for tests that check capture without Kafka. */
public final class RecordingSink implements CaptureSink {
  public final List<RawEvent> events = new CopyOnWriteArrayList<>();
  public final List<ProcessLog> logs = new CopyOnWriteArrayList<>();
  public final List<String> keyLogs = new CopyOnWriteArrayList<>();
  public volatile boolean closed;

  @Override
  public void event(RawEvent event) {
    events.add(event);
  }

  @Override
  public void keyLog(String line) {
    keyLogs.add(line);
  }

  @Override
  public void log(ProcessLog line) {
    logs.add(line);
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    closed = true;
  }

  /**
   * The first event that matches, waiting up to {@code max}; else an AssertionError listing (by
   * {@code describe}) up to 20 of the events seen.
   */
  public RawEvent awaitFirst(Predicate<RawEvent> wanted, Duration max,
      java.util.function.Function<RawEvent, String> describe) throws InterruptedException {
    List<RawEvent> matching = awaitEvents(wanted, max);
    if (!matching.isEmpty()) {
      return matching.get(0);
    }
    throw new AssertionError("event not seen within " + max + "; " + events.size() + " events: "
        + events.stream().map(describe).filter(java.util.Objects::nonNull).limit(20).toList());
  }

  /** Waits (bounded) until some event matches; returns the matching events so far. */
  public List<RawEvent> awaitEvents(Predicate<RawEvent> matching, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      if (events.stream().anyMatch(matching)) {
        break;
      }
      Thread.sleep(20);
    }
    return events.stream().filter(matching).toList();
  }

  /**
   * The captured key-log lines with the same client random as {@code expected} (NSS key-log lines
   * of one session), waiting up to {@code max} for as many as expected.
   */
  public java.util.Set<String> keyLinesOfSession(java.util.Set<String> expected, Duration max) throws InterruptedException {
    String random = expected.iterator().next().split(" ")[1];
    long deadline = System.nanoTime() + max.toNanos();
    java.util.Set<String> captured = new java.util.TreeSet<>();
    while (System.nanoTime() < deadline) {
      captured.clear();
      keyLogs.stream().filter(line -> line.split(" ")[1].equals(random)).forEach(captured::add);
      if (captured.size() >= expected.size()) {
        break;
      }
      Thread.sleep(20);
    }
    return captured;
  }
}
