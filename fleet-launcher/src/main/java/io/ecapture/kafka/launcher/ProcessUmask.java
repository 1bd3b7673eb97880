package io.ecapture.kafka.launcher;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The process's file mode creation mask, through libc's {@code umask(2)} (Panama FFM: the JDK has
 * no API for it). {@code up} sets {@code 077} first thing, so every file and directory it and its
 * children create (broker log segments, RocksDB state, spool, logs) is its owner's only, whatever
 * the shell's umask; Kafka Streams' own {@code 0750} on its state directories is taken back by
 * {@link Fleet}.
 */
final class ProcessUmask {
  /** Owner-only: no bit for group or others. */
  static final int PRIVATE = 0077;

  private ProcessUmask() {}

  /**
   * Sets the umask of this process (every thread, and children started afterwards).
   *
   * @return the previous mask
   * @throws IllegalStateException libc's umask cannot be called (no native access)
   */
  static int set(int mask) {
    try {
      Linker linker = Linker.nativeLinker();
      MethodHandle umask = linker.downcallHandle(
          linker.defaultLookup().find("umask").orElseThrow(),
          FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
      return (int) umask.invokeExact(mask);
    } catch (Throwable e) {
      throw new IllegalStateException("cannot set the umask: " + e, e);
    }
  }
}
