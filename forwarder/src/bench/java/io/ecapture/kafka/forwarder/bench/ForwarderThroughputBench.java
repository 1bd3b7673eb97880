package io.ecapture.kafka.forwarder.bench;

import com.sun.net.httpserver.HttpServer;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.forwarder.Forwarder;
import io.ecapture.kafka.forwarder.ForwarderConfig;
import io.ecapture.kafka.forwarder.Samples;
import io.ecapture.kafka.forwarder.format.Format;
import io.ecapture.kafka.forwarder.sink.Sink;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Records per second the forwarder moves from {@code ecapture.parsed} to each kind of target, for
 * N realistic HTTP request messages (the test's sample, ~110 B rendered, a unique marker each),
 * each run a new group reading from the earliest offset, until the sink counted all N as sent.
 * Baseline in the same run: a bare consumer reading (and parsing) the same N records.
 * usage: bench/forwarder-throughput.sh [EVENTS]
 */
public final class ForwarderThroughputBench {
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    Path dir = Files.createTempDirectory("forwarder-bench");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"))) {
      String bootstrap = kafka.bootstrapServers();
      TopicSetup.ensureTopics(bootstrap, 4);
      produce(bootstrap, n);
      System.out.printf("forwarder throughput: %d events (%d cores)%n%n", n, Runtime.getRuntime().availableProcessors());
      double base = baseline(bootstrap, n);
      System.out.println("target                 | format   | events/s | vs bare consumer");
      System.out.println("-----------------------|----------|----------|-----------------");
      System.out.printf("bare consumer (parse)  | -        | %8.0f | 1.00x%n", base);
      row("file", Format.TEXT, dir.resolve("e.txt").toString(), bootstrap, n, base);
      row("file", Format.JSON, dir.resolve("e.ndjson").toString(), bootstrap, n, base);
      try (ServerSocket tcp = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
        Thread.ofPlatform().daemon().start(() -> drain(tcp));
        row("tcp", Format.JSON, "tcp://127.0.0.1:" + tcp.getLocalPort(), bootstrap, n, base);
      }
      HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      http.createContext("/", ex -> {
        ex.getRequestBody().readAllBytes();
        ex.sendResponseHeaders(200, -1);
        ex.close();
      });
      http.start();
      String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/ingest";
      row("http (batches of 100)", Format.JSON, url, bootstrap, n, base);
      row("http (batches of 100)", Format.PROTOBUF, url, bootstrap, n, base);
      http.stop(0);
    }
  }

  private static void row(String target, Format format, String spec, String bootstrap, int n, double base)
      throws Exception {
    double rate = forward(spec, format, bootstrap, n);
    System.out.printf("%-22s | %-8s | %8.0f | %.2fx%n", target, format.spelling(), rate, rate / base);
  }

  private static void produce(String bootstrap, int n) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < n; i++) {
        ParsedMessage m = Samples.request("bench-host", "m-" + i).toBuilder().setConnectionId("bench/" + (i % 64)).build();
        producer.send(new ProducerRecord<>(Topics.PARSED.name(), m.getConnectionId().getBytes(), m.toByteArray()));
      }
      producer.flush();
    }
  }

  private static double baseline(String bootstrap, int n) throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-baseline");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(Topics.PARSED.name()));
      long count = 0;
      long start = 0;
      while (count < n) {
        var records = c.poll(Duration.ofMillis(200));
        if (start == 0 && !records.isEmpty()) {
          start = System.nanoTime();
        }
        for (var r : records) {
          ParsedMessage.parseFrom(r.value());
          count++;
        }
      }
      return n / ((System.nanoTime() - start) / 1e9);
    }
  }

  private static double forward(String spec, Format format, String bootstrap, int n) throws Exception {
    ForwarderConfig config = ForwarderConfig.builder().name("bench").bootstrapServers(bootstrap).events(spec)
        .format(format).from("earliest").groupId("bench-" + System.nanoTime()).statusPort(-1).rotateBytes(0).build();
    try (Forwarder f = Forwarder.start(config)) {
      Sink sink = f.eventsSink();
      long start = 0;
      while (sink.counters().sent.sum() + sink.counters().dropped.sum() < n) {
        if (start == 0 && sink.counters().sent.sum() > 0) {
          start = System.nanoTime();
        }
        Thread.sleep(1);
      }
      if (sink.counters().dropped.sum() > 0) {
        throw new IllegalStateException(spec + ": " + sink.counters().snapshot());
      }
      return n / ((System.nanoTime() - start) / 1e9);
    }
  }

  private static void drain(ServerSocket server) {
    byte[] buffer = new byte[1 << 16];
    AtomicLong bytes = new AtomicLong();
    try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
      int r;
      while ((r = in.read(buffer)) >= 0) {
        bytes.addAndGet(r);
      }
    } catch (Exception e) {
      // closed
    }
  }

  @SuppressWarnings("unused")
  private static final Map<String, String> NONE = Map.of();
}
