package io.ecapture.kafka.collector.libbpf;

/**
 * A libbpf call failed. Carries the errno libbpf reported and, for program load failures, the
 * kernel verifier log (empty when the kernel gave none).
 */
public final class LibBpfException extends RuntimeException {
  private final int errno;
  private final String verifierLog;

  public LibBpfException(String operation, int errno) {
    this(operation, errno, "");
  }

  public LibBpfException(String operation, int errno, String verifierLog) {
    super(operation + " failed: errno " + errno + " (" + Errno.describe(errno) + ")" + hint(errno)
        + (verifierLog.isBlank() ? "" : "\nverifier log:\n" + verifierLog));
    this.errno = errno;
    this.verifierLog = verifierLog;
  }

  /** Positive errno value (EPERM = 1, ...). */
  public int errno() {
    return errno;
  }

  /** The kernel verifier log of a failed load, or "". */
  public String verifierLog() {
    return verifierLog;
  }

  private static String hint(int errno) {
    return errno == Errno.EPERM
        ? ": loading eBPF needs root (or CAP_BPF + CAP_PERFMON) and a kernel with BTF"
        : "";
  }
}
