package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under exactly_once_v2 a parsed message reaches a read_committed reader (the gateway) through
 * the commit the processor requests after emitting it ({@link CommitPacing}), not through the
 * commit interval: with a 5 min interval, a request and its response still arrive, in order;
 * with the requests turned off the same messages stay invisible until the processor closes (and
 * commits). Real single-node KRaft broker; no timing assertion: the 5 min interval is far beyond
 * every wait here.
 */
class CommitRequestIntegrationTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  /** Longer than any wait of the test: only a requested commit (or a close) commits. */
  private static final String NEVER_MS = Long.toString(Duration.ofMinutes(5).toMillis());
  /** A transaction may stay open that long (Streams refuses a timeout below the interval). */
  private static final String TRANSACTION_TIMEOUT_MS = Long.toString(Duration.ofMinutes(10).toMillis());
  @TempDir static Path dir;
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start(dir.resolve("broker"));
    TopicSetup.ensureTopics(kafka.bootstrapServers(), 1);
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  private static ProcessorConfig config(CommitPacing pacing) {
    return ProcessorConfig.builder()
        .bootstrapServers(kafka.bootstrapServers())
        .applicationId("it-commit-request")
        .stateDir(dir.resolve("state"))
        .statusPort(ProcessorConfig.STATUS_PORT_OFF)
        .streamsOverride("commit.interval.ms", NEVER_MS)
        .streamsOverride("producer.transaction.timeout.ms", TRANSACTION_TIMEOUT_MS)
        .commitPacing(pacing)
        .build();
  }

  @Test
  void aParsedMessageIsVisibleThroughTheRequestedCommitNotTheInterval() throws Exception {
    try (KafkaProducer<String, byte[]> producer = producer();
        KafkaConsumer<String, ParsedMessage> parsed = readCommitted()) {
      // requests off: the processor emits the request, but nothing commits its transaction
      try (StreamsProcessor.Handle handle = StreamsProcessor.start(config(CommitPacing.OFF))) {
        send(producer, "c0", Direction.WRITE, "GET /unseen HTTP/1.1\r\nHost: it.test\r\n\r\n");
        awaitMessagesOut(handle, 1);
        // emitted and produced, not committed: a read_committed reader sees nothing (absence is
        // all this asserts; a slow machine only makes it wait longer for the same answer)
        List<ParsedMessage> none = new ArrayList<>();
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < until) {
          parsed.poll(Duration.ofMillis(200)).forEach(r -> none.add(r.value()));
        }
        assertEquals(List.of(), none, "visible without a commit");
      } // close commits: the message becomes visible
      assertEquals(List.of("/unseen"), paths(poll(parsed, 1)));

      // requests on (the defaults): visible without waiting for the 5 min interval
      try (StreamsProcessor.Handle handle = StreamsProcessor.start(config(CommitPacing.DEFAULTS))) {
        send(producer, "c1", Direction.WRITE, "GET /seen HTTP/1.1\r\nHost: it.test\r\n\r\n");
        send(producer, "c1", Direction.READ, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        List<ParsedMessage> pair = poll(parsed, 2);
        assertEquals(List.of(MessageKind.REQUEST, MessageKind.RESPONSE),
            pair.stream().map(ParsedMessage::getKind).toList(), "the request, then its response");
        assertEquals("/seen", pair.get(0).getHttp().getPath());
        assertEquals(200, pair.get(1).getHttp().getStatus());
        // a later exchange on another connection, after a quiet time: committed at once as well
        send(producer, "c2", Direction.WRITE, "GET /later HTTP/1.1\r\nHost: it.test\r\n\r\n");
        assertEquals(List.of("/later"), paths(poll(parsed, 1)));
        assertEquals(3, handle.metrics().messagesOut());

        // four records sent as one batch (two exchanges, one partition) reach the processor in
        // one poll: one requested commit makes all four messages visible, not one per record
        // (LastFetchedOffsets); a punctuation between two of them could add one, never three
        long before = handle.metrics().commitRequests();
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
        sent.add(sendAsync(producer, "c3", Direction.WRITE, "GET /b1 HTTP/1.1\r\nHost: it.test\r\n\r\n"));
        sent.add(sendAsync(producer, "c4", Direction.WRITE, "GET /b2 HTTP/1.1\r\nHost: it.test\r\n\r\n"));
        sent.add(sendAsync(producer, "c3", Direction.READ, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        sent.add(sendAsync(producer, "c4", Direction.READ, "HTTP/1.1 204 No Content\r\n\r\n"));
        producer.flush();
        for (java.util.concurrent.Future<?> f : sent) {
          f.get();
        }
        List<ParsedMessage> batch = poll(parsed, 4);
        assertEquals(List.of(MessageKind.REQUEST, MessageKind.REQUEST, MessageKind.RESPONSE,
            MessageKind.RESPONSE), batch.stream().map(ParsedMessage::getKind).toList());
        long requests = handle.metrics().commitRequests() - before;
        assertTrue(requests >= 1 && requests <= 2,
            "commit requests for one polled batch of four emitting records: " + requests);
      }
    }
  }

  /** As {@link #send}, not waiting: records sent so go out in one producer batch. */
  private static java.util.concurrent.Future<?> sendAsync(KafkaProducer<String, byte[]> producer,
      String connection, Direction direction, String text) {
    long offset = direction == Direction.WRITE ? written(connection, text.length()) : read(connection, text.length());
    RawEvent event = ProcessorTestKafka.data("it-host", connection, direction, offset, text);
    return producer.send(new ProducerRecord<>(Topics.RAW.name(), connection, event.toByteArray()));
  }

  private static List<String> paths(List<ParsedMessage> messages) {
    return messages.stream().map(m -> m.getHttp().getPath()).toList();
  }

  private static void awaitMessagesOut(StreamsProcessor.Handle handle, long count) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (handle.metrics().messagesOut() < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the processor emitted " + handle.metrics().messagesOut() + " messages");
      }
      Thread.sleep(50);
    }
  }

  private static void send(KafkaProducer<String, byte[]> producer, String connection, Direction direction,
      String text) throws Exception {
    sendAsync(producer, connection, direction, text).get();
  }

  private static final Map<String, long[]> OFFSETS = new java.util.HashMap<>();

  private static long written(String connection, int length) {
    long[] o = OFFSETS.computeIfAbsent(connection, k -> new long[2]);
    o[0] += length;
    return o[0] - length;
  }

  private static long read(String connection, int length) {
    long[] o = OFFSETS.computeIfAbsent(connection, k -> new long[2]);
    o[1] += length;
    return o[1] - length;
  }

  private static KafkaProducer<String, byte[]> producer() {
    return ProcessorTestKafka.rawProducer(kafka.bootstrapServers());
  }

  private static KafkaConsumer<String, ParsedMessage> readCommitted() {
    return ProcessorTestKafka.parsedConsumerFromBeginning(kafka.bootstrapServers());
  }

  /** Polls until {@code count} records arrived; fails after a generous bound (a hang, not a timing). */
  private static List<ParsedMessage> poll(KafkaConsumer<String, ParsedMessage> consumer, int count) {
    List<ParsedMessage> out = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (out.size() < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("expected " + count + " records, got " + out.size());
      }
      consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
    }
    return out;
  }
}
