package io.ecapture.kafka.collector.probe;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Exec-time attach ({@link ExecWatch}): which executables are probed at start and how long a new
 * process may be held at exec. Start from {@link #defaults()} or {@link #builder()}.
 *
 * @param enabled watch execs (tracepoint sched/sched_process_exec) and scan installed
 *     executables at start. Default true.
 * @param holdTimeout the longest a process executing a file not examined yet is kept stopped
 *     while the collector examines it and attaches; zero: never hold (the file is still examined
 *     at once, racing the process's first TLS call); at most 10 s. Default 1 s: a file without
 *     its own TLS copy is released within milliseconds, one with it (a 100 MB node) after its
 *     symbols and strings are read and 11 uprobes attached, which took 0.4 s on a 2-core machine
 *     at load 20 (collector/README.md).
 * @param scanDirs directories whose executables are examined at start (one level, no recursion;
 *     a component {@code *} matches every directory there, as in {@code /opt/*}{@code /bin}).
 *     Default {@link #defaultScanDirs()}: the collector's {@code PATH}, {@code /usr/bin}, {@code
 *     /usr/sbin}, {@code /usr/local/bin}, {@code /usr/local/sbin}, {@code /bin}, {@code /sbin},
 *     {@code /opt/*}{@code /bin}, {@code /usr/lib/node_modules/*}{@code /bin}, {@code
 *     /usr/local/lib/node_modules/*}{@code /bin}, {@code /snap/bin}.
 * @param scanBudget the longest the start-time scan runs (it runs in the background; what it did
 *     not reach is examined at its first exec); zero: no scan. Default 10 s.
 * @param scanMaxFiles the most files the start-time scan examines; at least 1. Default 20,000.
 */
public record ExecWatchConfig(boolean enabled, Duration holdTimeout, List<Path> scanDirs, Duration scanBudget,
    int scanMaxFiles) {
  public static final Duration DEFAULT_HOLD_TIMEOUT = Duration.ofMillis(1000);
  public static final Duration MAX_HOLD_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_SCAN_BUDGET = Duration.ofSeconds(10);
  public static final int DEFAULT_SCAN_MAX_FILES = 20_000;
  /** The fixed part of {@link #defaultScanDirs()}. */
  public static final List<String> COMMON_DIRS = List.of("/usr/bin", "/usr/sbin", "/usr/local/bin",
      "/usr/local/sbin", "/bin", "/sbin", "/opt/*/bin", "/usr/lib/node_modules/*/bin",
      "/usr/local/lib/node_modules/*/bin", "/snap/bin");

  public ExecWatchConfig {
    Objects.requireNonNull(holdTimeout, "holdTimeout");
    Objects.requireNonNull(scanBudget, "scanBudget");
    scanDirs = List.copyOf(scanDirs);
    if (holdTimeout.isNegative() || holdTimeout.compareTo(MAX_HOLD_TIMEOUT) > 0) {
      throw new IllegalArgumentException("holdTimeout must be 0 (never hold) to 10 s: " + holdTimeout);
    }
    if (scanBudget.isNegative()) {
      throw new IllegalArgumentException("scanBudget must be >= 0 (0: no scan)");
    }
    if (scanMaxFiles < 1) {
      throw new IllegalArgumentException("scanMaxFiles must be >= 1");
    }
  }

  public static ExecWatchConfig defaults() {
    return builder().build();
  }

  /** Off: no exec watch, no start-time scan. */
  public static ExecWatchConfig disabled() {
    return builder().enabled(false).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().enabled(enabled).holdTimeout(holdTimeout).scanDirs(scanDirs).scanBudget(scanBudget)
        .scanMaxFiles(scanMaxFiles);
  }

  /** The directories of {@code PATH} (absolute ones), then {@link #COMMON_DIRS}, each once. */
  public static List<Path> defaultScanDirs() {
    Set<String> dirs = new LinkedHashSet<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(":")) {
        if (dir.startsWith("/")) {
          dirs.add(dir);
        }
      }
    }
    dirs.addAll(COMMON_DIRS);
    List<Path> result = new ArrayList<>();
    dirs.forEach(dir -> result.add(Path.of(dir)));
    return result;
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private boolean enabled = true;
    private Duration holdTimeout = DEFAULT_HOLD_TIMEOUT;
    /** Null: {@link #defaultScanDirs()} at build time. */
    private List<Path> scanDirs;
    private Duration scanBudget = DEFAULT_SCAN_BUDGET;
    private int scanMaxFiles = DEFAULT_SCAN_MAX_FILES;

    private Builder() {}

    public Builder enabled(boolean v) {
      enabled = v;
      return this;
    }

    public Builder holdTimeout(Duration v) {
      holdTimeout = v;
      return this;
    }

    /** Null: {@link #defaultScanDirs()}. */
    public Builder scanDirs(List<Path> v) {
      scanDirs = v;
      return this;
    }

    public Builder scanBudget(Duration v) {
      scanBudget = v;
      return this;
    }

    public Builder scanMaxFiles(int v) {
      scanMaxFiles = v;
      return this;
    }

    public ExecWatchConfig build() {
      return new ExecWatchConfig(enabled, holdTimeout, scanDirs == null ? defaultScanDirs() : scanDirs, scanBudget,
          scanMaxFiles);
    }
  }
}
