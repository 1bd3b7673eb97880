package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.processor.ProcessorTestKafka.ChildProcessor;
import io.ecapture.kafka.proto.capture.ConnectionClose;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
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
    ChildProcessor child = new ChildProcessor(kafka.bootstrapServers(), APP, dir.resolve("state-child"), "-1", WAIT);
    try (KafkaProducer<String, byte[]> producer = producer();
        KafkaConsumer<String, ParsedMessage> parsed = parsedConsumer()) {
      child.awaitRunning(1);
      int killAt = stream.size() / 2;
      Map<String, Integer> seen = new TreeMap<>();
      List<ParsedMessage> messages = new ArrayList<>();
      // the first half at a pace that spreads it over many commits (100 ms each by default)
      for (int i = 0; i < killAt; i++) {
        ProcessorTestKafka.send(producer, stream.get(i));
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
        ProcessorTestKafka.send(producer, stream.get(i));
      }
      producer.flush();
      Thread.sleep(50);
      child.kill();
      for (int i = killAt + 60; i < stream.size(); i++) {
        ProcessorTestKafka.send(producer, stream.get(i));
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
    return ProcessorTestKafka.data("crash-host", id, direction, offset, text);
  }

  private KafkaProducer<String, byte[]> producer() {
    return ProcessorTestKafka.rawProducer(kafka.bootstrapServers());
  }

  private KafkaConsumer<String, ParsedMessage> parsedConsumer() {
    return ProcessorTestKafka.parsedConsumerFromEnd(kafka.bootstrapServers());
  }
}
