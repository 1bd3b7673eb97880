package io.ecapture.kafka.launcher;

import java.util.List;

/** JVM flags every JVM of ours needs on JDK 25: FFM for libbpf, Kafka's use of sun.misc.Unsafe. */
final class JvmFlags {
  static final List<String> CHILD_FLAGS =
      List.of(
          "--enable-native-access=ALL-UNNAMED",
          "--sun-misc-unsafe-memory-access=allow",
          "-Xms256m",
          "-Xmx1g");

  private JvmFlags() {}
}
