package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Gate for tests that load real eBPF: they need root and a kernel with BTF. Where that is missing
 * they fail when the CI environment variable is set (a CI runner must be capable) and are skipped
 * with the reason otherwise. Published in the collector's test-jar for fleet-launcher's tests.
 */
public final class EbpfEnvironment {
  private EbpfEnvironment() {}

  public static void requireEbpf() {
    String missing = missingCapability();
    if (missing != null) {
      unavailable(missing);
    }
  }

  /** The same gate for a test that found out by trying, e.g. the collector failed to attach. */
  public static void unavailable(String reason) {
    String message = "real eBPF capture test cannot run: " + reason;
    if (System.getenv("CI") != null) {
      fail(message + " (CI is set: the CI runner must be root on a kernel with BTF and uprobes)");
    }
    Assumptions.abort(message);
  }

  public static void requireTool(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return;
      }
    }
    String message = "test needs '" + tool + "' on PATH";
    if (System.getenv("CI") != null) {
      fail(message + " (CI is set)");
    }
    Assumptions.abort(message);
  }

  private static String missingCapability() {
    if (!Files.isReadable(Path.of("/sys/kernel/btf/vmlinux"))) {
      return "/sys/kernel/btf/vmlinux missing (kernel without BTF)";
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:") && !line.split("\\s+")[2].equals("0")) {
          return "not running as root (effective uid " + line.split("\\s+")[2] + ")";
        }
      }
    } catch (IOException e) {
      return "cannot read /proc/self/status: " + e.getMessage();
    }
    return null;
  }
}
