package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.processor.ProcessorTestKafka.ChildProcessor;
import io.ecapture.kafka.proto.capture.ConnectionClose;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
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
 * Several processor instances of one application id against a real broker (4 partitions):
 * partitions are shared, and under exactly_once_v2 a crashed instance (a child JVM killed with
 * SIGKILL, so it neither commits nor leaves the group) costs neither messages nor duplicates in
 * the read_committed output.
 */
class ScaleOutIntegrationTest {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final int PARTITIONS = 4;
  @TempDir Path dir;
  private EmbeddedKafka kafka;

  /** A broker per test: a new application id would otherwise replay the other test's input. */
  @BeforeEach
  void startBroker() {
    // the broker's default minimum session timeout (6 s) would make failover slow to test
    kafka = EmbeddedKafka.start(new EmbeddedKafka.Settings(dir.resolve("broker"), "127.0.0.1",
        EmbeddedKafka.freePort(), EmbeddedKafka.freePort(),
        Map.of("group.min.session.timeout.ms", "1000")));
    TopicSetup.ensureTopics(kafka.bootstrapServers(), PARTITIONS);
  }

  @AfterEach
  void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void twoInstancesShareThePartitionsAndEmitEveryMessageOnce() throws Exception {
    String app = "scale-out";
    int connections = 40;
    try (StreamsProcessor.Handle a = StreamsProcessor.start(config(app, "a"));
        StreamsProcessor.Handle b = StreamsProcessor.start(config(app, "b"));
        KafkaProducer<String, byte[]> producer = producer();
        KafkaConsumer<String, ParsedMessage> parsed = parsedConsumer()) {
      awaitRunning(a);
      awaitRunning(b);
      for (int i = 0; i < connections; i++) {
        String id = "so-" + i;
        sendAll(producer, firstExchange(id));
        sendAll(producer, List.of(halfRequest(id, true)));
        sendAll(producer, secondExchangeWithClose(id));
      }
      producer.flush();
      Map<String, Integer> seen = collect(parsed, 4 * connections);
      assertExactlyOnce(seen, "so-", connections);
      // both instances did work: the partitions were shared, not all taken by one
      assertTrue(a.metrics().recordsIn() > 0 && b.metrics().recordsIn() > 0,
          "records in: a=" + a.metrics().recordsIn() + " b=" + b.metrics().recordsIn());
      assertEquals(4L * connections, a.metrics().messagesOut() + b.metrics().messagesOut());
    }
  }

  @Test
  void aKilledInstanceLosesAndDuplicatesNothingUnderExactlyOnce() throws Exception {
    String app = "failover";
    int connections = 40;
    ChildProcessor child = new ChildProcessor(kafka.bootstrapServers(), app, dir.resolve("state-child"), "0", WAIT);
    try (KafkaProducer<String, byte[]> producer = producer();
        KafkaConsumer<String, ParsedMessage> parsed = parsedConsumer()) {
      child.awaitRunning(1);
      try (StreamsProcessor.Handle survivor = StreamsProcessor.start(config(app, "survivor"))) {
        awaitRunning(survivor);
        child.awaitRunning(2); // the rebalance that gave the survivor its share is over

        // wave 1: a whole exchange per connection plus the first half of a second request,
        // which waits in the state store of whichever instance owns the connection
        for (int i = 0; i < connections; i++) {
          sendAll(producer, firstExchange("fo-" + i));
          sendAll(producer, List.of(halfRequest("fo-" + i, true)));
        }
        producer.flush();
        Map<String, Integer> seen = collect(parsed, 2 * connections);
        assertTrue(survivor.metrics().messagesOut() < 2L * connections,
            "the child produced part of the output (survivor alone: "
                + survivor.metrics().messagesOut() + ")");

        // wave 2 in flight while the child dies: it may have produced records of an open
        // transaction, which read_committed consumers must never see
        for (int i = 0; i < connections / 2; i++) {
          sendAll(producer, secondExchangeWithClose("fo-" + i));
        }
        producer.flush();
        child.kill();
        for (int i = connections / 2; i < connections; i++) {
          sendAll(producer, secondExchangeWithClose("fo-" + i));
        }
        producer.flush();

        Map<String, Integer> rest = collect(parsed, 2 * connections);
        rest.forEach((k, v) -> seen.merge(k, v, Integer::sum));
        assertExactlyOnce(seen, "fo-", connections);
        assertEquals(0, survivor.metrics().processingErrors());
      }
    } finally {
      child.kill();
    }
  }

  // --- the traffic: per connection, two HTTP/1.1 exchanges, the second request in two chunks

