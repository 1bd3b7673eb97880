package io.ecapture.kafka.processor;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when a stream thread dies: it is replaced after a backoff that doubles with each
 * death in the window ({@link FailurePolicy}), so a failure that repeats costs seconds between
 * attempts, not a busy loop; past {@link FailurePolicy#maxThreadFailures()} deaths within {@link
 * FailurePolicy#threadFailureWindow()} the app stops (state ERROR, reported by /status and the
 * stats line) instead of replacing threads forever. Counted in {@code thread_failures}. The wait
 * runs on the dying thread and ends early when the app closes.
 */
public final class ThreadFailureHandler implements StreamsUncaughtExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ThreadFailureHandler.class);

  private final FailurePolicy policy;
  private final ProcessorMetrics metrics;
  private final Deque<Long> deaths = new ArrayDeque<>();
  private final CountDownLatch closing = new CountDownLatch(1);

  public ThreadFailureHandler(FailurePolicy policy, ProcessorMetrics metrics) {
    this.policy = policy;
    this.metrics = metrics;
  }

  @Override
  public StreamThreadExceptionResponse handle(Throwable exception) {
    metrics.threadFailure();
    int inWindow = record(System.nanoTime());
    if (inWindow > policy.maxThreadFailures()) {
      LOG.error("stream thread failed {} times within {}: stopping the processor instead of replacing "
          + "it again (state ERROR); last failure:", inWindow, policy.threadFailureWindow(), exception);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    Duration wait = policy.backoff(inWindow);
    LOG.error("stream thread failed ({} of at most {} within {}); replacing it in {}",
        inWindow, policy.maxThreadFailures(), policy.threadFailureWindow(), wait, exception);
    try {
      closing.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  /** Ends any backoff in progress: the app is closing. */
  public void closing() {
    closing.countDown();
  }

  private synchronized int record(long nowNs) {
    deaths.addLast(nowNs);
    long windowNs = policy.threadFailureWindow().toNanos();
    while (!deaths.isEmpty() && nowNs - deaths.peekFirst() > windowNs) {
      deaths.removeFirst();
    }
    return deaths.size();
  }
}
