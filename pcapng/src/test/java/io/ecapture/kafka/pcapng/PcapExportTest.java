package io.ecapture.kafka.pcapng;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.common.TcpFrame;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.PacketDirection;
import io.ecapture.kafka.proto.capture.PacketRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The export against a real broker: records of two TLS sessions on two hosts, key-log lines of
 * those and of a session never captured, and a record that is not a PacketRecord. The file must
 * hold exactly the packets asked for, the keys of exactly their sessions before their packets,
 * and the malformed record counted and skipped. tshark reads the result.
 */
class PcapExportTest {
  static final String R1 = "11".repeat(32);
  static final String R2 = "22".repeat(32);
  static final String R3 = "33".repeat(32);
  static final long T0 = 1_780_000_000_000_000_000L;

  @TempDir static Path kafkaDir;
  @TempDir Path dir;
  static EmbeddedKafka kafka;

  @BeforeAll
  static void broker() {
    kafka = EmbeddedKafka.start(kafkaDir);
    TopicSetup.ensureTopics(kafka.bootstrapServers(), 2);
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      // session 1 on host-a, port 8443: ClientHello then a data frame; session 2 on host-b, port 9443
      send(producer, packet("host-a", 50001, 8443, clientHello(R1), T0));
      send(producer, packet("host-a", 8443, 50001, new byte[] {0x17, 0x03, 0x03, 0, 1, 42}, T0 + 1_000));
      send(producer, packet("host-b", 50002, 9443, clientHello(R2), T0 + 2_000));
      // not a PacketRecord at all
      producer.send(new ProducerRecord<>(Topics.PACKETS.name(), "x".getBytes(), new byte[] {(byte) 0xff, 1, 2, 3}));
      for (String line : List.of("CLIENT_RANDOM " + R1 + " " + "aa".repeat(48), "CLIENT_RANDOM " + R2 + " " + "bb".repeat(48),
          "CLIENT_RANDOM " + R3 + " " + "cc".repeat(48), "not a key-log line")) {
        String host = line.contains(R2) ? "host-b" : "host-a";
        producer.send(new ProducerRecord<>(Topics.KEYLOG.name(), host.getBytes(), line.getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
    }
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  @Test
  void writesEveryPacketWithTheKeysOfItsSessionsAndSkipsTheMalformedRecord() throws Exception {
    Path out = dir.resolve("all.pcapng");
    PcapExport.Summary summary = new PcapExport(PcapExportConfig.builder(out)
        .bootstrapServers(kafka.bootstrapServers()).build()).run();
    assertEquals(3, summary.packets());
    assertEquals(1, summary.malformedPackets(), "the record that is not a PacketRecord");
    assertEquals(1, summary.malformedKeyLines(), "the key-log record that is not a key-log line");
    assertEquals(2, summary.interfaces(), "one interface block per host and interface");
    assertEquals(2, summary.sessions());
    PcapngBlocks file = PcapngBlocks.read(out);
    assertEquals(Pcapng.SHB, file.blocks().getFirst().type());
    assertEquals(3, file.ofType(Pcapng.EPB).size());
    String secrets = file.allSecrets();
    assertTrue(secrets.contains("CLIENT_RANDOM " + R1), secrets);
    assertTrue(secrets.contains("CLIENT_RANDOM " + R2), secrets);
    assertFalse(secrets.contains(R3), "keys of a session not in the file stay out");
    // a session's keys come before its first packet
    List<PcapngBlocks.Block> blocks = file.blocks();
    int firstDsb = blocks.indexOf(file.ofType(Pcapng.DSB).getFirst());
    int firstEpb = blocks.indexOf(file.ofType(Pcapng.EPB).getFirst());
    assertTrue(firstDsb < firstEpb, "DSB before the packets it decrypts");
    // timestamps in ns as captured
    assertEquals(T0, file.ofType(Pcapng.EPB).getFirst().timestamp());
    assertFalse(Files.exists(dir.resolve("all.pcapng.partial")));
    tsharkReads(out, 3);
  }

  @Test
  void portAndHostFiltersSelectPacketsAndTheirKeys() throws Exception {
    Path out = dir.resolve("port.pcapng");
    PcapExport.Summary summary = new PcapExport(PcapExportConfig.builder(out)
        .bootstrapServers(kafka.bootstrapServers()).port(8443).build()).run();
    assertEquals(2, summary.packets());
    assertEquals(1, summary.filtered());
    String secrets = PcapngBlocks.read(out).allSecrets();
    assertTrue(secrets.contains(R1) && !secrets.contains(R2), secrets);

    Path byHost = dir.resolve("host.pcapng");
    summary = new PcapExport(PcapExportConfig.builder(byHost)
        .bootstrapServers(kafka.bootstrapServers()).host("host-b").build()).run();
    assertEquals(1, summary.packets());
    secrets = PcapngBlocks.read(byHost).allSecrets();
    assertTrue(secrets.contains(R2) && !secrets.contains(R1), secrets);
  }

  @Test
  void sinceAndUntilBoundByCaptureTime() throws Exception {
    Path out = dir.resolve("time.pcapng");
    PcapExport.Summary summary = new PcapExport(PcapExportConfig.builder(out)
        .bootstrapServers(kafka.bootstrapServers())
        .since(java.time.Instant.ofEpochSecond(0, T0 + 500)).until(java.time.Instant.ofEpochSecond(0, T0 + 1_500))
        .build()).run();
    assertEquals(1, summary.packets());
  }

  @Test
  void followHoldsANewSessionUntilItsKeysArriveThenWritesThemFirst() throws Exception {
    String r4 = "44".repeat(32);
    Path out = dir.resolve("follow.pcapng");
    PcapExport export = new PcapExport(PcapExportConfig.builder(out).bootstrapServers(kafka.bootstrapServers())
        .host("host-f").follow(true).keyWait(Duration.ofSeconds(60)).build());
    CompletableFuture<PcapExport.Summary> running = CompletableFuture.supplyAsync(() -> {
      try {
        return export.run();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      send(producer, packet("host-f", 50004, 7443, clientHello(r4), T0));
      send(producer, packet("host-f", 7443, 50004, new byte[] {0x16, 0x03, 0x03, 0, 1, 2}, T0 + 10));
      producer.flush();
      // the packets are held: nothing but the section header is in the file
      Thread.sleep(2_000);
      assertEquals(0, PcapngBlocks.read(out).ofType(Pcapng.EPB).size(), "held while its keys are unknown");
      for (String label : List.of("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
          "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0")) {
        producer.send(new ProducerRecord<>(Topics.KEYLOG.name(), "host-f".getBytes(),
            (label + " " + r4 + " " + "dd".repeat(32)).getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (PcapngBlocks.read(out).ofType(Pcapng.EPB).size() < 2) {
        if (System.nanoTime() > deadline || running.isDone()) {
          fail("held packets never written: " + PcapngBlocks.read(out).blocks().size() + " blocks");
        }
        Thread.sleep(100);
      }
    } finally {
      export.close();
    }
    PcapExport.Summary summary = running.get(60, TimeUnit.SECONDS);
    assertEquals(2, summary.packets());
    PcapngBlocks file = PcapngBlocks.read(out);
    List<PcapngBlocks.Block> blocks = file.blocks();
    assertTrue(blocks.indexOf(file.ofType(Pcapng.DSB).getFirst()) < blocks.indexOf(file.ofType(Pcapng.EPB).getFirst()));
    assertEquals(4, file.allSecrets().lines().count());
  }

  /** tshark (Wireshark's reader, an independent parser) reads every packet and the interface names. */
  private static void tsharkReads(Path file, int packets) throws Exception {
    boolean found = List.of(System.getenv().getOrDefault("PATH", "/usr/bin").split(":")).stream()
        .anyMatch(d -> Files.isExecutable(Path.of(d, "tshark")));
    if (!found) {
      if (System.getenv("CI") != null) {
        fail("tshark not installed (CI is set)");
      }
      return;
    }
    Process p = new ProcessBuilder("tshark", "-r", file.toString(), "-T", "fields", "-e", "frame.interface_name",
        "-e", "tcp.srcport", "-e", "frame.time_epoch").redirectErrorStream(false).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), err);
    List<String> lines = out.lines().toList();
    assertEquals(packets, lines.size(), out + err);
    assertTrue(lines.getFirst().startsWith("host-a/lo\t50001\t1780000000.000000000"), out);
  }

  static KafkaProducer<byte[], byte[]> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  static void send(KafkaProducer<byte[], byte[]> producer, PacketRecord r) {
    producer.send(new ProducerRecord<>(Topics.PACKETS.name(), r.getFlowKey().getBytes(), r.toByteArray()));
  }

  static PacketRecord packet(String host, int sport, int dport, byte[] payload, long wallNs) {
    byte[] frame = frame(sport, dport, payload);
    return PacketRecord.newBuilder().setHostId(host).setInterfaceName("lo").setInterfaceIndex(1)
        .setDirection(PacketDirection.EGRESS).setKernelTimeNs(wallNs - T0 + 1).setWallTimeNs(wallNs)
        .setOriginalLength(frame.length).setData(ByteString.copyFrom(frame)).setLinkType(TcpFrame.LINKTYPE_ETHERNET)
        .setFlowKey(TcpFrame.parse(frame, 1).orElseThrow().flowKey(host)).build();
  }

  /** Ethernet (zeroed, as on loopback) + IPv4 127.0.0.1 -> 127.0.0.1 + TCP (PSH ACK) + payload. */
  static byte[] frame(int sport, int dport, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(14 + 20 + 20 + payload.length);
    b.put(new byte[12]).putShort((short) 0x0800);
    b.put((byte) 0x45).put((byte) 0).putShort((short) (40 + payload.length)).putInt(0).put((byte) 64).put((byte) 6)
        .putShort((short) 0).put(new byte[] {127, 0, 0, 1}).put(new byte[] {127, 0, 0, 1});
    b.putShort((short) sport).putShort((short) dport).putInt(1).putInt(1).put((byte) 0x50).put((byte) 0x18)
        .putShort((short) 65535).putShort((short) 0).putShort((short) 0);
    b.put(payload);
    return b.array();
  }

  /** A TLS record holding the start of a ClientHello with this random. */
  static byte[] clientHello(String random) {
    return HexFormat.of().parseHex("160301" + "002f" + "01" + "00002b" + "0303" + random + "00" + "0000" + "00");
  }

  static Map<String, Object> none() {
    return Map.of();
  }
}
