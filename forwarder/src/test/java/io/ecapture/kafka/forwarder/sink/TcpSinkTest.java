package io.ecapture.kafka.forwarder.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class TcpSinkTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static Item line(int i) {
    return new Item(String.format("event %05d %s%n", i, "y".repeat(30)).getBytes(StandardCharsets.UTF_8), false, true,
        null, i);
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private static Set<Integer> numbers(Iterable<String> lines) {
    Set<Integer> n = new TreeSet<>();
    for (String l : lines) {
      n.add(Integer.parseInt(l.substring("event ".length(), "event ".length() + 5)));
    }
    return n;
  }

  @Test
  void aListenerThatDisappearsMidStreamAndReturnsLosesNothingWithinTheBuffer() throws Exception {
    int port = freePort();
    LineServer first = new LineServer(port, 20);
    try (TcpSink sink = new TcpSink("127.0.0.1", port, 1 << 20, Duration.ofSeconds(1), Duration.ofMillis(50),
        Duration.ofMillis(200), Duration.ofSeconds(2))) {
      for (int i = 1; i <= 50; i++) {
        sink.accept(line(i));
      }
      await(first::closed, "the first listener to go away");
      // the peer is away: these wait in the buffer
      for (int i = 51; i <= 100; i++) {
        sink.accept(line(i));
      }
      await(() -> !sink.counters().connected() && sink.counters().lastError() != null, "the sink to notice");
      assertTrue(sink.doneThrough() < 100, "records wait while the peer is away");
      try (LineServer second = new LineServer(port, 0)) {
        assertTrue(sink.flush(WAIT), "everything delivered once the listener is back");
        await(() -> numbers(second.lines).contains(100), "the last record at the new listener");
        Set<Integer> all = new TreeSet<>(numbers(first.lines));
        all.addAll(numbers(second.lines));
        for (int i = 1; i <= 100; i++) {
          assertTrue(all.contains(i), "record " + i + " lost; first got " + numbers(first.lines) + ", second "
              + numbers(second.lines));
        }
        assertEquals(0, sink.counters().overflow.sum());
        assertEquals(0, sink.counters().dropped.sum());
        assertTrue(sink.counters().reconnects.sum() >= 1);
        assertEquals(100, sink.doneThrough());
      }
    }
  }

  @Test
  void aPeerThatIsThereButSlowerGetsBackPressureNotOverflow() throws Exception {
    int lineSize = line(1).size();
    try (LineServer server = new LineServer(0, 0);
        TcpSink sink = new TcpSink("127.0.0.1", server.port(), lineSize * 10L, Duration.ofSeconds(1),
            Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(2))) {
      sink.accept(line(1));
      assertTrue(sink.flush(WAIT)); // connected and delivering
      // far more than the 10-record buffer, as fast as the caller can: accept waits for room
      for (int i = 2; i <= 2000; i++) {
        sink.accept(line(i));
      }
      assertTrue(sink.flush(WAIT));
      await(() -> server.lines.size() >= 2000, "all 2000 records");
      assertEquals(0, sink.counters().overflow.sum());
      assertEquals(2000, numbers(server.lines).size());
    }
  }

  @Test
  void whatDoesNotFitWhileThePeerIsAwayIsCountedAsOverflow() throws Exception {
    int port = freePort(); // nobody listens: an unreachable sink
    int lineSize = line(1).size();
    try (TcpSink sink = new TcpSink("127.0.0.1", port, lineSize * 10L, Duration.ofSeconds(1), Duration.ofMillis(50),
        Duration.ofMillis(200), Duration.ofSeconds(2))) {
      for (int i = 1; i <= 100; i++) {
        sink.accept(line(i));
      }
      await(() -> sink.counters().lastError() != null, "a connect failure");
      assertEquals(90, sink.counters().overflow.sum(), "10 records fit in the buffer, 90 overflow");
      assertEquals(0, sink.counters().sent.sum());
      assertEquals(0, sink.doneThrough(), "the buffered records are not done");
      try (LineServer server = new LineServer(port, 0)) {
        assertTrue(sink.flush(WAIT));
        await(() -> server.lines.size() >= 10, "the buffered records");
        assertEquals(Set.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), numbers(server.lines), "the oldest ones were kept");
        assertEquals(10, sink.counters().sent.sum());
        assertEquals(100, sink.doneThrough(), "sent or counted: all done");
      }
    }
  }
}
