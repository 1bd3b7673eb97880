package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Serdes;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.ConnectionClose;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.ProcessInfo;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsData;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connection states are written to the changelog once per commit (write-behind,
 * {@code topology.ConnectionStateStore}), not once per record. This proves the changelog is still
 * right after a crash: a processor in a child JVM (exactly_once_v2, the default) is killed with
 * SIGKILL in the middle of a stream of chunked responses, each spread over many records and
 * commits; a new instance with an empty state directory (so everything it knows comes from the
 * changelog topic) takes over and every message comes out exactly once (read_committed), each
 * body whole and byte-exact, without a gap or a cut.
 */
class StateCrashRestartIntegrationTest {
  private static final Duration WAIT = Duration.ofSeconds(180);
  private static final String APP = "crash-restart";
  private static final int CONNECTIONS = 24;
  private static final int CHUNKS = 30;
  @TempDir Path dir;
  private EmbeddedKafka kafka;

  @BeforeEach
  void startBroker() {
    kafka = EmbeddedKafka.start(new EmbeddedKafka.Settings(dir.resolve("broker"), "127.0.0.1",
        EmbeddedKafka.freePort(), EmbeddedKafka.freePort(),
        Map.of("group.min.session.timeout.ms", "1000")));
    TopicSetup.ensureTopics(kafka.bootstrapServers(), 1);
  }

