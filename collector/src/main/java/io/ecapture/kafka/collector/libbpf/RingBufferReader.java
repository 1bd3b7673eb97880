package io.ecapture.kafka.collector.libbpf;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A {@link RingBuffer} with the thread that drains it: every BPF object of the collector that has
 * a ring buffer (the TLS probes, the packets module, exec watch, the capture modules) reads it
 * through one of these. The thread runs {@link Drain} rounds until {@link #close}; a round that
 * throws (a failed poll) is counted in {@link #pollFailures()}, reported, and the thread waits
 * {@code retryMs} before the next one. A record whose handler throws is counted in {@link
 * #handlerFailures()} (see {@link RingBuffer}). Nothing is dropped silently.
 *
 * <pre>{@code
 * RingBufferReader reader = RingBufferReader.builder(mapFd, handler)
 *     .thread("collector-exec").pollMs(200).onHandlerFailure(log).onPollFailure(log).start();
 * ...
 * reader.stop();  // ends the thread (optional: close does it too)
 * reader.close(); // ends the thread, drains what is left (unless drainOnClose(false)), frees
 * }</pre>
 */
public final class RingBufferReader implements AutoCloseable {
  /** One round of draining, on the reader's thread; what it throws is a poll failure. */
  @FunctionalInterface
  public interface Drain {
    void drain(RingBuffer ring);
  }

  /** How the reader polls; {@link #build} creates the ring buffer, {@link #start} also the thread. */
  public static final class Builder {
    private final int mapFd;
    private final RingBuffer.RecordHandler handler;
    private String threadName = "collector-ringbuf";
    private int pollMs = 100;
    private Drain drain;
    private long retryMs = 50;
    private long joinMs;
    private boolean drainOnClose = true;
    private Consumer<Throwable> handlerFailures = failure -> {};
    private Consumer<RuntimeException> pollFailures = failure -> {};

    private Builder(int mapFd, RingBuffer.RecordHandler handler) {
      this.mapFd = mapFd;
      this.handler = handler;
    }

    /** The draining thread's name. Default {@code collector-ringbuf}. */
    public Builder thread(String name) {
      this.threadName = name;
      return this;
    }

    /** Each round waits up to this long for records ({@link RingBuffer#poll}). Default 100 ms. */
    public Builder pollMs(int pollMs) {
      this.pollMs = pollMs;
      return this;
    }

    /** Each round runs {@code drain} instead of one {@link RingBuffer#poll}. */
    public Builder drain(Drain drain) {
      this.drain = drain;
      return this;
    }

    /** The wait after a failed round. Default 50 ms. */
    public Builder retryMs(long retryMs) {
      this.retryMs = retryMs;
      return this;
    }

    /** How long {@link #close} waits for the thread to end; 0 (the default): until it has. */
    public Builder joinMs(long joinMs) {
      this.joinMs = joinMs;
      return this;
    }

    /** Whether {@link #close} delivers what the ring still holds before freeing it. Default true. */
    public Builder drainOnClose(boolean drainOnClose) {
      this.drainOnClose = drainOnClose;
      return this;
    }

    /** Told of each exception a record handler threw, after it was counted (see {@link RingBuffer}). */
    public Builder onHandlerFailure(Consumer<Throwable> listener) {
      this.handlerFailures = listener;
      return this;
    }

    /** Told of each failed round (and a failed drain at close), after it was counted; on the reader's thread. */
    public Builder onPollFailure(Consumer<RuntimeException> listener) {
      this.pollFailures = listener;
      return this;
    }

    /** Creates the ring buffer; the thread starts with {@link RingBufferReader#start}. */
    public RingBufferReader build() {
      int ms = pollMs;
      return new RingBufferReader(this, drain != null ? drain : ring -> ring.poll(ms));
    }

    /** {@link #build} and {@link RingBufferReader#start}. */
    public RingBufferReader start() {
      return build().start();
    }
  }

  private final RingBuffer ring;
  private final Drain drain;
  private final long retryMs;
  private final long joinMs;
  private final boolean drainOnClose;
  private final Consumer<RuntimeException> pollFailureListener;
  private final AtomicLong pollFailures = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;
  private boolean closed;

  private RingBufferReader(Builder builder, Drain drain) {
    this.ring = new RingBuffer(builder.mapFd, builder.handler, builder.handlerFailures);
    this.drain = drain;
    this.retryMs = builder.retryMs;
    this.joinMs = builder.joinMs;
    this.drainOnClose = builder.drainOnClose;
    this.pollFailureListener = builder.pollFailures;
    this.thread = Thread.ofPlatform().name(builder.threadName).daemon().unstarted(this::run);
  }

  /** A reader of the ring buffer map {@code mapFd}, whose records go to {@code handler}. */
  public static Builder builder(int mapFd, RingBuffer.RecordHandler handler) {
    return new Builder(mapFd, handler);
  }

  /** Starts the draining thread (once). */
  public synchronized RingBufferReader start() {
    if (!closed && thread.getState() == Thread.State.NEW) {
      thread.start();
    }
    return this;
  }

  private void run() {
    while (running) {
      try {
        drain.drain(ring);
      } catch (RuntimeException e) {
        pollFailed(e);
        try {
          Thread.sleep(retryMs);
        } catch (InterruptedException interrupted) {
          return;
        }
      }
    }
  }

  private void pollFailed(RuntimeException failure) {
    pollFailures.incrementAndGet();
    try {
      pollFailureListener.accept(failure);
    } catch (RuntimeException ignored) {
      // counted; a listener that fails must not end the thread
    }
  }

  /** Records whose handler threw. */
  public long handlerFailures() {
    return ring.handlerFailures();
  }

  /** Rounds (polls) that failed, and a failed drain at close. */
  public long pollFailures() {
    return pollFailures.get();
  }

  /** Ends the thread: waits for its round to finish (up to {@code joinMs} when set). Idempotent. */
  public void stop() {
    synchronized (this) {
      running = false;
    }
    if (thread.getState() != Thread.State.NEW) {
      try {
        thread.join(joinMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * {@link #stop}s, delivers what the ring still holds (when the thread was started, unless
   * {@code drainOnClose(false)}: a failure counts with the poll failures) and frees the ring
   * buffer. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    stop();
    if (drainOnClose && thread.getState() != Thread.State.NEW) {
      try {
        ring.consume();
      } catch (RuntimeException e) {
        pollFailed(e);
      }
    }
    ring.close();
  }
}
