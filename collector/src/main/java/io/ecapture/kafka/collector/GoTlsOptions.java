package io.ecapture.kafka.collector;

import io.ecapture.kafka.collector.probe.gotls.GoTlsConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The Go crypto/tls module's command-line options, a picocli mixin of {@code collector} (and
 * {@code up}); defaults from {@link GoTlsConfig#defaults()}.
 */
public final class GoTlsOptions {
  @Option(names = "--gotls-binary", paramLabel = "PATH", description = "A Go executable (stripped or not, Go 1.17+, "
      + "amd64) whose crypto/tls to probe from the start; repeatable. Running Go programs are found by themselves at "
      + "each discovery scan.")
  List<Path> binaries = new ArrayList<>();

  @Option(names = "--no-gotls", description = "Do not probe Go crypto/tls (default: on).")
  boolean off;

  public GoTlsConfig config() {
    return off ? GoTlsConfig.disabled() : new GoTlsConfig(true, binaries);
  }
}
