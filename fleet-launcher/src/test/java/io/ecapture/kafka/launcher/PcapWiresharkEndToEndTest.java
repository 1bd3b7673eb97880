package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.packets.PacketsConfig;
import io.ecapture.kafka.collector.packets.PacketsStatus;
import io.ecapture.kafka.proto.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Opening a fleet capture in Wireshark, for real: the whole pipeline with the collector's packets
 * module on loopback (TC classifiers) and its TLS key capture; curl makes one HTTPS request with a
 * unique marker header to openssl s_server; {@code ecapture-kafka pcap} writes the PCAPNG file;
 * Debian's tshark, given nothing but that file, shows the decrypted request line and the marker.
 * A record on ecapture.packets that is not a PacketRecord stops nothing.
 */
class PcapWiresharkEndToEndTest {
  private static final long DEADLINE_NS = 120_000_000_000L;

  @TempDir Path dir;

  @Test
  void tsharkDecryptsTheCapturedRequestFromThePcapngAlone() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("tshark");
    EbpfEnvironment.requireTool("curl");
    try (TlsTestServer server = TlsTestServer.start(dir, false)) {
      FleetConfig config = FleetConfig.builder(dir.resolve("data"))
          .embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, 0)
          .partitions(2)
          .gatewayListen("127.0.0.1:0")
          .capture(true).hostId("pcap-host").collectorStatusPort(0)
          .collectorPackets(PacketsConfig.builder().interfaces(List.of("lo")).ports(Set.of(server.port())).build())
          .build();
      try (Fleet fleet = Fleet.start(config)) {
        if (!fleet.capturing()) {
          EbpfEnvironment.unavailable(fleet.captureError());
        }
        // TLS capture of curl only (its keys are the session's): other TLS traffic on this shared
        // machine must not fill the ring buffer nor teach the packets module its ports
        fleet.collector().updateFilter(new CaptureFilter(Set.of(), Set.of(), Set.of("curl"), Set.of()));
        PacketsStatus packets = fleet.collector().packets().orElseThrow();
        assertEquals(List.of(new PacketsStatus.Hook("lo", packets.interfaces().getFirst().index(), "egress",
            packets.interfaces().getFirst().programId())), packets.interfaces());
        String status = get("http://127.0.0.1:" + fleet.collector().statusPort() + "/status");
        assertTrue(status.contains("\"packets\":{\"interfaces\":[{\"name\":\"lo\""), status);

        // a record that is not a PacketRecord, before the session's: counted and skipped
        try (KafkaProducer<byte[], byte[]> producer = producer(fleet.bootstrapServers())) {
          producer.send(new ProducerRecord<>(Topics.PACKETS.name(), "junk".getBytes(), new byte[] {(byte) 0xff, 0, 7}))
              .get(30, TimeUnit.SECONDS);
        }

        String marker = UUID.randomUUID().toString();
        TlsTestServer.CurlResult curl = server.curl(marker);
        assertTrue(curl.output().contains("<HTML>"), "s_server did not answer: " + curl.output());

        // the frames and the keys reach Kafka asynchronously: export until tshark sees the request
        Path out = dir.resolve("fleet.pcapng");
        String decrypted = "";
        long deadline = System.nanoTime() + DEADLINE_NS;
        while (true) {
          int code = new CommandLine(new Main()).execute("pcap", "--out", out.toString(),
              "--bootstrap", fleet.bootstrapServers(), "--host", "pcap-host", "--port", Integer.toString(server.port()));
          assertEquals(0, code, "pcap command failed");
          decrypted = tshark(out, server.port());
          if (decrypted.contains("X-Marker: " + marker)) {
            break;
          }
          if (System.nanoTime() > deadline) {
            fail("tshark never showed the decrypted request; last output:\n" + decrypted
                + "\nkey-log lines/packets: " + fleet.collector().stats().summary() + " " + fleet.collector().packets());
          }
          Thread.sleep(2_000);
        }
        assertTrue(decrypted.contains("GET / HTTP/1.1\\r\\n"), decrypted);
        assertTrue(decrypted.contains("X-Marker: " + marker + "\\r\\n"), decrypted);
        assertEquals(0, fleet.collector().packets().orElseThrow().droppedInKernel());

        // a TLS service on a port nobody listed: the probes see its first connection, the port is
        // learned, and the next session is captured whole (handshake included) and decrypts
        Path other = Files.createDirectories(dir.resolve("other"));
        try (TlsTestServer unlisted = TlsTestServer.start(other, false)) {
          unlisted.curl("teach-" + UUID.randomUUID());
          long learnBy = System.nanoTime() + DEADLINE_NS;
          while (!fleet.collector().packets().orElseThrow().ports().contains(unlisted.port())) {
            assertTrue(System.nanoTime() < learnBy, "port never learned: " + fleet.collector().packets());
            Thread.sleep(100);
          }
          String second = UUID.randomUUID().toString();
          unlisted.curl(second);
          Path learned = dir.resolve("learned.pcapng");
          long until = System.nanoTime() + DEADLINE_NS;
          while (true) {
            assertEquals(0, new CommandLine(new Main()).execute("pcap", "--out", learned.toString(),
                "--bootstrap", fleet.bootstrapServers(), "--port", Integer.toString(unlisted.port())));
            decrypted = tshark(learned, unlisted.port());
            if (decrypted.contains("X-Marker: " + second)) {
              break;
            }
            assertTrue(System.nanoTime() < until, "learned port's session never decrypted:\n" + decrypted);
            Thread.sleep(2_000);
          }
        }
      }
    }
  }

  /** tshark's detail of the HTTP packets in the file, decoding the server's port as TLS. */
  private static String tshark(Path file, int port) throws Exception {
    Process p = new ProcessBuilder("tshark", "-r", file.toString(), "-d", "tcp.port==" + port + ",tls",
        "-Y", "http", "-V").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "tshark hung");
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  private static String get(String url) throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  static boolean exists(Path file) {
    return Files.exists(file);
  }
}
