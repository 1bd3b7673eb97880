package io.ecapture.kafka.collector;

import io.ecapture.kafka.collector.packets.PacketsConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The packets module's command-line options, a picocli mixin of {@code collector} and {@code up};
 * defaults from {@link PacketsConfig}.
 */
public final class PacketsOptions {
  @Option(names = "--packets-iface", paramLabel = "IFACE", description = "Capture the frames of TLS flows on this "
      + "interface with TC (clsact) classifiers, for PCAPNG export (topic ecapture.packets); repeatable; 'lo' allowed, "
      + "'all' = every interface but loopback. Default: off.")
  List<String> interfaces = new ArrayList<>();

  @Option(names = "--packets-port", paramLabel = "PORT", description = "TCP port whose frames are captured; repeatable "
      + "(default: 443, plus the server ports of the connections the TLS probes decode).")
  List<Integer> ports = new ArrayList<>();

  @Option(names = "--packets-snaplen", paramLabel = "BYTES", description = "Bytes kept of each frame, 1 to "
      + PacketsConfig.MAX_SNAP_LENGTH + " (default: ${DEFAULT-VALUE}: whole frames, as Wireshark needs to decrypt).")
  int snapLength = PacketsConfig.DEFAULT_SNAP_LENGTH;

  @Option(names = "--packets-no-learn", description = "Capture only the --packets-port ports: neither the server ports "
      + "nor the 4-tuples of the connections the TLS probes decode.")
  boolean noLearn;

  /** The configuration the options describe (disabled without --packets-iface). */
  public PacketsConfig config() {
    Set<Integer> chosen = ports.isEmpty() ? PacketsConfig.DEFAULT_PORTS : new LinkedHashSet<>(ports);
    return PacketsConfig.builder().interfaces(interfaces).ports(chosen).snapLength(snapLength)
        .learnPorts(!noLearn).matchFlows(!noLearn).build();
  }
}
