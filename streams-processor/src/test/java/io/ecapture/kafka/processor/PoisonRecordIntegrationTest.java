package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.processor.topology.ConnectionProcessorSupplier;
import io.ecapture.kafka.processor.topology.DeadLetters;
import io.ecapture.kafka.processor.topology.TopologyNames;
import io.ecapture.kafka.proto.Serdes;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.ProcessInfo;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsData;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record that always fails processing with a {@link KafkaException} (what used to make the
 * stream thread replace itself forever), against a real KRaft broker with exactly-once: it is
 * tried {@link FailurePolicy#maxRecordAttempts()} times, then lands in ecapture.dlq with the
 * reason in headers, and the records after it are processed. Twice: the connection processor's
 * state store failing on the poison connection (retried in place, no thread replaced), and a node
 * in front of the connection processor failing on it (each retry replaces the stream thread).
 * Everything else is the production topology and start-up ({@link StreamsProcessor#start}).
 */
class PoisonRecordIntegrationTest {
  private static final Duration WAIT = Duration.ofSeconds(120);
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

  /** Fails every record whose key starts with "gate-poison/", as a deterministic serde failure would. */
  private static final class PoisonGate implements Processor<byte[], byte[], byte[], byte[]> {
    private ProcessorContext<byte[], byte[]> context;

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
      this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      String key = new String(record.key(), StandardCharsets.UTF_8);
      if (key.startsWith("gate-poison/")) {
        throw new KafkaException("deterministic failure on " + key);
      }
      context.forward(record);
    }
  }

  /** The production topology with the gate between the source and the connection processor. */
  private static Topology gated(ProcessorConfig config, ProcessorMetrics metrics) {
    return topology(config, metrics, true, Stores.persistentKeyValueStore(TopologyNames.STATE_STORE));
  }

  /** The production topology whose state store fails to read the state of a poison connection. */
  private static Topology failingStore(ProcessorConfig config, ProcessorMetrics metrics) {
    org.apache.kafka.streams.state.KeyValueBytesStoreSupplier real =
        Stores.persistentKeyValueStore(TopologyNames.STATE_STORE);
    org.apache.kafka.streams.state.KeyValueBytesStoreSupplier failing =
        new org.apache.kafka.streams.state.KeyValueBytesStoreSupplier() {
          @Override
          public String name() {
            return real.name();
          }

          @Override
          public org.apache.kafka.streams.state.KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]> get() {
            return new FailingStore(real.get());
          }

          @Override
          public String metricsScope() {
            return real.metricsScope();
          }
        };
    return topology(config, metrics, false, failing);
  }

  /** Reads of a key starting with "poison/" fail, as a corrupt or unreadable store would. */
  private static final class FailingStore
      extends org.apache.kafka.streams.state.internals.WrappedStateStore<
          org.apache.kafka.streams.state.KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]>,
          org.apache.kafka.common.utils.Bytes, byte[]>
      implements org.apache.kafka.streams.state.KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]> {
    FailingStore(org.apache.kafka.streams.state.KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]> inner) {
      super(inner);
    }

    @Override
    public byte[] get(org.apache.kafka.common.utils.Bytes key) {
      String text = new String(key.get(), StandardCharsets.UTF_8);
      if (text.startsWith("poison/")) {
        throw new org.apache.kafka.streams.errors.ProcessorStateException("cannot read the state of " + text);
      }
      return wrapped().get(key);
    }

    @Override
    public void put(org.apache.kafka.common.utils.Bytes key, byte[] value) {
      wrapped().put(key, value);
    }

    @Override
    public byte[] putIfAbsent(org.apache.kafka.common.utils.Bytes key, byte[] value) {
      return wrapped().putIfAbsent(key, value);
    }

    @Override
    public void putAll(List<org.apache.kafka.streams.KeyValue<org.apache.kafka.common.utils.Bytes, byte[]>> entries) {
      wrapped().putAll(entries);
    }

    @Override
    public byte[] delete(org.apache.kafka.common.utils.Bytes key) {
      return wrapped().delete(key);
    }

    @Override
    public org.apache.kafka.streams.state.KeyValueIterator<org.apache.kafka.common.utils.Bytes, byte[]> range(
        org.apache.kafka.common.utils.Bytes from, org.apache.kafka.common.utils.Bytes to) {
      return wrapped().range(from, to);
    }

    @Override
    public org.apache.kafka.streams.state.KeyValueIterator<org.apache.kafka.common.utils.Bytes, byte[]> all() {
      return wrapped().all();
    }

    @Override
    public long approximateNumEntries() {
      return wrapped().approximateNumEntries();
    }
  }

  private static Topology topology(ProcessorConfig config, ProcessorMetrics metrics, boolean gate,
      org.apache.kafka.streams.state.KeyValueBytesStoreSupplier store) {
    Topology topology = new Topology();
    topology.addSource(TopologyNames.SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
        Topics.RAW.name());
    String parent = TopologyNames.SOURCE;
    if (gate) {
      topology.addProcessor("poison-gate", PoisonGate::new, TopologyNames.SOURCE);
      parent = "poison-gate";
    }
    topology.addProcessor(TopologyNames.PROCESSOR, new ConnectionProcessorSupplier(config, metrics), parent);
    // as in production: a read of a key not cached by ConnectionStateStore reaches the store
    topology.addStateStore(StreamsProcessor.stateStore(config, Stores.keyValueStoreBuilder(store,
        org.apache.kafka.common.serialization.Serdes.String(), StreamsProcessor.STATE_SERDE)),
        TopologyNames.PROCESSOR);
    topology.addSink(TopologyNames.PARSED_SINK, Topics.PARSED.name(), Topics.PARSED.keySerde().serializer(),
        Topics.PARSED.valueSerde().serializer(), TopologyNames.PROCESSOR);
    topology.addSink(TopologyNames.DLQ_SINK, Topics.DLQ.name(), Topics.DLQ.keySerde().serializer(),
        Topics.DLQ.valueSerde().serializer(), TopologyNames.PROCESSOR);
    return topology;
  }

  @Test
  void aStateStoreFailureIsRetriedInPlaceThenDeadLetteredWithoutReplacingTheThread() throws Exception {
    ProcessorConfig config = ProcessorConfig.builder()
        .bootstrapServers(kafka.bootstrapServers())
        .applicationId("poison-store-it")
        .stateDir(dir.resolve("state-store"))
        .statusPort(0)
        .build();
    String run = UUID.randomUUID().toString().substring(0, 8);
    String poisonKey = "poison/" + run;
    try (KafkaProducer<byte[], byte[]> producer = producer();
        KafkaConsumer<String, ParsedMessage> parsed = consumer(new StringDeserializer(),
            Serdes.PARSED_MESSAGE.deserializer(), Topics.PARSED.name());
        KafkaConsumer<byte[], byte[]> dlq = consumer(new ByteArrayDeserializer(), new ByteArrayDeserializer(),
            Topics.DLQ.name());
        StreamsProcessor.Handle handle = StreamsProcessor.start(config, PoisonRecordIntegrationTest::failingStore)) {
      assertEquals(KafkaStreams.State.RUNNING, handle.state());
      byte[] poisonValue = request(poisonKey, "/poison-" + run).toByteArray();
      send(producer, "before/" + run, request("before/" + run, "/before-" + run).toByteArray());
      send(producer, poisonKey, poisonValue);
      send(producer, "after/" + run, request("after/" + run, "/after-" + run).toByteArray());

      List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
      List<ParsedMessage> messages = new ArrayList<>();
      await(() -> {
        dlq.poll(Duration.ofMillis(200)).forEach(r -> {
          if (new String(r.key(), StandardCharsets.UTF_8).equals(poisonKey)) {
            dead.add(r);
          }
        });
        parsed.poll(Duration.ofMillis(200)).forEach(r -> messages.add(r.value()));
        return !dead.isEmpty() && paths(messages).containsAll(List.of("/before-" + run, "/after-" + run));
      }, () -> "dead letters " + dead.size() + ", parsed " + paths(messages) + ", " + handle.metrics().summary());

      assertEquals(1, dead.size(), "dead-lettered once");
      ConsumerRecord<byte[], byte[]> letter = dead.getFirst();
      assertEquals(ByteString.copyFrom(poisonValue), ByteString.copyFrom(letter.value()), "the raw value as it came");
      assertTrue(header(letter, DeadLetters.HEADER_ERROR).startsWith("processing failed 3 times: ")
          && header(letter, DeadLetters.HEADER_ERROR).contains("cannot read the state of " + poisonKey),
          header(letter, DeadLetters.HEADER_ERROR));
      assertEquals(org.apache.kafka.streams.errors.ProcessorStateException.class.getName(),
          header(letter, DeadLetters.HEADER_ERROR_CLASS));
      assertEquals("3", header(letter, PoisonRecordHandler.HEADER_ATTEMPTS));
      assertTrue(paths(messages).stream().noneMatch(("/poison-" + run)::equals), "no half output of a failed attempt");

      ProcessorMetrics metrics = handle.metrics();
      assertEquals(2, metrics.poisonRetries(), "tried three times: two retries");
      assertEquals(1, metrics.poisonDeadLettered());
      assertEquals(0, metrics.threadFailures(), "no thread was replaced");
      assertEquals(KafkaStreams.State.RUNNING, handle.state());
    }
  }

  @Test
  void aFailureOutsideTheConnectionProcessorReplacesTheThreadABoundedNumberOfTimes() throws Exception {
    FailurePolicy quick = new FailurePolicy(3, 10, Duration.ofMinutes(10), Duration.ofMillis(200), Duration.ofSeconds(1));
    ProcessorConfig config = ProcessorConfig.builder()
        .bootstrapServers(kafka.bootstrapServers())
        .applicationId("poison-it")
        .stateDir(dir.resolve("state"))
        .statusPort(0)
        .failures(quick)
        // a replaced thread's consumer rejoins the group when the dead one's session expired
        // (Kafka Streams' members do not leave on close): 6 s instead of 45 s keeps this test short
        .streamsOverride("consumer.session.timeout.ms", "6000")
        .streamsOverride("consumer.heartbeat.interval.ms", "1000")
        .build();
    String run = UUID.randomUUID().toString().substring(0, 8);
    String poisonKey = "gate-poison/" + run;
    try (KafkaProducer<byte[], byte[]> producer = producer();
        KafkaConsumer<String, ParsedMessage> parsed = consumer(new StringDeserializer(),
            Serdes.PARSED_MESSAGE.deserializer(), Topics.PARSED.name());
        KafkaConsumer<byte[], byte[]> dlq = consumer(new ByteArrayDeserializer(), new ByteArrayDeserializer(),
            Topics.DLQ.name());
        StreamsProcessor.Handle handle = StreamsProcessor.start(config, PoisonRecordIntegrationTest::gated)) {
      assertEquals(KafkaStreams.State.RUNNING, handle.state());
      byte[] poisonValue = request(poisonKey, "/poison").toByteArray();
      send(producer, "before/" + run, request("before/" + run, "/before-" + run).toByteArray());
      send(producer, poisonKey, poisonValue);
      send(producer, "after/" + run, request("after/" + run, "/after-" + run).toByteArray());

      List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
      List<ParsedMessage> messages = new ArrayList<>();
      await(() -> {
        dlq.poll(Duration.ofMillis(200)).forEach(r -> {
          if (new String(r.key(), StandardCharsets.UTF_8).equals(poisonKey)) {
            dead.add(r);
          }
        });
        parsed.poll(Duration.ofMillis(200)).forEach(r -> messages.add(r.value()));
        return !dead.isEmpty() && paths(messages).containsAll(List.of("/before-" + run, "/after-" + run));
      }, () -> "dead letters " + dead.size() + ", parsed " + paths(messages) + ", " + handle.metrics().summary());

      assertEquals(1, dead.size(), "dead-lettered once");
      ConsumerRecord<byte[], byte[]> letter = dead.getFirst();
      assertEquals(poisonKey, new String(letter.key(), StandardCharsets.UTF_8));
      assertEquals(ByteString.copyFrom(poisonValue), ByteString.copyFrom(letter.value()), "the raw value as it came");
      assertTrue(header(letter, DeadLetters.HEADER_ERROR).contains("deterministic failure on " + poisonKey),
          header(letter, DeadLetters.HEADER_ERROR));
      assertEquals(KafkaException.class.getName(), header(letter, DeadLetters.HEADER_ERROR_CLASS));
      assertEquals(Topics.RAW.name(), header(letter, DeadLetters.HEADER_SOURCE_TOPIC));
      assertEquals("3", header(letter, PoisonRecordHandler.HEADER_ATTEMPTS));
      assertTrue(Long.parseLong(header(letter, DeadLetters.HEADER_SOURCE_OFFSET)) >= 0);

      ProcessorMetrics metrics = handle.metrics();
      assertEquals(2, metrics.poisonRetries(), "tried three times: two retries");
      assertEquals(1, metrics.poisonDeadLettered());
      assertEquals(2, metrics.threadFailures(), "each retry replaced the thread once, then no more");
      assertEquals(1, metrics.deadLettered());
      assertEquals(1, paths(messages).stream().filter(("/after-" + run)::equals).count(),
          "exactly once: the retried attempts' output was aborted");
      await(() -> handle.state() == KafkaStreams.State.RUNNING, () -> "state " + handle.state());

      // the app keeps processing: a record sent now arrives
      send(producer, "later/" + run, request("later/" + run, "/later-" + run).toByteArray());
      await(() -> {
        parsed.poll(Duration.ofMillis(200)).forEach(r -> messages.add(r.value()));
        return paths(messages).contains("/later-" + run);
      }, () -> "parsed " + paths(messages));
      assertEquals(2, metrics.threadFailures());

      String status = new String(java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(
              "http://127.0.0.1:" + handle.statusPort() + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body(), StandardCharsets.UTF_8);
      assertTrue(status.contains("ecapture_processor_poison_dead_lettered_total 1.0"), status);
      assertTrue(status.contains("ecapture_processor_poison_retries_total 2.0"), status);
      assertTrue(status.contains("ecapture_processor_thread_failures_total 2.0"), status);
    }
  }

  /** One complete HTTP/1 request of connection {@code id}. */
  private static RawEvent request(String id, String path) {
    String text = "GET " + path + " HTTP/1.1\r\nHost: poison.test\r\n\r\n";
    return RawEvent.newBuilder()
        .setConnectionId(id)
        .setHostId("poison-host")
        .setProcess(ProcessInfo.newBuilder().setPid(7).setTid(7).setComm("curl"))
        .setWallTimeNs(System.currentTimeMillis() * 1_000_000L)
        .setData(TlsData.newBuilder().setDirection(Direction.WRITE).setOffset(0)
            .setPayload(ByteString.copyFromUtf8(text)).setOriginalLength(text.length()))
        .build();
  }

  private static List<String> paths(List<ParsedMessage> messages) {
    return messages.stream().filter(ParsedMessage::hasHttp).map(m -> m.getHttp().getPath()).toList();
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static void await(BooleanSupplier condition, java.util.function.Supplier<String> what)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + WAIT + ": " + what.get());
      }
      Thread.sleep(50);
    }
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, String key, byte[] value) throws Exception {
    producer.send(new ProducerRecord<>(Topics.RAW.name(), key.getBytes(StandardCharsets.UTF_8), value)).get();
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static <K, V> KafkaConsumer<K, V> consumer(org.apache.kafka.common.serialization.Deserializer<K> keys,
      org.apache.kafka.common.serialization.Deserializer<V> values, String topic) {
    KafkaConsumer<K, V> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "poison-it-" + topic + "-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), keys, values);
    consumer.subscribe(List.of(topic));
    return consumer;
  }
}