  @AfterEach
  void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void aProcessorKilledMidStreamIsContinuedFromTheChangelogWithNothingLostOrRepeated() throws Exception {
    List<List<RawEvent>> perConnection = new ArrayList<>();
    for (int i = 0; i < CONNECTIONS; i++) {
      perConnection.add(connection("cr-" + i));
    }
    // interleaved one record per connection at a time: every connection is mid-message most of the time
    List<RawEvent> stream = new ArrayList<>();
    for (int r = 0; ; r++) {
      boolean any = false;
      for (List<RawEvent> events : perConnection) {
        if (r < events.size()) {
          stream.add(events.get(r));
          any = true;
        }
      }
      if (!any) {
        break;
      }
    }
    ChildProcessor child = new ChildProcessor(kafka.bootstrapServers(), dir.resolve("state-child"));
    try (KafkaProducer<String, byte[]> producer = producer();
        KafkaConsumer<String, ParsedMessage> parsed = parsedConsumer()) {
      child.awaitRunning();
      int killAt = stream.size() / 2;
      Map<String, Integer> seen = new TreeMap<>();
      List<ParsedMessage> messages = new ArrayList<>();
      // the first half at a pace that spreads it over many commits (100 ms each by default)
      for (int i = 0; i < killAt; i++) {
        send(producer, stream.get(i));
        if (i % 40 == 39) {
          producer.flush();
          Thread.sleep(30);
          poll(parsed, seen, messages);
        }
      }
      producer.flush();
      // the requests of every connection came out: the child is in the middle of the responses
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (seen.keySet().stream().filter(k -> k.contains(" REQUEST ")).count() < CONNECTIONS) {
        assertTrue(System.nanoTime() < deadline, "child output so far: " + seen);
        poll(parsed, seen, messages);
      }
      // more records in flight, then the crash: no commit, no leave, an open transaction
      for (int i = killAt; i < killAt + 60; i++) {
        send(producer, stream.get(i));
      }
      producer.flush();
      Thread.sleep(50);
      child.kill();
      for (int i = killAt + 60; i < stream.size(); i++) {
        send(producer, stream.get(i));
      }
      producer.flush();

      try (StreamsProcessor.Handle restarted = StreamsProcessor.start(ProcessorConfig.builder()
          .bootstrapServers(kafka.bootstrapServers())
          .applicationId(APP)
          .stateDir(dir.resolve("state-restarted")) // empty: the state comes from the changelog
          .idleFlush(Duration.ofSeconds(60))
          .statusPort(ProcessorConfig.STATUS_PORT_OFF)
          .streamsOverride("consumer.session.timeout.ms", "3000")
          .streamsOverride("consumer.heartbeat.interval.ms", "500")
          .build())) {
        deadline = System.nanoTime() + WAIT.toNanos();
        while (seen.values().stream().mapToInt(Integer::intValue).sum() < 2 * CONNECTIONS) {
          assertTrue(System.nanoTime() < deadline, "output so far: " + seen.keySet()
              + "; restarted: " + restarted.metrics().summary());
          poll(parsed, seen, messages);
        }
        // a little longer, so a duplicate would be seen too (a hang guard, not a timing assertion)
        long quiet = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < quiet) {
          poll(parsed, seen, messages);
        }
        assertEquals(KafkaStreams.State.RUNNING, restarted.state());
        assertTrue(restarted.metrics().recordsIn() > 0, "the restarted instance did part of the work");
        assertEquals(0, restarted.metrics().gaps(), restarted.metrics().summary());
        assertEquals(0, restarted.metrics().truncatedMessages(), restarted.metrics().summary());
        assertEquals(0, restarted.metrics().processingErrors(), restarted.metrics().summary());
      }
      Map<String, Integer> expected = new TreeMap<>();
      for (int i = 0; i < CONNECTIONS; i++) {
        expected.put("cr-" + i + " REQUEST /items/" + i, 1);
        expected.put("cr-" + i + " RESPONSE 200 " + sha(body(i)), 1);
      }
      assertEquals(expected, seen);
      for (ParsedMessage m : messages) {
        assertTrue(!m.getHttp().getBodyTruncated() && !m.getGapBefore(), m.getConnectionId() + " " + m.getKind());
      }
    } finally {
      child.kill();
    }
  }

  /** A GET and a chunked response of {@value #CHUNKS} chunks, one record each, then the close. */
  private static List<RawEvent> connection(String id) {
    int n = Integer.parseInt(id.substring(id.indexOf('-') + 1));
    List<RawEvent> events = new ArrayList<>();
    String request = "GET /items/" + n + " HTTP/1.1\r\nHost: t\r\n\r\n";
    events.add(data(id, Direction.WRITE, 0, request));
    String head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n";
    long offset = 0;
    events.add(data(id, Direction.READ, offset, head));
    offset += head.length();
    String body = body(n);
    int piece = body.length() / CHUNKS;
    for (int c = 0; c < CHUNKS; c++) {
      String chunk = body.substring(c * piece, c == CHUNKS - 1 ? body.length() : (c + 1) * piece);
      String wire = Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n";
      events.add(data(id, Direction.READ, offset, wire));
      offset += wire.length();
    }
    events.add(data(id, Direction.READ, offset, "0\r\n\r\n"));
    offset += 5;
    events.add(RawEvent.newBuilder().setConnectionId(id).setClose(ConnectionClose.newBuilder()
        .setBytesWritten(request.length()).setBytesRead(offset)).build());
    return events;
  }

  private static String body(int n) {
    StringBuilder out = new StringBuilder();
    for (int line = 0; out.length() < 3000; line++) {
      out.append("connection ").append(n).append(" line ").append(line).append('\n');
    }
    return out.toString();
  }

  private static String sha(String text) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static void poll(KafkaConsumer<String, ParsedMessage> consumer, Map<String, Integer> seen,
      List<ParsedMessage> messages) {
    for (var record : consumer.poll(Duration.ofMillis(100))) {
      ParsedMessage m = record.value();
      messages.add(m);
      String what = m.getKind() == MessageKind.REQUEST ? "REQUEST " + m.getHttp().getPath()
          : "RESPONSE " + m.getHttp().getStatus() + " " + sha(m.getHttp().getBody().toStringUtf8());
      seen.merge(m.getConnectionId() + " " + what, 1, Integer::sum);
    }
  }

  private static RawEvent data(String id, Direction direction, long offset, String text) {
    return RawEvent.newBuilder()
        .setHostId("crash-host")
        .setConnectionId(id)
        .setProcess(ProcessInfo.newBuilder().setPid(9).setTid(9).setComm("curl"))
        .setWallTimeNs(System.currentTimeMillis() * 1_000_000L)
        .setData(TlsData.newBuilder().setDirection(direction).setOffset(offset)
            .setPayload(ByteString.copyFrom(text, StandardCharsets.ISO_8859_1))
            .setOriginalLength(text.length()))
        .build();
  }

  private static void send(KafkaProducer<String, byte[]> producer, RawEvent event) {
    producer.send(new ProducerRecord<>(Topics.RAW.name(), event.getConnectionId(), event.toByteArray()));
  }

  private KafkaProducer<String, byte[]> producer() {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
  }

  /** A read_committed consumer of the parsed topic, from its current end. */
  private KafkaConsumer<String, ParsedMessage> parsedConsumer() {
    KafkaConsumer<String, ParsedMessage> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), Serdes.PARSED_MESSAGE.deserializer());
    List<TopicPartition> partitions = List.of(new TopicPartition(Topics.PARSED.name(), 0));
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
    return consumer;
  }

  /** The processor CLI (its defaults: exactly_once_v2) in a child JVM, to be killed like a crash. */
  private static final class ChildProcessor {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final CountDownLatch running = new CountDownLatch(1);

    ChildProcessor(String bootstrap, Path stateDir) throws Exception {
      List<String> command = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
          "-Xmx512m", "-cp", System.getProperty("java.class.path"),
          ProcessorCommand.class.getName(),
          "--bootstrap", bootstrap, "--application-id", APP,
          "--state-dir", stateDir.toString(), "--idle-flush-ms", "60000", "--status-port", "-1"));
      for (String property : List.of("consumer.session.timeout.ms=3000",
          "consumer.heartbeat.interval.ms=500", "producer.transaction.timeout.ms=5000")) {
        command.add("--streams-property");
        command.add(property);
      }
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
      Thread reader = new Thread(this::readOutput, "crash-child-output");
      reader.setDaemon(true);
      reader.start();
    }

    private void readOutput() {
      try (BufferedReader reader = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          lines.add(line);
          System.err.println("[child] " + line);
          if (line.contains("-> RUNNING")) {
            running.countDown();
          }
        }
      } catch (java.io.IOException e) {
        // the child died
      }
    }

    void awaitRunning() throws InterruptedException {
      assertTrue(running.await(WAIT.toSeconds(), TimeUnit.SECONDS), "child not RUNNING: " + lines);
    }

    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
