package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.proto.Serdes;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.ProcessInfo;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsData;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the processor's tests against a real broker share: raw events written as the collector
 * writes them, parsed messages read as the gateway reads them (read_committed), and the processor
 * command in a child JVM that a test can kill like a crash (SIGKILL).
 */
final class ProcessorTestKafka {
  private ProcessorTestKafka() {}

  /** A TLS data event of connection {@code id} on {@code host} (text as ISO-8859-1 bytes). */
  static RawEvent data(String host, String id, Direction direction, long offset, String text) {
    return data(host, id, direction, offset, text.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** A TLS data event of connection {@code id} on {@code host} carrying {@code payload}. */
  static RawEvent data(String host, String id, Direction direction, long offset, byte[] payload) {
    return RawEvent.newBuilder()
        .setHostId(host)
        .setConnectionId(id)
        .setProcess(ProcessInfo.newBuilder().setPid(9).setTid(9).setComm("curl"))
        .setWallTimeNs(System.currentTimeMillis() * 1_000_000L)
        .setData(TlsData.newBuilder().setDirection(direction).setOffset(offset)
            .setPayload(ByteString.copyFrom(payload))
            .setOriginalLength(payload.length))
        .build();
  }

  static KafkaProducer<String, byte[]> rawProducer(String bootstrap) {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
  }

  /** To {@code ecapture.raw}, keyed by connection as the collector keys it. */
  static void send(KafkaProducer<String, byte[]> producer, RawEvent event) {
    producer.send(new ProducerRecord<>(Topics.RAW.name(), event.getConnectionId(), event.toByteArray()));
  }

  /** A read_committed consumer of every partition of the parsed topic, from its current end. */
  static KafkaConsumer<String, ParsedMessage> parsedConsumerFromEnd(String bootstrap) {
    return parsedConsumer(bootstrap, true);
  }

  /** A read_committed consumer of every partition of the parsed topic, from its beginning. */
  static KafkaConsumer<String, ParsedMessage> parsedConsumerFromBeginning(String bootstrap) {
    return parsedConsumer(bootstrap, false);
  }

  private static KafkaConsumer<String, ParsedMessage> parsedConsumer(String bootstrap, boolean fromEnd) {
    KafkaConsumer<String, ParsedMessage> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), Serdes.PARSED_MESSAGE.deserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    consumer.partitionsFor(Topics.PARSED.name())
        .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
    consumer.assign(partitions);
    if (fromEnd) {
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position); // resolve the end now, before any test traffic
    } else {
      consumer.seekToBeginning(partitions);
    }
    return consumer;
  }

  /**
   * The processor command (its defaults: exactly_once_v2) in a child JVM: a 60 s idle flush, a
   * 3 s session timeout and a 5 s transaction timeout, so a killed child's partitions move soon.
   */
  static final class ChildProcessor {
    private final Process process;
    private final Duration wait;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final AtomicInteger runningCount = new AtomicInteger();

    ChildProcessor(String bootstrap, String app, Path stateDir, String statusPort, Duration wait)
        throws Exception {
      this.wait = wait;
      List<String> command = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
          "-Xmx512m", "-cp", System.getProperty("java.class.path"),
          ProcessorCommand.class.getName(),
          "--bootstrap", bootstrap, "--application-id", app,
          "--state-dir", stateDir.toString(), "--idle-flush-ms", "60000", "--status-port", statusPort));
      for (String property : List.of("consumer.session.timeout.ms=3000",
          "consumer.heartbeat.interval.ms=500", "producer.transaction.timeout.ms=5000")) {
        command.add("--streams-property");
        command.add(property);
      }
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
      Thread reader = new Thread(this::readOutput, "child-processor-output");
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
            runningCount.incrementAndGet();
          }
        }
      } catch (java.io.IOException e) {
        // the child died: nothing more to read
      }
    }

    /** Waits until the child went RUNNING {@code times} times (2: again after a rebalance). */
    void awaitRunning(int times) throws InterruptedException {
      long deadline = System.nanoTime() + wait.toNanos();
      while (runningCount.get() < times && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertTrue(runningCount.get() >= times,
          "child processor not RUNNING " + times + " time(s); output: " + lines);
    }

    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
