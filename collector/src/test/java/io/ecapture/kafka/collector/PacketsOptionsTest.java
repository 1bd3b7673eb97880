package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.packets.PacketsConfig;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The collector's --packets-* options (also up's, the same mixin) become its PacketsConfig. */
class PacketsOptionsTest {
  @Test
  void offByDefaultWithTheDocumentedDefaults() {
    CollectorCommand command = new CollectorCommand();
    new CommandLine(command).parseArgs();
    PacketsConfig packets = command.config().packets();
    assertFalse(packets.enabled());
    assertEquals(Set.of(443), packets.ports());
    assertEquals(PacketsConfig.MAX_SNAP_LENGTH, packets.snapLength());
    assertTrue(packets.learnPorts() && packets.matchFlows());
  }

  @Test
  void repeatedOptionsBecomeTheConfig() {
    CollectorCommand command = new CollectorCommand();
    new CommandLine(command).parseArgs("--packets-iface", "lo", "--packets-iface", "all", "--packets-port", "8443",
        "--packets-port", "443", "--packets-snaplen", "128", "--packets-no-learn");
    PacketsConfig packets = command.config().packets();
    assertEquals(List.of("lo", "all"), packets.interfaces());
    assertEquals(Set.of(8443, 443), packets.ports());
    assertEquals(128, packets.snapLength());
    assertFalse(packets.learnPorts() || packets.matchFlows());
  }

  @Test
  void outOfRangeValuesAreRefused() {
    CollectorCommand snap = new CollectorCommand();
    new CommandLine(snap).parseArgs("--packets-iface", "lo", "--packets-snaplen", "300000");
    assertThrows(IllegalArgumentException.class, snap::config);
    CollectorCommand port = new CollectorCommand();
    new CommandLine(port).parseArgs("--packets-iface", "lo", "--packets-port", "0");
    assertThrows(IllegalArgumentException.class, port::config);
  }
}
