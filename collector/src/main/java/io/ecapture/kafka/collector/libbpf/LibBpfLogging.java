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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes libbpf's own messages (normally printed to stderr) to the slf4j logger {@code
 * io.ecapture.kafka.collector.libbpf.libbpf}: warnings at WARN, info at INFO, debug at DEBUG. The
 * va_list is formatted with the C library's vsnprintf (on x86-64 a va_list argument is a pointer).
 */
public final class LibBpfLogging {
  private static final Logger LOG = LoggerFactory.getLogger(LibBpfLogging.class.getPackageName() + ".libbpf");
  private static final int LINE_BYTES = 4096;
  private static final MethodHandle VSNPRINTF =
      Linker.nativeLinker()
          .downcallHandle(
              Linker.nativeLinker().defaultLookup().find("vsnprintf").orElseThrow(),
              FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
  private static boolean installed;

  private LibBpfLogging() {}

  /** Installs the print callback once per JVM (libbpf_set_print is process-global). */
  public static synchronized void install() {
    if (installed) {
      return;
    }
    try {
      MethodHandle target =
          MethodHandles.lookup()
              .findStatic(
                  LibBpfLogging.class,
                  "print",
                  MethodType.methodType(int.class, int.class, MemorySegment.class, MemorySegment.class));
      // global arena: libbpf may call back at any time for the life of the process
      MemorySegment stub =
          Linker.nativeLinker()
              .upcallStub(target, FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), Arena.global());
      LibBpf.setPrint(stub);
      installed = true;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  // Upcall target: never throws.
  @SuppressWarnings("unused")
  private static int print(int level, MemorySegment format, MemorySegment args) {
    try {
      if (level == 2 && !LOG.isDebugEnabled()) {
        return 0;
      }
      String line;
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment buffer = arena.allocate(LINE_BYTES);
        int unused = (int) VSNPRINTF.invokeExact(buffer, (long) LINE_BYTES, format, args);
        line = buffer.getString(0).stripTrailing();
      }
      switch (level) {
        case 0 -> LOG.warn(line);
        case 1 -> LOG.info(line);
        default -> LOG.debug(line);
      }
    } catch (Throwable t) {
      // a logging failure must not take the JVM down from inside an upcall
    }
    return 0;
  }
}
