package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.packets.PacketsConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code up --packets-*} reach the collector's configuration; {@code pcap} is a command of the launcher. */
class UpPacketsOptionsTest {
  @Test
  void upTakesTheCollectorsPacketsOptions() {
    UpCommand up = new UpCommand();
    new CommandLine(up).parseArgs("--packets-iface", "lo", "--packets-port", "8443", "--packets-snaplen", "2048");
    PacketsConfig packets = up.packets.config();
    assertEquals(List.of("lo"), packets.interfaces());
    assertEquals(Set.of(8443), packets.ports());
    assertEquals(2048, packets.snapLength());
    FleetConfig config = FleetConfig.builder(Path.of("/tmp/x")).collectorPackets(packets).build();
    assertEquals(packets, config.collectorPackets());
    assertFalse(FleetConfig.builder(Path.of("/tmp/x")).build().collectorPackets().enabled(), "off by default");
  }

  @Test
  void helpShowsThePacketsOptionsAndThePcapCommand() {
    StringWriter up = new StringWriter();
    new CommandLine(new Main()).setOut(new PrintWriter(up)).execute("up", "--help");
    assertTrue(up.toString().contains("--packets-iface=IFACE"), up.toString());
    StringWriter pcap = new StringWriter();
    new CommandLine(new Main()).setOut(new PrintWriter(pcap)).execute("pcap", "--help");
    for (String option : List.of("--out=FILE.pcapng", "--host=H", "--port=P", "--since=T", "--until=T", "--follow")) {
      assertTrue(pcap.toString().contains(option), option + " in\n" + pcap);
    }
  }

  @Test
  void pcapRefusesBadTimesAsAUsageError() {
    StringWriter err = new StringWriter();
    int code = new CommandLine(new Main()).setErr(new PrintWriter(err))
        .execute("pcap", "--out", "/tmp/never.pcapng", "--since", "yesterday");
    assertEquals(CommandLine.ExitCode.USAGE, code);
  }
}
