package io.ecapture.kafka.collector.probe;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * One record of the exec_events ring buffer ({@code struct exec_event} of exec_watch.h): a process
 * executed a file with no verdict yet.
 *
 * @param held the kernel stopped it (SIGSTOP): it must be resumed
 * @param ktimeNs CLOCK_MONOTONIC at the exec (what {@link System#nanoTime()} reads on Linux)
 * @param startBoottimeNs the process's start time (its /proc/PID/stat start time times 10^7)
 * @param filename the path given to execve (a script's path for a #! script)
 */
record ExecEvent(int pid, boolean held, ExecKey file, long ktimeNs, long startBoottimeNs, String filename) {
  static final int SIZE = 312;
  static final long PID = 0;
  static final long HELD = 4;
  static final long FILE = 8;
  static final long KTIME = 40;
  static final long START_BOOTTIME = 48;
  static final long FILENAME = 56;
  static final int FILENAME_MAX = 256;

  /**
   * @throws IllegalArgumentException when the record is not a struct exec_event
   */
  static ExecEvent decode(MemorySegment record) {
    if (record.byteSize() != SIZE) {
      throw new IllegalArgumentException("exec event of " + record.byteSize() + " bytes, expected " + SIZE);
    }
    byte[] name = record.asSlice(FILENAME, FILENAME_MAX).toArray(ValueLayout.JAVA_BYTE);
    int length = 0;
    while (length < name.length && name[length] != 0) {
      length++;
    }
    return new ExecEvent(
        record.get(ValueLayout.JAVA_INT_UNALIGNED, PID),
        record.get(ValueLayout.JAVA_INT_UNALIGNED, HELD) != 0,
        ExecKey.read(record, FILE),
        record.get(ValueLayout.JAVA_LONG_UNALIGNED, KTIME),
        record.get(ValueLayout.JAVA_LONG_UNALIGNED, START_BOOTTIME),
        new String(name, 0, length, StandardCharsets.UTF_8));
  }
}