  private static final String REQUEST_1 = "GET /one HTTP/1.1\r\nHost: t\r\n\r\n";
  private static final String RESPONSE_1 = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none";
  private static final String REQUEST_2 = "POST /two HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\ntwo";
  private static final String RESPONSE_2 = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
  private static final int HALF = 20;

  private static List<RawEvent> firstExchange(String id) {
    return List.of(data(id, Direction.WRITE, 0, REQUEST_1), data(id, Direction.READ, 0, RESPONSE_1));
  }

  private static RawEvent halfRequest(String id, boolean first) {
    return first ? data(id, Direction.WRITE, REQUEST_1.length(), REQUEST_2.substring(0, HALF))
        : data(id, Direction.WRITE, REQUEST_1.length() + HALF, REQUEST_2.substring(HALF));
  }

  private static List<RawEvent> secondExchangeWithClose(String id) {
    List<RawEvent> events = new ArrayList<>();
    events.add(halfRequest(id, false));
    events.add(data(id, Direction.READ, RESPONSE_1.length(), RESPONSE_2));
    events.add(RawEvent.newBuilder().setConnectionId(id).setClose(ConnectionClose.newBuilder()
        .setBytesWritten(REQUEST_1.length() + REQUEST_2.length())
        .setBytesRead(RESPONSE_1.length() + RESPONSE_2.length())).build());
    return events;
  }

  /** Exactly the four expected messages per connection, each once, with the right content. */
  private static void assertExactlyOnce(Map<String, Integer> seen, String prefix, int connections) {
    Map<String, Integer> expected = new TreeMap<>();
    for (int i = 0; i < connections; i++) {
      expected.put(prefix + i + " REQUEST /one", 1);
      expected.put(prefix + i + " RESPONSE 200 one", 1);
      expected.put(prefix + i + " REQUEST /two two", 1);
      expected.put(prefix + i + " RESPONSE 201 ", 1);
    }
    assertEquals(expected, new TreeMap<>(seen));
  }

  private static String describe(ParsedMessage m) {
    String body = m.getHttp().getBody().toStringUtf8();
    return m.getConnectionId() + " " + m.getKind() + " " + (m.getKind() == MessageKind.REQUEST
        ? m.getHttp().getPath() + (body.isEmpty() ? "" : " " + body)
        : m.getHttp().getStatus() + " " + body);
  }

  /**
   * Reads until {@code count} messages arrived, then a little longer so a duplicate that follows
   * would be seen too (the bound is a hang guard, not a timing assertion).
   */
  private static Map<String, Integer> collect(KafkaConsumer<String, ParsedMessage> consumer,
      int count) {
    Map<String, Integer> seen = new TreeMap<>();
    int total = 0;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (total < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("expected " + count + " messages, got " + total + ": " + seen);
      }
      for (var record : consumer.poll(Duration.ofMillis(200))) {
        seen.merge(describe(record.value()), 1, Integer::sum);
        total++;
      }
    }
    long quiet = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (System.nanoTime() < quiet) {
      for (var record : consumer.poll(Duration.ofMillis(200))) {
        seen.merge(describe(record.value()), 1, Integer::sum);
      }
    }
    return seen;
  }

  private ProcessorConfig config(String app, String instance) {
    return ProcessorConfig.builder()
        .bootstrapServers(kafka.bootstrapServers())
        .applicationId(app)
        .stateDir(dir.resolve("state-" + app + "-" + instance))
        .idleFlush(Duration.ofSeconds(60))
        .statusPort(0) // several instances in one JVM
        .streamsOverride("consumer.session.timeout.ms", "3000")
        .streamsOverride("consumer.heartbeat.interval.ms", "500")
        .streamsOverride("producer.transaction.timeout.ms", "5000")
        .build();
  }

  private static void awaitRunning(StreamsProcessor.Handle handle) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (handle.state() != KafkaStreams.State.RUNNING && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(KafkaStreams.State.RUNNING, handle.state());
  }

  private static RawEvent data(String id, Direction direction, long offset, String text) {
    return ProcessorTestKafka.data("scale-host", id, direction, offset, text);
  }

  private static void sendAll(KafkaProducer<String, byte[]> producer, List<RawEvent> events) {
    events.forEach(event -> ProcessorTestKafka.send(producer, event));
  }

  private KafkaProducer<String, byte[]> producer() {
    return ProcessorTestKafka.rawProducer(kafka.bootstrapServers());
  }

  private KafkaConsumer<String, ParsedMessage> parsedConsumer() {
    return ProcessorTestKafka.parsedConsumerFromEnd(kafka.bootstrapServers());
  }
}
