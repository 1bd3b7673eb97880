package io.ecapture.kafka.collector.packets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.CollectorCommand;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.ExternalCommand;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.decode.MonotonicClock;
import io.ecapture.kafka.collector.libbpf.TcFilter;
import io.ecapture.kafka.common.TcpFrame;
import io.ecapture.kafka.proto.capture.PacketDirection;
import io.ecapture.kafka.proto.capture.PacketRecord;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packets module on this kernel's loopback: real TC classifiers, a real curl TLS session to
 * openssl s_server. And the leftover a killed collector leaves (TC filters are not the process's:
 * they stay), removed by the next start.
 */
class PacketCaptureTest {
  private static final long DEADLINE_NS = 60_000_000_000L;

  @TempDir Path dir;

  @Test
  void capturesEveryFrameOfATlsSessionOnLoopbackOnce() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("curl");
    List<PacketRecord> frames = new CopyOnWriteArrayList<>();
    try (TlsTestServer server = TlsTestServer.start(dir, false)) {
      PacketsConfig config = PacketsConfig.builder().interfaces(List.of("lo")).ports(Set.of(server.port()))
          .learnPorts(false).matchFlows(false).build();
      List<String> info = new ArrayList<>();
      try (PacketCapture capture = PacketCapture.start(config, "pk-host", MonotonicClock.measure(), frames::add,
          info::add, info::add)) {
        assertEquals(1, capture.attached().size(), "loopback: egress only, every frame passes both hooks");
        assertEquals(TcFilter.Hook.EGRESS, capture.attached().getFirst().hook());
        int lo = capture.attached().getFirst().index();
        assertEquals(OptionalInt.of(capture.attached().getFirst().programId()),
            TcFilter.query(lo, TcFilter.Hook.EGRESS, PacketCapture.TC_HANDLE, PacketCapture.TC_PRIORITY));

        String marker = UUID.randomUUID().toString();
        TlsTestServer.CurlResult curl = server.curl(marker);
        assertTrue(curl.output().contains("<HTML>"), curl.output());
        // the last frames of the session: FIN of both ends
        awaitFrames(frames, f -> tcpFlags(f) != null && (tcpFlags(f) & 0x01) != 0, 2);

        List<PacketRecord> session = frames.stream().filter(f -> f.getFlowKey().contains(":" + server.port())).toList();
        String flow = session.getFirst().getFlowKey();
        assertTrue(flow.startsWith("pk-host/tcp/127.0.0.1:"), flow);
        assertTrue(session.stream().allMatch(f -> f.getFlowKey().equals(flow)), "both directions share the key");
        // SYN first, then a ClientHello (TLS record 0x16, handshake type 1) from curl
        assertEquals(0x02, tcpFlags(session.getFirst()) & 0x12, "first frame is the SYN");
        assertTrue(session.stream().anyMatch(PacketCaptureTest::isClientHello), "ClientHello captured");
        // each frame once (ingress on lo is not attached): one SYN, one SYN-ACK
        assertEquals(1, session.stream().filter(f -> (tcpFlags(f) & 0x12) == 0x02).count(), "one SYN");
        assertEquals(1, session.stream().filter(f -> (tcpFlags(f) & 0x12) == 0x12).count(), "one SYN-ACK");
        for (PacketRecord f : session) {
          assertEquals(PacketDirection.EGRESS, f.getDirection());
          assertEquals("lo", f.getInterfaceName());
          assertEquals(TcpFrame.LINKTYPE_ETHERNET, f.getLinkType());
          assertEquals(f.getOriginalLength(), f.getData().size(), "default snap length: whole frames");
          long nowNs = System.currentTimeMillis() * 1_000_000L;
          assertTrue(Math.abs(nowNs - f.getWallTimeNs()) < 120_000_000_000L, "wall clock: " + f.getWallTimeNs());
        }
        PacketsStatus status = capture.status();
        assertTrue(status.captured() >= session.size(), status.toString());
        assertEquals(0, status.droppedInKernel());
        assertEquals(0, status.malformed());
      }
      int lo = NetInterface.all().get("lo").index();
      assertEquals(OptionalInt.empty(), TcFilter.query(lo, TcFilter.Hook.EGRESS, PacketCapture.TC_HANDLE, PacketCapture.TC_PRIORITY),
          "close detached the filter");
    }
  }

  @Test
  void snapLengthCutsFramesAndKeepsTheirLength() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("curl");
    List<PacketRecord> frames = new CopyOnWriteArrayList<>();
    try (TlsTestServer server = TlsTestServer.start(dir, false)) {
      PacketsConfig config = PacketsConfig.builder().interfaces(List.of("lo")).ports(Set.of(server.port()))
          .snapLength(96).learnPorts(false).matchFlows(false).build();
      try (PacketCapture capture = PacketCapture.start(config, "pk-host", MonotonicClock.measure(), frames::add,
          s -> {}, s -> {})) {
        server.curl(UUID.randomUUID().toString());
        awaitFrames(frames, f -> f.getOriginalLength() > 96, 1);
        assertTrue(frames.stream().allMatch(f -> f.getData().size() <= 96));
        assertTrue(capture.status().truncated() > 0, capture.status().toString());
      }
    }
  }

  @Test
  void aKilledCollectorsFilterIsRemovedAtTheNextStart() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("tc");
    Path log = dir.resolve("collector.log");
    List<String> command = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "-cp", System.getProperty("java.class.path"), CollectorCommand.class.getName(),
        // no broker: nothing needs to be delivered here
        "--bootstrap", "127.0.0.1:" + freePort(), "--host-id", "leftover-host", "--status-port", "-1",
        "--spool-dir", dir.resolve("spool").toString(), "--data-dir", dir.resolve("data").toString(),
        "--discover-interval-s", "0", "--packets-iface", "lo"));
    Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    int lo = NetInterface.all().get("lo").index();
    OptionalInt leftover;
    try {
      long deadline = System.nanoTime() + DEADLINE_NS;
      while (!Files.readString(log).contains("packets: capturing TLS flows on [lo egress]")) {
        assertTrue(child.isAlive(), "collector exited: " + Files.readString(log));
        assertTrue(System.nanoTime() < deadline, "collector never attached: " + Files.readString(log));
        Thread.sleep(100);
      }
      child.destroyForcibly(); // SIGKILL: no shutdown hook, nothing detached
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
      assertEquals(137, child.exitValue());
    } finally {
      child.destroyForcibly();
    }
    // the process is gone, its filter (and program) are not
    leftover = TcFilter.query(lo, TcFilter.Hook.EGRESS, PacketCapture.TC_HANDLE, PacketCapture.TC_PRIORITY);
    assertTrue(leftover.isPresent(), "SIGKILL left the filter on lo");
    assertTrue(tcFilters().contains("packets_egress"), tcFilters());

    List<String> info = new CopyOnWriteArrayList<>();
    PacketsConfig config = PacketsConfig.builder().interfaces(List.of("lo")).build();
    try (PacketCapture next = PacketCapture.start(config, "leftover-host", MonotonicClock.measure(), f -> {},
        info::add, info::add)) {
      assertEquals(1, next.status().leftoversRemoved(), info.toString());
      assertTrue(info.stream().anyMatch(l -> l.contains("removed a leftover filter (program id "
          + leftover.getAsInt() + ") from lo egress")), info.toString());
      int now = next.attached().getFirst().programId();
      assertFalse(now == leftover.getAsInt(), "our own program is attached now");
      assertEquals(OptionalInt.of(now), TcFilter.query(lo, TcFilter.Hook.EGRESS, PacketCapture.TC_HANDLE, PacketCapture.TC_PRIORITY));
      assertEquals(1, count(tcFilters(), "handle 0xec4 "), tcFilters());
    }
    assertFalse(tcFilters().contains("packets_egress"), "a clean close leaves nothing: " + tcFilters());
    assertEquals(0, PacketCapture.removeLeftovers(s -> {}), "nothing left to remove");
  }

  private static String tcFilters() throws Exception {
    return ExternalCommand.run(Path.of("/"), List.of("tc", "filter", "show", "dev", "lo", "egress"));
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
      n++;
    }
    return n;
  }

  private static void awaitFrames(List<PacketRecord> frames, java.util.function.Predicate<PacketRecord> match, int count)
      throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE_NS;
    while (frames.stream().filter(match).count() < count) {
      assertTrue(System.nanoTime() < deadline, "frames never arrived; have " + frames.size());
      Thread.sleep(50);
    }
  }

  /** TCP flags of an IPv4 frame on loopback (Ethernet header first), or null. */
  private static Integer tcpFlags(PacketRecord f) {
    byte[] data = f.getData().toByteArray();
    if (TcpFrame.parse(data, TcpFrame.LINKTYPE_ETHERNET).isEmpty()) {
      return null;
    }
    int l4 = 14 + (data[14] & 0x0f) * 4;
    return data[l4 + 13] & 0xff;
  }

  private static boolean isClientHello(PacketRecord f) {
    byte[] data = f.getData().toByteArray();
    return TcpFrame.parse(data, TcpFrame.LINKTYPE_ETHERNET)
        .filter(t -> t.payloadLength() > 6)
        .map(t -> data[t.payloadOffset()] == 0x16 && data[t.payloadOffset() + 5] == 0x01)
        .orElse(false);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
