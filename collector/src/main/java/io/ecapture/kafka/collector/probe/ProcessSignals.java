package io.ecapture.kafka.collector.probe;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The libc {@code kill(2)} the JDK does not offer for SIGCONT, and what {@code /proc/PID/stat}
 * says about a process: its state and its start time, which tell a held process from a later one
 * that reuses its pid.
 */
final class ProcessSignals {
  static final int SIGCONT = 18;
  static final int SIGSTOP = 19;
  /** USER_HZ: /proc/PID/stat counts start times in 1/100 s on every Linux architecture we run on. */
  static final long NANOS_PER_TICK = 10_000_000L;

  private static final MethodHandle KILL = Linker.nativeLinker().downcallHandle(
      Linker.nativeLinker().defaultLookup().find("kill").orElseThrow(),
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

  private ProcessSignals() {}

  /** {@code kill(pid, signal)}: true when sent. */
  static boolean kill(int pid, int signal) {
    if (pid <= 0) {
      return false; // never a process group or every process
    }
    try {
      return (int) KILL.invokeExact(pid, signal) == 0;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** The process's state letter (R, S, T stopped, ...), or 0 when it is gone. */
  static char state(int pid) {
    String[] fields = statFields(pid);
    return fields == null ? 0 : fields[0].charAt(0);
  }

  /** The start time of /proc/PID/stat (field 22, in ticks since boot), empty when gone. */
  static OptionalLong startTicks(int pid) {
    String[] fields = statFields(pid);
    if (fields == null || fields.length < 20) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(fields[19]));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** Fields 3.. of /proc/PID/stat (after the command name, which may hold spaces and ')'). */
  private static String[] statFields(int pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
      int end = stat.lastIndexOf(')');
      if (end < 0 || end + 2 >= stat.length()) {
        return null;
      }
      return stat.substring(end + 2).trim().split(" ");
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
