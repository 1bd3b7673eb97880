package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RunUntilSignalTest {
  @Test
  void anInterruptClosesTheServiceOnceAndIsRestoredOnTheCaller() throws Exception {
    AtomicInteger closes = new AtomicInteger();
    AtomicInteger ticks = new AtomicInteger();
    AtomicInteger stopping = new AtomicInteger();
    AtomicBoolean interruptedAfter = new AtomicBoolean();
    CountDownLatch ticked = new CountDownLatch(2);
    Thread runner = new Thread(() -> {
      RunUntilSignal.await("test", closes::incrementAndGet, Duration.ofMillis(10),
          () -> { ticks.incrementAndGet(); ticked.countDown(); }, stopping::incrementAndGet);
      interruptedAfter.set(Thread.currentThread().isInterrupted());
    });
    runner.start();
    assertTrue(ticked.await(10, TimeUnit.SECONDS));
    runner.interrupt();
    runner.join(10_000);
    assertEquals(1, closes.get());
    assertEquals(1, stopping.get());
    assertTrue(interruptedAfter.get());
    int ticksAtStop = ticks.get();
    Thread.sleep(50);
    assertEquals(ticksAtStop, ticks.get());
  }

  @Test
  void aFailingCloseIsReportedNotThrown() throws Exception {
    Thread runner = new Thread(() -> RunUntilSignal.await("test", () -> {
      throw new IllegalStateException("broken");
    }));
    runner.start();
    Thread.sleep(50);
    runner.interrupt();
    runner.join(10_000);
    assertTrue(!runner.isAlive());
  }
}
