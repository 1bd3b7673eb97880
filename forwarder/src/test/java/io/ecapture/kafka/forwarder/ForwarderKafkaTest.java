package io.ecapture.kafka.forwarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.forwarder.format.Format;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The forwarder against a real broker: delivery, resume, filters, malformed input, metrics, keylog. */
class ForwarderKafkaTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir static Path brokerDir;
  @TempDir Path dir;
  static EmbeddedKafka kafka;
  static KafkaProducer<byte[], byte[]> producer;

  @BeforeAll
  static void broker() {
    kafka = EmbeddedKafka.start(brokerDir);
    TopicSetup.ensureTopics(kafka.bootstrapServers(), 2);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    producer = new KafkaProducer<>(p);
  }

  @AfterAll
  static void stop() {
    producer.close();
    kafka.close();
  }

  static void send(String topic, String key, byte[] value, Long timestampMs) throws Exception {
    producer.send(new ProducerRecord<>(topic, null, timestampMs, key.getBytes(StandardCharsets.UTF_8), value)).get();
  }

  static void send(ParsedMessage m) throws Exception {
    send(Topics.PARSED.name(), m.getConnectionId(), m.toByteArray(), null);
  }

  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private ForwarderConfig.Builder config(String host) {
    return ForwarderConfig.builder()
        .name("test-" + host)
        .bootstrapServers(kafka.bootstrapServers())
        .from("earliest")
        .filter(EventFilter.of(List.of(host), null, null, null, null, null))
        .commitInterval(Duration.ofMillis(200))
        .statusPort(ForwarderConfig.STATUS_PORT_OFF);
  }

  @Test
  void jsonLinesCarryEveryFieldAMalformedRecordIsCountedAndARestartResumesWithoutDuplicates() throws Exception {
    String host = "json-" + UUID.randomUUID();
    Path events = dir.resolve("events.ndjson");
    Path logs = dir.resolve("logs.ndjson");
    ForwarderConfig config = config(host).events(events.toString()).logs(logs.toString()).format(Format.JSON)
        .groupId("g-" + host).statusPort(0).build();
    send(Samples.request(host, "m-1"));
    send(Samples.request("other-host", "m-x")); // filtered out
    // not a ParsedMessage: a length-delimited field announcing more bytes than there are
    send(Topics.PARSED.name(), host, new byte[] {0x0A, (byte) 0xFF, 0x01}, null);
    send(Samples.response(host, "m-1"));
    send(Topics.LOGS.name(), host, Samples.log(host, "probe attached to /usr/lib/libssl.so.3").toByteArray(), null);
    Forwarder forwarder = Forwarder.start(config);
    try {
      await(() -> lines(events).size() >= 2 && lines(logs).size() >= 1, "2 events and 1 log line");
      assertEquals(1, forwarder.malformedRecords(), "the malformed record is counted");
      assertTrue(forwarder.running(), "and nothing stopped");
      List<String> lines = lines(events);
      assertEquals(2, lines.size(), lines.toString());
      JsonNode request = Json.tree(lines.get(0));
      assertEquals("event", request.get("record").asText());
      assertEquals(host, request.get("host_id").asText());
      assertEquals(4242, request.get("pid").asInt());
      assertEquals("curl", request.get("comm").asText());
      assertEquals("WRITE", request.get("direction").asText());
      assertEquals("HTTP1", request.get("protocol").asText());
      assertEquals("REQUEST", request.get("kind").asText());
      assertEquals(1, request.get("type").asInt());
      assertEquals("http1", request.get("module").asText());
      assertEquals("127.0.0.1", request.get("src").get("ip").asText());
      assertEquals(8443, request.get("dst").get("port").asInt());
      assertEquals("GET", request.get("http").get("method").asText());
      assertEquals("/items?id=7", request.get("http").get("path").asText());
      assertEquals("X-Marker", request.get("http").get("headers").get(3).get("name").asText());
      assertEquals("m-1", request.get("http").get("headers").get(3).get("value").asText());
      assertTrue(request.get("rendered").asText().startsWith("GET /items?id=7 HTTP/1.1\r\n"));
      assertEquals(1_765_000_000_123_456_789L, request.get("first_byte_time_ns").asLong());
      assertEquals("2025-12-06T05:46:40.123456789Z", request.get("time").asText());
      assertEquals(Topics.PARSED.name(), request.get("kafka").get("topic").asText());
      assertFalse(request.get("gap_before").asBoolean(), "zero-valued fields are written too");
      JsonNode response = Json.tree(lines.get(1));
      assertEquals(200, response.get("http").get("status").asInt());
      assertEquals("ok", response.get("http").get("body").asText());
      assertEquals(1_200_000, response.get("latency_ns").asLong());
      JsonNode log = Json.tree(lines(logs).getFirst());
      assertEquals("log", log.get("record").asText());
      assertEquals("WARN", log.get("level").asText());
      assertEquals("probe attached to /usr/lib/libssl.so.3", log.get("message").asText());

      // metrics: eCapture's names labelled by host and module
      String metrics = get("http://127.0.0.1:" + forwarder.statusPort() + "/metrics");
      assertTrue(metrics.contains("ecapture_events_total{host=\"" + host + "\",module=\"http1\"} 2.0"), metrics);
      assertTrue(metrics.contains("ecapture_connections_active{host=\"" + host + "\"} 1.0"), metrics);
      assertTrue(metrics.contains("ecapture_forwarder_malformed_records_total 1.0"), metrics);
      assertTrue(metrics.contains("ecapture_forwarder_sent_total{sink=\"events\"} 2.0"), metrics);
      String payloadLine = metrics.lines().filter(l -> l.startsWith("ecapture_payload_bytes{host=\"" + host + "\""))
          .findFirst().orElseThrow();
      long expectedBytes = ParsedText.rendered(Samples.request(host, "m-1")).size() + ParsedText.rendered(Samples.response(host, "m-1")).size();
      assertEquals(expectedBytes, (long) Double.parseDouble(payloadLine.substring(payloadLine.lastIndexOf(' ') + 1)));
      JsonNode status = Json.tree(get("http://127.0.0.1:" + forwarder.statusPort() + "/status"));
      assertEquals(2, status.get("events").get("sent").asInt());
      assertTrue(status.get("filtered").asInt() >= 1, "other hosts' records are filtered: " + status);
    } finally {
      forwarder.close();
    }

    // while it is stopped, more traffic; a restart resumes after what was delivered
    send(Samples.request(host, "m-2"));
    send(Samples.response(host, "m-2"));
    Forwarder again = Forwarder.start(config.toBuilder().statusPort(-1).build());
    try {
      await(() -> lines(events).size() >= 4, "the 2 new events");
      Thread.sleep(1000); // a duplicate would arrive with them
      List<String> all = lines(events);
      assertEquals(4, all.size(), "a clean stop committed everything: nothing repeated\n" + String.join("\n", all));
      Set<String> markers = new HashSet<>();
      for (String l : all) {
        markers.add(Json.tree(l).get("pair_id").asText() + "/" + Json.tree(l).get("kind").asText());
      }
      assertEquals(4, markers.size());
      assertEquals(1, lines(logs).size());
    } finally {
      again.close();
    }
  }

  @Test
  void offsetsAreCommittedOnlyForWhatTheSinkTookSoAnotherRunGetsWhatWasNotDelivered() throws Exception {
    String host = "alo-" + UUID.randomUUID();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    String group = "g-" + host;
    for (int i = 1; i <= 5; i++) {
      send(Samples.request(host, "r-" + i));
    }
    // the TCP target is unreachable: everything waits in the buffer, nothing is committed
    Forwarder unreachable = Forwarder.start(config(host).groupId(group).events("tcp://127.0.0.1:" + closedPort)
        .shutdownTimeout(Duration.ofSeconds(1)).build());
    try {
      await(() -> unreachable.eventsSink().counters().lastError() != null
          && ((io.ecapture.kafka.forwarder.sink.TcpSink) unreachable.eventsSink()).queued() == 5, "5 records buffered");
      assertTrue(unreachable.running(), "an unreachable sink stops nothing");
    } finally {
      unreachable.close();
    }
    assertEquals(5, unreachable.eventsSink().counters().dropped.sum(), "what never left is counted at close");
    Path events = dir.resolve("events.txt");
    Forwarder file = Forwarder.start(config(host).groupId(group).events(events.toString()).build());
    try {
      await(() -> lines(events).stream().filter(l -> l.contains("X-Marker: r-")).count() == 5, "all 5 requests");
      String text = Files.readString(events);
      assertTrue(text.contains("host=" + host + " PID:4242, Comm:curl, TID:4242, FD:5, Send "), text);
      assertTrue(text.contains("127.0.0.1:51334 -> 127.0.0.1:8443, HTTP/1 request (type 1), Payload:\nGET /items?id=7 HTTP/1.1"),
          text);
    } finally {
      file.close();
    }
  }

  @Test
  void aFullDiskCostsTheRecordsThatDoNotFitAndNothingElse() throws Exception {
    Path mount = dir.resolve("small");
    Files.createDirectories(mount);
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", mount.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      String reason = "cannot mount a size-limited tmpfs (needs root): " + out.strip();
      if (System.getenv("CI") != null) {
        org.junit.jupiter.api.Assertions.fail(reason);
      }
      org.junit.jupiter.api.Assumptions.abort(reason);
    }
    try {
      String host = "disk-" + UUID.randomUUID();
      Path events = mount.resolve("events.log");
      Path logs = dir.resolve("logs.txt");
      Forwarder f = Forwarder.start(config(host).events(events.toString()).logs(logs.toString()).build());
      try {
        assertTrue(f.awaitAssignment(WAIT), "no partitions");
        for (int i = 0; i < 100; i++) {
          send(Samples.request(host, "full-" + i)); // ~400 bytes of text each: 40 KB for 16 KiB
        }
        send(Topics.LOGS.name(), host, Samples.log(host, "still flowing").toByteArray(), null);
        var counters = f.eventsSink().counters();
        await(() -> counters.sent.sum() + counters.dropped.sum() == 100, "all 100 events written or dropped");
        Thread.sleep(500);
        assertTrue(counters.dropped.sum() > 0 && counters.sent.sum() > 0, counters.snapshot().toString());
        assertTrue(counters.lastError().contains("No space left on device"), counters.lastError());
        await(() -> lines(logs).stream().anyMatch(l -> l.contains("still flowing")), "the log line on the other disk");
        // offsets keep being committed while the disk is full: a dropped record is done
        long before = f.committedCheckpoints();
        send(Samples.request(host, "full-after"));
        await(() -> f.committedCheckpoints() > before, "a commit after one more record");
        assertTrue(f.running(), "a full disk stops nothing");
        assertEquals(counters.sent.sum(), lines(events).stream().filter(l -> l.startsWith("X-Marker: full-")).count(),
            "every record on disk is whole");
      } finally {
        f.close();
      }
    } finally {
      new ProcessBuilder("umount", mount.toString()).start().waitFor();
    }
  }

  @Test
  void fromAnIsoTimeStartsANewGroupThere() throws Exception {
    String host = "from-" + UUID.randomUUID();
    for (int i = 1; i <= 3; i++) {
      send(Samples.request(host, "old-" + i));
    }
    Thread.sleep(100);
    Instant from = Instant.now();
    Thread.sleep(100);
    for (int i = 1; i <= 2; i++) {
      send(Samples.request(host, "new-" + i));
    }
    Path events = dir.resolve("from.txt");
    Forwarder f = Forwarder.start(config(host).from(from.toString())
        .events(events.toString()).truncateBytes(30).build());
    try {
      await(() -> lines(events).stream().filter(l -> l.startsWith("[truncated")).count() >= 2, "2 events");
      Thread.sleep(1000);
      assertEquals(2, lines(events).stream().filter(l -> l.startsWith("[truncated")).count());
      String text = Files.readString(events);
      assertFalse(text.contains("old-"), text);
      assertTrue(text.contains("[truncated: first 30 of "), text);
    } finally {
      f.close();
    }
  }

  @Test
  void keylogWritesTheLinesOfTheChosenHostOnce() throws Exception {
    String host = "keys-" + UUID.randomUUID();
    String line1 = "CLIENT_RANDOM " + "ab".repeat(32) + " " + "cd".repeat(48);
    String line2 = "CLIENT_TRAFFIC_SECRET_0 " + "01".repeat(32) + " " + "02".repeat(32);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> keys = new KafkaProducer<>(p)) {
      keys.send(new ProducerRecord<>(Topics.KEYLOG.name(), host, line1)).get();
      keys.send(new ProducerRecord<>(Topics.KEYLOG.name(), "another-host", "CLIENT_RANDOM " + "ee".repeat(32) + " 00")).get();
      keys.send(new ProducerRecord<>(Topics.KEYLOG.name(), host, line2)).get();
      keys.send(new ProducerRecord<>(Topics.KEYLOG.name(), host, line1)).get(); // again: written once
    }
    Path out = dir.resolve("keys/sslkeylog.txt");
    int code = new CommandLine(new KeylogCommand()).execute("--bootstrap", kafka.bootstrapServers(), "--out",
        out.toString(), "--host", host);
    assertEquals(0, code);
    assertEquals(List.of(line1, line2), Files.readAllLines(out));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
  }

  @Test
  void badOptionsAreRefusedWithOneClearLine() {
    List<String[]> bad = new ArrayList<>();
    bad.add(new String[] {"--format", "text"});
    bad.add(new String[] {"--events", "x.log", "--format", "yaml"});
    bad.add(new String[] {"--events", "http://127.0.0.1:1/x"});
    bad.add(new String[] {"--events", "ftp://h/x"});
    bad.add(new String[] {"--events", "x.log", "--from", "yesterday"});
    bad.add(new String[] {"--events", "https://burp:8080", "--format", "http_proxy"});
    for (String[] args : bad) {
      java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
      java.io.PrintStream old = System.err;
      System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
      int code;
      try {
        code = new CommandLine(new ForwardCommand()).execute(args);
      } finally {
        System.setErr(old);
      }
      assertEquals(2, code, String.join(" ", args));
      String message = err.toString(StandardCharsets.UTF_8);
      assertTrue(message.startsWith("ecapture-kafka forward: ") && message.strip().lines().count() == 1, message);
    }
  }

  private static String get(String url) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      return client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
  }

  @SuppressWarnings("unused")
  private static final Map<String, String> NONE = Map.of();
}
