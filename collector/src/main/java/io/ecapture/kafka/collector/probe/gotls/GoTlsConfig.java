package io.ecapture.kafka.collector.probe.gotls;

import java.nio.file.Path;
import java.util.List;

/**
 * The Go crypto/tls module's configuration.
 *
 * @param enabled probe Go binaries at all (default on: the module costs nothing where no Go
 *     program runs, its probes live in Go binaries only)
 * @param binaries Go executables to probe from the start (besides those running processes are
 *     found to execute at each discovery scan); default none
 */
public record GoTlsConfig(boolean enabled, List<Path> binaries) {
  public GoTlsConfig {
    binaries = List.copyOf(binaries);
  }

  /** On, no binary given: running Go programs are discovered. */
  public static GoTlsConfig defaults() {
    return new GoTlsConfig(true, List.of());
  }

  public static GoTlsConfig disabled() {
    return new GoTlsConfig(false, List.of());
  }
}
