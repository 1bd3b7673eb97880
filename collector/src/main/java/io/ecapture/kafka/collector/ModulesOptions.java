package io.ecapture.kafka.collector;

import io.ecapture.kafka.collector.probe.CaptureModules;
import io.ecapture.kafka.collector.probe.ModulesConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import picocli.CommandLine.Option;

/**
 * The capture modules' command-line options, a picocli mixin of {@code collector} and {@code up};
 * defaults from {@link ModulesConfig}.
 */
public final class ModulesOptions {
  @Option(names = "--modules", split = ",", paramLabel = "NAME", description = "Capture modules to run, comma-separated: "
      + "tls (OpenSSL/BoringSSL), gotls, gnutls, nss, bash, zsh, mysql, postgres. Default: every module whose target "
      + "exists on this host.")
  List<String> modules = new ArrayList<>();

  @Option(names = "--mysql-funcname", paramLabel = "SYMBOL", description = "Function of mysqld/mariadbd to probe for "
      + "queries instead of dispatch_command (same arguments).")
  String mysqlFunction;

  @Option(names = "--mysql-offset", paramLabel = "OFFSET", description = "File offset (0x... or decimal) of "
      + "dispatch_command in a stripped mysqld/mariadbd.")
  String mysqlOffset;

  @Option(names = "--postgres-funcname", paramLabel = "SYMBOL", description = "Function of postgres taking the query "
      + "text as first argument, instead of exec_simple_query (or pg_parse_query on stripped builds).")
  String postgresFunction;

  @Option(names = "--postgres-offset", paramLabel = "OFFSET", description = "File offset (0x... or decimal) of such a "
      + "function in a stripped postgres.")
  String postgresOffset;

  /** The configuration the options describe. */
  public ModulesConfig config() {
    for (String name : modules) {
      if (!CaptureModules.known(name.trim())) {
        throw new IllegalArgumentException("--modules: unknown module '" + name + "' (known: "
            + String.join(",", CaptureModules.NAMES) + ")");
      }
    }
    return ModulesConfig.defaults()
        .withSelected(modules.stream().map(String::trim).toList())
        .withMysql(Optional.ofNullable(mysqlFunction), offset("--mysql-offset", mysqlOffset))
        .withPostgres(Optional.ofNullable(postgresFunction), offset("--postgres-offset", postgresOffset));
  }

  private static OptionalLong offset(String option, String text) {
    if (text == null) {
      return OptionalLong.empty();
    }
    try {
      String t = text.trim().toLowerCase(java.util.Locale.ROOT);
      long value = t.startsWith("0x") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
      if (value < 0) {
        throw new NumberFormatException();
      }
      return OptionalLong.of(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + ": not a file offset: " + text);
    }
  }
}
