package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.processor.protocol.http2.Http2TestFrames;
import io.ecapture.kafka.proto.Serdes;
import io.ecapture.kafka.proto.Topic;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.ProcessInfo;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsData;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor against a real single-node KRaft broker, with exactly-once processing: parsing,
 * dead letters, restart from the changelog, and its status server ({@code /status}, {@code
 * /metrics}) during the run.
 */
class ProcessorIntegrationTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  @TempDir static Path dir;
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start(dir.resolve("broker"));
    TopicSetup.ensureTopics(kafka.bootstrapServers(), 2);
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void parsesDeadLettersAndResumesFromTheChangelogAfterARestart() throws Exception {
    ProcessorConfig config = ProcessorConfig.builder()
        .bootstrapServers(kafka.bootstrapServers())
        .applicationId("it-processor")
        .stateDir(dir.resolve("state-1"))
        .statsInterval(Duration.ofSeconds(2))
        .statusPort(0)
        // long enough that the half request waits across the restart instead of being flushed
        .idleFlush(Duration.ofSeconds(60))
        .build();
    int statusPort;
    String request1 = "GET /first HTTP/1.1\r\nHost: example.test\r\n\r\n";
    String response1 = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    byte[] request2 = "POST /second HTTP/1.1\r\nHost: example.test\r\nContent-Length: 4\r\n\r\nbody"
        .getBytes(StandardCharsets.ISO_8859_1);
    int half = 30;
    byte[] h2First = concat(io.ecapture.kafka.processor.protocol.http2.Http2FrameParser.CLIENT_PREFACE,
        Http2TestFrames.frame(4, 0, 0, new byte[0]), Http2TestFrames.frame(1, 0x5, 1,
            java.util.HexFormat.of().parseHex("828684410f7777772e6578616d706c652e636f6d")));
    byte[] h2Second = Http2TestFrames.frame(1, 0x5, 3,
        java.util.HexFormat.of().parseHex("828684be58086e6f2d6361636865"));
    byte[] bigUnknown = new byte[1_200_000];
    new java.util.Random(1).nextBytes(bigUnknown);
    bigUnknown[0] = 0x17;
    for (int i = 0; i < bigUnknown.length; i++) {
      if (bigUnknown[i] == '\n') {
        bigUnknown[i] = 0; // no line starts: stays one unknown run until the close
      }
    }

    try (KafkaProducer<String, byte[]> producer = producer();
        KafkaConsumer<String, ParsedMessage> parsed = consumer(Topics.PARSED, new StringDeserializer(),
            Serdes.PARSED_MESSAGE.deserializer());
        KafkaConsumer<byte[], byte[]> dlq = consumer(Topics.DLQ, new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      List<ParsedMessage> before;
      try (StreamsProcessor.Handle handle = StreamsProcessor.start(config)) {
        assertEquals(KafkaStreams.State.RUNNING, handle.state());
        send(producer, "c1", new byte[] {(byte) 0xff, 0x00, 0x13});
        send(producer, "c1", data("c1", Direction.WRITE, 0, bytes(request1)));
        send(producer, "c1", data("c1", Direction.READ, 0, bytes(response1)));
        send(producer, "c1", data("c1", Direction.WRITE, request1.length(),
            java.util.Arrays.copyOfRange(request2, 0, half)));
        // HTTP/2 whose first header block (RFC 7541 C.3.1) fills the HPACK table
        send(producer, "c3", data("c3", Direction.WRITE, 0, h2First));
        producer.flush();

        // a second connection whose unparsed bytes (1.2 MiB) exceed Kafka's default record size:
        // its state must still reach the changelog
        for (int pos = 0; pos < bigUnknown.length; pos += 16384) {
          send(producer, "c2", data("c2", Direction.WRITE, pos,
              java.util.Arrays.copyOfRange(bigUnknown, pos, Math.min(bigUnknown.length, pos + 16384))));
        }
        producer.flush();

        List<ParsedMessage> three = poll(parsed, 3, ConsumerRecord::value);
        before = three.stream().filter(m -> m.getConnectionId().equals("c1")).toList();
        assertEquals("www.example.com", three.stream().filter(m -> m.getConnectionId().equals("c3"))
            .findFirst().orElseThrow().getHttp().getAuthority());
        List<byte[]> dead = poll(dlq, 1, ConsumerRecord::value);
        assertEquals(3, dead.get(0).length);
        assertEquals(1, handle.metrics().deadLettered());
        long expectedRecords = 5 + (bigUnknown.length + 16383) / 16384;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (handle.metrics().recordsIn() < expectedRecords && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertEquals(expectedRecords, handle.metrics().recordsIn());
        statusPort = handle.statusPort();
        assertStatusServed(statusPort, expectedRecords);
      }
      // closed with the processor
      assertThrows(IOException.class, () -> get(statusPort, "/status"));
      assertEquals("/first", before.get(0).getHttp().getPath());
      assertEquals(200, before.get(1).getHttp().getStatus());
      assertEquals(before.get(0).getPairId(), before.get(1).getPairId());

      // a fresh state directory: the half request must come back from the changelog topic
      try (StreamsProcessor.Handle handle = StreamsProcessor.start(
          config.toBuilder().stateDir(dir.resolve("state-2")).build())) {
        send(producer, "c1", data("c1", Direction.WRITE, request1.length() + half,
            java.util.Arrays.copyOfRange(request2, half, request2.length)));
        producer.flush();
        ParsedMessage second = poll(parsed, 1, ConsumerRecord::value).get(0);
        assertEquals(MessageKind.REQUEST, second.getKind());
        assertEquals("/second", second.getHttp().getPath());
        assertEquals("body", second.getHttp().getBody().toStringUtf8());
        assertEquals(request1.length(), second.getStreamOffset());
        assertTrue(second.getPairId().endsWith("#1"), second.getPairId());

        // C.3.2 refers to the entry C.3.1 added before the restart: the table came back too
        send(producer, "c3", data("c3", Direction.WRITE, h2First.length, h2Second));
        producer.flush();
        ParsedMessage h2 = poll(parsed, 1, ConsumerRecord::value).get(0);
        assertEquals("c3", h2.getConnectionId());
        assertEquals("www.example.com", h2.getHttp().getAuthority());
        assertTrue(h2.getHttp().getHeadersList().stream()
            .anyMatch(h -> h.getName().equals("cache-control") && h.getValue().equals("no-cache")));
        assertEquals(1, handle.metrics().contextsRestored());

        // closing c2 flushes the restored 1.2 MiB as unknown-data records of bounded size
        send(producer, "c2", RawEvent.newBuilder().setConnectionId("c2")
            .setClose(io.ecapture.kafka.proto.capture.ConnectionClose.newBuilder()
                .setBytesWritten(bigUnknown.length)).build());
        producer.flush();
        java.io.ByteArrayOutputStream restored = new java.io.ByteArrayOutputStream();
        int pieces = (bigUnknown.length + ProcessorLimits.DEFAULT_MAX_BODY_BYTES - 1)
            / ProcessorLimits.DEFAULT_MAX_BODY_BYTES;
        for (ParsedMessage piece : poll(parsed, pieces, ConsumerRecord::value)) {
          assertEquals("c2", piece.getConnectionId());
          assertEquals(restored.size(), piece.getStreamOffset());
          restored.writeBytes(piece.getRaw().toByteArray());
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(bigUnknown, restored.toByteArray());
        assertEquals(0, handle.metrics().oversizedRecords());
      }
    }
  }

  /** GET /status and GET /metrics on 127.0.0.1 while the processor runs. */
  private static void assertStatusServed(int port, long recordsIn) throws Exception {
    assertTrue(port > 0, "bound to an ephemeral port: " + port);
    HttpResponse<String> status = get(port, "/status");
    assertEquals(200, status.statusCode());
    assertEquals(Json.CONTENT_TYPE, status.headers().firstValue("Content-Type").orElseThrow());
    JsonNode json = Json.tree(status.body());
    assertEquals("processor", json.get("component").asText());
    assertEquals("it-processor", json.get("applicationId").asText());
    assertEquals("RUNNING", json.get("state").asText());
    assertTrue(json.get("running").asBoolean());
    assertEquals(recordsIn, json.get("counters").get("records_in").asLong());
    assertEquals(1, json.get("counters").get("dead_lettered").asLong());
    assertEquals(3, json.get("counters").get("open_connections").asLong(), "c1, c2, c3");

    HttpResponse<String> metrics = get(port, "/metrics");
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
    String text = metrics.body();
    assertEquals(recordsIn, sample(text, "ecapture_processor_records_in_total"));
    assertEquals(1, sample(text, "ecapture_processor_dead_lettered_total"));
    assertEquals(3, sample(text, "ecapture_processor_open_connections"));
    assertEquals(1, sample(text, "ecapture_processor_running"));
    for (String counter : new ProcessorMetrics().snapshot().keySet()) {
      String name = "ecapture_processor_" + counter
          + (counter.equals("open_connections") ? "" : "_total");
      assertTrue(text.contains("\n" + name + " "), "missing " + name);
    }
    // Kafka Streams' own metrics, bridged: the client's thread count and the stream thread's
    assertEquals(1, sample(text, "kafka_stream_metrics_alive_stream_threads"));
    assertTrue(text.contains("\nkafka_stream_thread_metrics_process_total{"), "thread metrics");
    assertEquals(404, get(port, "/nothing").statusCode());
  }

  /** The value of the first sample of {@code name} (with any labels) in Prometheus text. */
  private static long sample(String text, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*})? (\\S+)$").matcher(text);
    assertTrue(m.find(), name + " in\n" + text);
    return (long) Double.parseDouble(m.group(1));
  }

  private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    try (HttpClient client = HttpClient.newHttpClient()) {
      return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  private static RawEvent data(String connection, Direction direction, long offset, byte[] payload) {
    return RawEvent.newBuilder()
        .setHostId("it-host")
        .setConnectionId(connection)
        .setProcess(ProcessInfo.newBuilder().setPid(7).setTid(7).setComm("curl"))
        .setWallTimeNs(System.currentTimeMillis() * 1_000_000L)
        .setData(TlsData.newBuilder().setDirection(direction).setOffset(offset)
            .setPayload(ByteString.copyFrom(payload)).setOriginalLength(payload.length))
        .build();
  }

  private static void send(KafkaProducer<String, byte[]> producer, String key, RawEvent event) {
    send(producer, key, event.toByteArray());
  }

  private static void send(KafkaProducer<String, byte[]> producer, String key, byte[] value) {
    producer.send(new ProducerRecord<>(Topics.RAW.name(), key, value));
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static KafkaProducer<String, byte[]> producer() {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
  }

  private static <K, V> KafkaConsumer<K, V> consumer(Topic<?, ?> topic,
      org.apache.kafka.common.serialization.Deserializer<K> keys,
      org.apache.kafka.common.serialization.Deserializer<V> values) {
    KafkaConsumer<K, V> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), keys, values);
    List<TopicPartition> partitions = new ArrayList<>();
    consumer.partitionsFor(topic.name()).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  /** Polls until {@code count} records arrived; fails after a generous bound (a hang, not a timing). */
  private static <K, V, T> List<T> poll(KafkaConsumer<K, V> consumer, int count,
      Function<ConsumerRecord<K, V>, T> mapper) {
    List<T> out = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (out.size() < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("expected " + count + " records, got " + out.size());
      }
      consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(mapper.apply(r)));
    }
    return out;
  }
}
