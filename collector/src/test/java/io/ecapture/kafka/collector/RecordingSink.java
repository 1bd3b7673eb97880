package io.ecapture.kafka.collector;

import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** Keeps what the collector delivers, for tests that check capture without Kafka. */
final class RecordingSink implements CaptureSink {
  final List<RawEvent> events = new CopyOnWriteArrayList<>();
  final List<ProcessLog> logs = new CopyOnWriteArrayList<>();
  final List<String> keyLogs = new CopyOnWriteArrayList<>();
  volatile boolean closed;

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

  /** Waits (bounded) until some event matches; returns the matching events so far. */
  List<RawEvent> awaitEvents(Predicate<RawEvent> matching, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      if (events.stream().anyMatch(matching)) {
        break;
      }
      Thread.sleep(20);
    }
    return events.stream().filter(matching).toList();
  }
}
