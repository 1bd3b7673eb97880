package io.ecapture.kafka.processor.bench;

import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.StreamsProcessor;
import io.ecapture.kafka.proto.Topics;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Throughput of (a) a pass-through topology (raw bytes in, the same bytes out) and (b) the full
 * parse topology on the same input in the same run, plus CPU per record.
 *
 * <p>Mode {@code driver}: TopologyTestDriver, one thread, no broker (the driver commits after
 * every record, so store writes are not batched: a pessimistic view of (b)). Mode
 * {@code broker}: an embedded single-node broker, the input pre-loaded, each app timed from its
 * first record to its last; CPU is the stream thread's. After a discarded warm-up of (b) it runs
 * (b), then (c): (b) with Kafka Streams' default producer linger (100 ms) instead of the
 * processor's shorter one, then (b) again, to show what the lower latency costs in throughput.
 *
 * <p>usage: {@code ProcessorThroughputBench driver|broker [connections [exchanges]]}
 */
public final class ProcessorThroughputBench {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "driver";
    int connections = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int exchanges = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    List<Workload.Item> items = Workload.build(connections, exchanges, 42);
    long bytes = Workload.payloadBytes(items);
    System.out.printf("workload: %d records, %.1f MB (%d connections x %d exchanges; 10%% HTTP/2)%n",
        items.size(), bytes / 1e6, connections, exchanges);
    Result a;
    Result b;
    if (mode.equals("broker")) {
      Path dir = Files.createTempDirectory("processor-bench");
      try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"))) {
        TopicSetup.ensureTopics(kafka.bootstrapServers(), 1);
        load(kafka.bootstrapServers(), items);
        a = brokerPassThrough(kafka.bootstrapServers(), dir, items.size());
        // warm the JIT on the full topology first: the first full run is otherwise ~1.7x slower
        brokerFull(brokerConfig(kafka.bootstrapServers(), dir, "bench-full-warmup"), items.size());
        b = brokerFull(kafka.bootstrapServers(), dir, items.size());
        // the processor's producer lingers less (for latency) than Kafka Streams' default 100 ms:
        // (c) and a second (b) alternate after it, so neither setting gets the warmer JIT
        Result c = brokerFull(brokerConfig(kafka.bootstrapServers(), dir, "bench-full-linger100")
            .toBuilder().streamsOverride("producer.linger.ms", "100").build(), items.size());
        Result b2 = brokerFull(brokerConfig(kafka.bootstrapServers(), dir, "bench-full-2"), items.size());
        report("(b') full parse again", b2, items.size(), bytes);
        report("(c) full parse, producer linger 100 ms", c, items.size(), bytes);
        System.out.printf("ratio mean(b, b')/c (records/s, linger %d ms vs 100 ms): %.3f; CPU per record: %.2fx%n",
            ProcessorConfig.DEFAULT_PRODUCER_LINGER_MS, c.seconds() / ((b.seconds() + b2.seconds()) / 2),
            (b.cpuNanos() + b2.cpuNanos()) / 2.0 / Math.max(1, c.cpuNanos()));
      }
    } else {
      driverRun("full", items, true); // warm-up: JIT both paths before measuring
      driverRun("pass-through", items, false);
      a = driverRun("pass-through", items, false);
      b = driverRun("full", items, true);
    }
    report("(a) pass-through", a, items.size(), bytes);
    report("(b) full parse", b, items.size(), bytes);
    System.out.printf("ratio b/a (records/s): %.3f; CPU per record b/a: %.1fx%n",
        (items.size() / b.seconds()) / (items.size() / a.seconds()),
        (double) b.cpuNanos() / Math.max(1, a.cpuNanos()));
  }

  record Result(double seconds, long cpuNanos, long outputs) {}

  private static void report(String name, Result r, int records, long bytes) {
    System.out.printf("%s: %.0f records/s, %.1f MB/s, %.1f us CPU/record, %d output records (%.2f s)%n",
        name, records / r.seconds(), bytes / 1e6 / r.seconds(), r.cpuNanos() / 1e3 / records,
        r.outputs(), r.seconds());
  }

  // --- TopologyTestDriver

  private static Result driverRun(String name, List<Workload.Item> items, boolean full)
      throws Exception {
    Path state = Files.createTempDirectory("bench-state");
    ProcessorConfig config = ProcessorConfig.builder().stateDir(state)
        .processingGuarantee(StreamsConfig.AT_LEAST_ONCE).build();
    Topology topology = full ? StreamsProcessor.buildTopology(config, new ProcessorMetrics())
        : passThrough(new AtomicLong());
    try (TopologyTestDriver driver = new TopologyTestDriver(topology, config.toStreamsProperties(),
        Instant.parse("2026-01-01T00:00:00Z"))) {
      TestInputTopic<String, byte[]> in = driver.createInputTopic(Topics.RAW.name(),
          new StringSerializer(), new ByteArraySerializer());
      TestOutputTopic<byte[], byte[]> out = driver.createOutputTopic(
          full ? Topics.PARSED.name() : PASS_THROUGH_TOPIC, new ByteArrayDeserializer(),
          new ByteArrayDeserializer());
      long outputs = 0;
      long cpu0 = THREADS.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      int n = 0;
      for (Workload.Item item : items) {
        in.pipeInput(item.key(), item.value());
        if (++n % 5000 == 0) {
          outputs += out.getQueueSize();
          out.readRecordsToList();
        }
      }
      driver.advanceWallClockTime(Duration.ofSeconds(5));
      outputs += out.getQueueSize();
      double seconds = (System.nanoTime() - t0) / 1e9;
      long cpu = THREADS.getCurrentThreadCpuTime() - cpu0;
      return new Result(seconds, cpu, outputs);
    }
  }

  private static final String PASS_THROUGH_TOPIC = "bench.passthrough";

  /** Raw bytes in, the same bytes out, counting: the cost of Kafka Streams alone. */
  static Topology passThrough(AtomicLong counter) {
    Topology topology = new Topology();
    topology.addSource("source", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(),
        Topics.RAW.name());
    topology.addProcessor("count", () -> new Processor<byte[], byte[], byte[], byte[]>() {
      private ProcessorContext<byte[], byte[]> context;

      @Override
      public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
      }

      @Override
      public void process(Record<byte[], byte[]> record) {
        counter.incrementAndGet();
        context.forward(record);
      }
    }, "source");
    topology.addSink("sink", PASS_THROUGH_TOPIC, Serdes.ByteArray().serializer(),
        Serdes.ByteArray().serializer(), "count");
    return topology;
  }

  // --- real broker

  private static void load(String bootstrap, List<Workload.Item> items) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(PASS_THROUGH_TOPIC, 1, (short) 1))).all().get();
    }
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 20,
        ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20, ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"),
        new StringSerializer(), new ByteArraySerializer())) {
      for (Workload.Item item : items) {
        producer.send(new ProducerRecord<>(Topics.RAW.name(), item.key(), item.value()));
      }
    }
  }

  private static ProcessorConfig brokerConfig(String bootstrap, Path dir, String app) {
    return ProcessorConfig.builder().bootstrapServers(bootstrap).applicationId(app)
        .stateDir(dir.resolve(app)).statsInterval(Duration.ofHours(1))
        .statusPort(ProcessorConfig.STATUS_PORT_OFF)
        // the input is pre-loaded, so processing wall-clock time is not capture time: a long idle
        // flush keeps messages whose chunks are far apart in the topic from being cut
        .idleFlush(Duration.ofSeconds(60)).build();
  }

  private static Result brokerPassThrough(String bootstrap, Path dir, int records) throws Exception {
    AtomicLong counter = new AtomicLong();
    ProcessorConfig config = brokerConfig(bootstrap, dir, "bench-pass");
    Properties props = config.toStreamsProperties();
    try (KafkaStreams streams = new KafkaStreams(passThrough(counter), props)) {
      streams.start();
      return timeUntil(counter::get, records, "bench-pass");
    }
  }

  private static Result brokerFull(String bootstrap, Path dir, int records) throws Exception {
    return brokerFull(brokerConfig(bootstrap, dir, "bench-full"), records);
  }

  private static Result brokerFull(ProcessorConfig config, int records) throws Exception {
    String app = config.applicationId();
    try (StreamsProcessor.Handle handle = StreamsProcessor.start(config)) {
      Result r = timeUntil(() -> handle.metrics().recordsIn(), records, app);
      Thread.sleep(500); // the last records' messages
      return new Result(r.seconds(), r.cpuNanos(), handle.metrics().messagesOut());
    }
  }

  private static Result timeUntil(java.util.function.LongSupplier processed, int records,
      String app) throws InterruptedException {
    while (processed.getAsLong() == 0) {
      Thread.sleep(1);
    }
    long t0 = System.nanoTime();
    long cpu0 = streamThreadCpu(app);
    while (processed.getAsLong() < records) {
      Thread.sleep(2);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Result(seconds, streamThreadCpu(app) - cpu0, processed.getAsLong());
  }

  /** CPU time of the app's stream threads (their names carry the application id). */
  private static long streamThreadCpu(String app) {
    long total = 0;
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (thread.getName().startsWith(app) && thread.getName().contains("StreamThread")) {
        total += Math.max(0, THREADS.getThreadCpuTime(thread.threadId()));
      }
    }
    return total;
  }
}
