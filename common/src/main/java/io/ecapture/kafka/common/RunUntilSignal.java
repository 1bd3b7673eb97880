package io.ecapture.kafka.common;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps a started service running until the JVM is asked to stop (Ctrl-C, SIGTERM: a shutdown
 * hook) or the calling thread is interrupted (a launcher running several commands stops one).
 * Either way the service is closed exactly once, before {@link #await} returns; an interrupt is
 * restored on the calling thread afterwards.
 *
 * <p>Background jobs of a non-interactive shell start with SIGINT ignored and the JVM keeps it
 * ignored: scripts stop our commands with SIGTERM.
 */
public final class RunUntilSignal {
  private RunUntilSignal() {}

  /** Blocks until stopped; see the class comment. */
  public static void await(String name, AutoCloseable service) {
    await(name, service, Duration.ZERO, () -> {}, () -> {});
  }

  /**
   * Blocks until stopped, calling {@code onTick} every {@code tick} meanwhile (never once
   * stopping has begun) and {@code onStopping} once, right before the service is closed.
   *
   * @param name names the shutdown thread ({@code name + "-shutdown"})
   * @param tick period of {@code onTick}; zero or negative: no ticks
   */
  public static void await(String name, AutoCloseable service, Duration tick, Runnable onTick,
      Runnable onStopping) {
    AtomicBoolean stopping = new AtomicBoolean();
    CountDownLatch closed = new CountDownLatch(1);
    Runnable stop = () -> {
      if (stopping.compareAndSet(false, true)) {
        try {
          onStopping.run();
          service.close();
        } catch (Exception e) {
          System.err.println(name + ": error while stopping: " + e);
        } finally {
          closed.countDown();
        }
      }
    };
    // closing inside the hook: the JVM waits for hooks, not for the thread blocked here
    Thread hook = new Thread(stop, name + "-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      if (tick.isZero() || tick.isNegative()) {
        closed.await();
        return;
      }
      while (!closed.await(tick.toMillis(), TimeUnit.MILLISECONDS)) {
        if (!stopping.get()) {
          onTick.run();
        }
      }
    } catch (InterruptedException e) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
        stop.run();
      } catch (IllegalStateException shuttingDown) {
        // the hook runs already and closes the service: wait for it
        awaitUninterruptibly(closed);
      }
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    boolean interrupted = false;
    while (true) {
      try {
        latch.await();
        break;
      } catch (InterruptedException again) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
