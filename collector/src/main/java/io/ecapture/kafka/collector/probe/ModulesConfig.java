package io.ecapture.kafka.collector.probe;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The capture modules' configuration ({@code --modules} and the explicit function options).
 *
 * @param selected module names chosen; empty: every module whose target exists on the host
 * @param mysqlFunction symbol to probe in mysqld/mariadbd instead of {@code dispatch_command}
 * @param mysqlOffset file offset to probe instead of a symbol (stripped builds)
 * @param postgresFunction symbol to probe in postgres instead of exec_simple_query/pg_parse_query
 * @param postgresOffset file offset to probe in postgres instead of a symbol
 * @param ringBufferBytes the modules' ring buffer (a power of two, at least a page)
 */
public record ModulesConfig(Set<String> selected, Optional<String> mysqlFunction, OptionalLong mysqlOffset,
    Optional<String> postgresFunction, OptionalLong postgresOffset, int ringBufferBytes) {
  /** Default size of the modules' ring buffer: 4 MiB (shell lines and queries are small). */
  public static final int DEFAULT_RING_BUFFER_BYTES = 4 << 20;

  public ModulesConfig {
    selected = Set.copyOf(new LinkedHashSet<>(selected));
    Objects.requireNonNull(mysqlFunction);
    Objects.requireNonNull(mysqlOffset);
    Objects.requireNonNull(postgresFunction);
    Objects.requireNonNull(postgresOffset);
    for (String name : selected) {
      if (!CaptureModules.NAMES.contains(name)) {
        throw new IllegalArgumentException("unknown module '" + name + "' (known: " + String.join(",", CaptureModules.NAMES) + ")");
      }
    }
    if (ringBufferBytes < 4096 || Integer.bitCount(ringBufferBytes) != 1) {
      throw new IllegalArgumentException("modules ring buffer must be a power of two >= 4096, got " + ringBufferBytes);
    }
  }

  /** Every module whose target is present, no explicit functions. */
  public static ModulesConfig defaults() {
    return new ModulesConfig(Set.of(), Optional.empty(), OptionalLong.empty(), Optional.empty(),
        OptionalLong.empty(), DEFAULT_RING_BUFFER_BYTES);
  }

  /** Only {@code names}. */
  public static ModulesConfig only(List<String> names) {
    return defaults().withSelected(names);
  }

  public ModulesConfig withSelected(List<String> names) {
    return new ModulesConfig(new LinkedHashSet<>(names), mysqlFunction, mysqlOffset, postgresFunction,
        postgresOffset, ringBufferBytes);
  }

  public ModulesConfig withMysql(Optional<String> function, OptionalLong offset) {
    return new ModulesConfig(selected, function, offset, postgresFunction, postgresOffset, ringBufferBytes);
  }

  public ModulesConfig withPostgres(Optional<String> function, OptionalLong offset) {
    return new ModulesConfig(selected, mysqlFunction, mysqlOffset, function, offset, ringBufferBytes);
  }

  /** Whether {@code name} runs: chosen, or (no choice) its target present. */
  public boolean wants(String name, boolean targetPresent) {
    return selected.isEmpty() ? targetPresent : selected.contains(name);
  }
}
