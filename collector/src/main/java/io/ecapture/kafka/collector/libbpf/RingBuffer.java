package io.ecapture.kafka.collector.libbpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A libbpf consumer of a BPF ring buffer map. Records are handed to a {@link RecordHandler} on the
 * thread calling {@link #poll}. The handler must not keep the segment: it is only valid during the
 * call. A handler that throws does not crash the JVM (an exception escaping an upcall would): the
 * record is counted in {@link #handlerFailures()}, reported to the failure listener, and skipped;
 * draining goes on with the next record.
 */
public final class RingBuffer implements AutoCloseable {
  /** Receives one record; the segment is valid only during the call. */
  @FunctionalInterface
  public interface RecordHandler {
    void onRecord(MemorySegment record);
  }

  private static final MethodHandle CALLBACK;

  static {
    try {
      CALLBACK =
          MethodHandles.lookup()
              .findVirtual(
                  RingBuffer.class,
                  "onSample",
                  MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, long.class));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Lives until after ring_buffer__free: the upcall stub must outlive every native call into it. */
  private final Arena upcallArena = Arena.ofShared();
  private final RecordHandler handler;
  private final Consumer<Throwable> failures;
  private final AtomicLong handlerFailures = new AtomicLong();
  private MemorySegment handle;

  public RingBuffer(int mapFd, RecordHandler handler) {
    this(mapFd, handler, failure -> {});
  }

  /**
   * @param failures told of every exception a handler threw (after it was counted), on the polling
   *     thread; must not block. What it throws itself is ignored.
   */
  public RingBuffer(int mapFd, RecordHandler handler, Consumer<Throwable> failures) {
    this.handler = handler;
    this.failures = failures;
    MemorySegment stub =
        Linker.nativeLinker()
            .upcallStub(
                CALLBACK.bindTo(this),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG),
                upcallArena);
    try {
      handle = LibBpf.ringBufferNew(mapFd, stub);
    } catch (RuntimeException e) {
      upcallArena.close();
      throw e;
    }
  }

  /**
   * Waits up to {@code timeoutMs} for records and delivers them.
   *
   * @return records delivered; 0 on timeout or when interrupted by a signal
   */
  public int poll(int timeoutMs) {
    int rc = LibBpf.ringBufferPoll(handle, timeoutMs);
    if (rc == -4) { // EINTR: a signal woke the wait; nothing lost
      return 0;
    }
    if (rc < 0) {
      throw new LibBpfException("ring_buffer__poll", -rc);
    }
    return rc;
  }

  /** Delivers whatever is available without waiting. */
  public int consume() {
    int rc = LibBpf.ringBufferConsume(handle);
    if (rc < 0) {
      throw new LibBpfException("ring_buffer__consume", -rc);
    }
    return rc;
  }

  /** Records whose handler threw. */
  public long handlerFailures() {
    return handlerFailures.get();
  }

  // Upcall target: must never throw, an exception escaping an upcall terminates the JVM.
  @SuppressWarnings("unused")
  private int onSample(MemorySegment ctx, MemorySegment data, long size) {
    try {
      handler.onRecord(data.reinterpret(size));
    } catch (Throwable t) {
      handlerFailures.incrementAndGet();
      try {
        failures.accept(t);
      } catch (Throwable ignored) {
        // the failure is counted; a listener that fails too must not escape the upcall
      }
    }
    return 0;
  }

  @Override
  public synchronized void close() {
    if (handle != null) {
      LibBpf.ringBufferFree(handle);
      handle = null;
      upcallArena.close();
    }
  }
}
