package io.ecapture.kafka.collector.libbpf;

/** The errno values the collector reacts to, with readable names for messages. */
final class Errno {
  static final int EPERM = 1;
  static final int ENOENT = 2;
  static final int EINVAL = 22;
  static final int EACCES = 13;
  static final int E2BIG = 7;
  static final int ENOMEM = 12;

  static String describe(int errno) {
    return switch (errno) {
      case EPERM -> "EPERM: operation not permitted";
      case ENOENT -> "ENOENT: no such file, symbol or map";
      case E2BIG -> "E2BIG: argument list too long";
      case ENOMEM -> "ENOMEM: out of memory (locked memory limit?)";
      case EACCES -> "EACCES: permission denied (verifier rejected the program?)";
      case EINVAL -> "EINVAL: invalid argument";
      default -> "see errno(3)";
    };
  }

  private Errno() {}
}
