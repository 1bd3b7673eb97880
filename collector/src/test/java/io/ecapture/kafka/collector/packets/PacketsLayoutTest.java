package io.ecapture.kafka.collector.packets;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ecapture.kafka.bpf.BpfObjects;
import io.ecapture.kafka.collector.BpfLayout;
import io.ecapture.kafka.collector.EbpfEnvironment;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The offsets the Java side reads and writes equal packets.h's structs as the object's BTF records them. */
class PacketsLayoutTest {
  @TempDir Path dir;

  @Test
  void packetEventMatchesTheDecoder() throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    BpfLayout.Struct event = BpfLayout.struct(dir, BpfObjects.PACKETS.extract(dir), "packet_event");
    assertEquals(PacketDecoder.HEADER_SIZE, event.size());
    assertEquals(Map.of("ktime_ns", PacketDecoder.KTIME_NS, "ifindex", PacketDecoder.IFINDEX,
        "orig_len", PacketDecoder.ORIG_LEN, "cap_len", PacketDecoder.CAP_LEN, "direction", PacketDecoder.DIRECTION,
        "pad", 21), event.offsets());
  }

  @Test
  void packetFlowMatchesTheKeysTheCollectorWrites() throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    BpfLayout.Struct flow = BpfLayout.struct(dir, BpfObjects.PACKETS.extract(dir), "packet_flow");
    assertEquals(PacketCapture.FLOW_KEY_SIZE, flow.size());
    assertEquals(Map.of("saddr", 0, "daddr", 16, "sport", 32, "dport", 34, "family", 36), flow.offsets());
  }
}
