package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.NodeModules;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.control.ExecWatchStatus;
import io.ecapture.kafka.collector.sink.SpoolConfig;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exec-time attach end to end: a node executable no process ran before (a fresh copy, so neither
 * the start-time scan nor a /proc rescan knows it) is started after the collector; its first and
 * only connection is a wss:// client and server (ws) exchanging 5 messages each way, and the
 * process exits within about a second. Every message of both directions, on both ends, arrives
 * decoded in ecapture.raw of a real broker, from the HTTP upgrade at offset 0 on.
 */
class ExecAttachTest {
  private static final String HOST = "exec-host";
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void aFreshNodeProcessIsCapturedFromItsFirstConnection() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    Path scripts = NodeModules.installed();
    Path installedNode = Path.of(new ProcessBuilder("sh", "-c", "command -v node").start().inputReader().readLine())
        .toRealPath();
    // a new inode: unknown to every verdict and probe, as a freshly installed or upgraded binary is
    Path node = dir.resolve("bin").resolve("node");
    Files.createDirectories(node.getParent());
    Files.copy(installedNode, node, StandardCopyOption.COPY_ATTRIBUTES);
    String marker = UUID.randomUUID().toString().substring(0, 8);
    EmbeddedKafka.trapKafkaExit();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        TlsTestServer certificates = TlsTestServer.start(dir, false)) { // writes cert.pem and key.pem
      TopicSetup.ensureTopics(kafka.bootstrapServers(), 3);
      CollectorConfig config = CollectorConfig.builder().bootstrapServers(kafka.bootstrapServers()).hostId(HOST)
          .statusPort(0).dataDir(dir.resolve("data")).discoveryInterval(Duration.ZERO) // no /proc rescan
          .spool(SpoolConfig.builder().maxBytes(64L << 20).directory(dir.resolve("spool")).build()).build();
      long pid;
      List<String> answers = new ArrayList<>();
      try (Collector collector = Collector.start(config)) {
        assertTrue(collector.execWatch().orElseThrow().awaitHold(WAIT.toMillis()), collector.execWatchStatus().hold());
        long started = System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder(node.toString(), scripts.resolve("wss-echo.js").toString())
            .directory(scripts.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("CERT", dir.resolve("cert.pem").toString());
        builder.environment().put("KEY", dir.resolve("key.pem").toString());
        builder.environment().put("MARKER", marker);
        Process process = builder.start();
        pid = process.pid();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = out.readLine()) != null; ) {
            answers.add(line);
          }
        }
        assertTrue(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "node finished");
        assertEquals(0, process.exitValue(), "node's output: " + answers);
        System.out.printf("fresh node ran for %d ms under the collector%n",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        assertEquals(IntStream.range(0, 5).mapToObj(i -> "pong ping " + marker + " " + i).toList(),
            answers.subList(1, answers.size()));

        ExecWatchStatus status = collector.execWatchStatus();
        assertTrue(status.held() >= 1 && status.attached() >= 1 && status.attachLatency().count() >= 1, status.toString());
        assertTrue(collector.libraries().stream().anyMatch(l -> l.path().equals(node) && l.origin().equals("exec")),
            "the copy was probed at exec: " + collector.libraries());
        // the exec path learns the BIO layout as the /proc rescan does (node's static OpenSSL 3.0 decodes)
        Library probed = collector.libraries().stream().filter(l -> l.path().equals(node)).findFirst().orElseThrow();
        assertEquals("bio-fd", probed.socketDiscovery() == null ? null : probed.socketDiscovery().method(),
            "socket discovery of the copy probed at exec: " + probed);
        assertEquals(probed.socketDiscovery().offsets(), BioLayout.learn(installedNode).layout().orElseThrow().offsets(),
            "the same offsets as learned from the installed node");
        String document = get(collector.statusPort(), "/status");
        assertTrue(document.contains("\"execWatch\":{\"enabled\":true,\"hold\":\"on:"), document);
        assertTrue(document.contains("\"origin\":\"exec\""), document);
        assertTrue(document.contains("\"socketDiscovery\":{\"method\":\"bio-fd\""), document);
        String metrics = get(collector.statusPort(), "/metrics");
        assertTrue(metrics.contains("ecapture_collector_exec_attached_total{host=\"exec-host\"}"), metrics);
        assertTrue(metrics.contains("ecapture_collector_exec_attach_latency_seconds{host=\"exec-host\",quantile=\"0.99\"}"), metrics);
      }

      // both ends of the one connection, each direction, from its first byte
      Map<String, List<RawEvent>> connections = awaitClosedConnections(kafka.bootstrapServers(), pid, 2);
      List<String> pings = IntStream.range(0, 5).mapToObj(i -> "ping " + marker + " " + i).toList();
      List<String> pongs = pings.stream().map(p -> "pong " + p).toList();
      int clients = 0;
      int servers = 0;
      for (List<RawEvent> events : connections.values()) {
        byte[] written = stream(events, Direction.WRITE);
        byte[] read = stream(events, Direction.READ);
        String writtenText = new String(written, StandardCharsets.ISO_8859_1);
        if (writtenText.startsWith("GET /echo HTTP/1.1")) {
          clients++;
          assertEquals(pings, textFrames(written), "client wrote (masked frames, unmasked here)");
          assertEquals(pongs, textFrames(read), "client read");
        } else {
          servers++;
          assertTrue(new String(read, StandardCharsets.ISO_8859_1).startsWith("GET /echo HTTP/1.1"), "server read the upgrade");
          assertTrue(writtenText.startsWith("HTTP/1.1 101 "), writtenText);
          assertEquals(pings, textFrames(read), "server read");
          assertEquals(pongs, textFrames(written), "server wrote");
        }
      }
      assertEquals(1, clients, "the client's connection");
      assertEquals(1, servers, "the server's connection");
    }
  }

  /** Reads ecapture.raw until {@code count} connections of {@code pid} have their CLOSE; their events by connection. */
  static Map<String, List<RawEvent>> awaitClosedConnections(String bootstrap, long pid, int count) {
    Map<String, Object> props = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "exec-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Map<String, List<RawEvent>> connections = new LinkedHashMap<>();
    java.util.Set<String> closed = new java.util.HashSet<>();
    try (KafkaConsumer<String, RawEvent> consumer = new KafkaConsumer<>(props,
        Topics.RAW.keySerde().deserializer(), Topics.RAW.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.RAW.name()));
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline && closed.size() < count) {
        for (ConsumerRecord<String, RawEvent> record : consumer.poll(Duration.ofMillis(200))) {
          RawEvent event = record.value();
          if (event.getProcess().getPid() != pid) {
            continue;
          }
          connections.computeIfAbsent(event.getConnectionId(), k -> new ArrayList<>()).add(event);
          if (event.hasClose()) {
            closed.add(event.getConnectionId());
          }
        }
      }
    }
    assertEquals(count, closed.size(), "closed connections of pid " + pid + " in ecapture.raw: " + connections.keySet());
    connections.keySet().retainAll(closed);
    return connections;
  }

  /** One direction's bytes, in stream order from offset 0 (fails on a gap). */
  static byte[] stream(List<RawEvent> events, Direction direction) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<RawEvent> data = events.stream().filter(e -> e.hasData() && e.getData().getDirection() == direction)
        .sorted(Comparator.comparingLong(e -> e.getData().getOffset())).toList();
    for (RawEvent event : data) {
      long offset = event.getData().getOffset();
      byte[] payload = event.getData().getPayload().toByteArray();
      assertTrue(offset <= out.size(), "no gap before offset " + offset + " (" + direction + ")");
      int skip = (int) (out.size() - offset);
      if (skip < payload.length) {
        out.write(payload, skip, payload.length - skip);
      }
    }
    return out.toByteArray();
  }

  /** The text frames (RFC 6455) after the HTTP upgrade, unmasked. */
  static List<String> textFrames(byte[] stream) {
    String text = new String(stream, StandardCharsets.ISO_8859_1);
    int at = text.indexOf("\r\n\r\n");
    assertTrue(at >= 0, "an HTTP upgrade first: " + text);
    at += 4;
    List<String> frames = new ArrayList<>();
    while (at + 2 <= stream.length) {
      int opcode = stream[at] & 0x0f;
      boolean masked = (stream[at + 1] & 0x80) != 0;
      long length = stream[at + 1] & 0x7f;
      at += 2;
      if (length == 126) {
        length = ((stream[at] & 0xff) << 8) | (stream[at + 1] & 0xff);
        at += 2;
      } else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; i++) {
          length = (length << 8) | (stream[at + i] & 0xff);
        }
        at += 8;
      }
      byte[] mask = new byte[4];
      if (masked) {
        System.arraycopy(stream, at, mask, 0, 4);
        at += 4;
      }
      assertTrue(at + length <= stream.length, "a whole frame");
      byte[] payload = new byte[(int) length];
      for (int i = 0; i < length; i++) {
        payload[i] = (byte) (stream[at + i] ^ (masked ? mask[i % 4] : 0));
      }
      at += (int) length;
      if (opcode == 1) {
        frames.add(new String(payload, StandardCharsets.UTF_8));
      }
    }
    return frames;
  }

  private static String get(int port, String path) throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    }
  }
}
