package io.ecapture.kafka.forwarder;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * At least once across a crash: the real {@code forward} command in a child JVM is killed with
 * SIGKILL mid-stream (no shutdown, no last commit) and started again with the same command line;
 * every event must be in the file, repeated at most for what was written after the last commit.
 */
class ForwarderCrashTest {
  private static final Pattern MARKER = Pattern.compile("X-Marker: (crash-\\d+)");

  @TempDir Path dir;

  private Process forward(Path brokerless, String bootstrap, Path events) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"), "--sun-misc-unsafe-memory-access=allow", "-Xmx256m",
        "-cp", System.getProperty("java.class.path"), ForwardMain.class.getName(),
        "--bootstrap", bootstrap, "--events", events.toString(), "--from", "earliest", "--status-port", "-1",
        "--group", "crash-group"));
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(brokerless.resolve("forward-" + System.nanoTime() + ".log").toFile()).start();
  }

  private static Map<String, Integer> markers(Path file) throws Exception {
    Map<String, Integer> seen = new HashMap<>();
    if (!Files.exists(file)) {
      return seen;
    }
    Matcher m = MARKER.matcher(Files.readString(file));
    while (m.find()) {
      seen.merge(m.group(1), 1, Integer::sum);
    }
    return seen;
  }

  private static void produce(KafkaProducer<byte[], byte[]> producer, String host, int from, int to) {
    for (int i = from; i < to; i++) {
      ParsedMessage m = Samples.request(host, "crash-" + i).toBuilder().setConnectionId(host + "/" + (i % 16)).build();
      producer.send(new ProducerRecord<>(Topics.PARSED.name(), m.getConnectionId().getBytes(), m.toByteArray()));
    }
    producer.flush();
  }

  private static void awaitMarkers(Path events, int count, Process forward) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (markers(events).size() < count) {
      if (System.nanoTime() > deadline || !forward.isAlive()) {
        throw new AssertionError("only " + markers(events).size() + " of " + count + " events written");
      }
      Thread.sleep(10);
    }
  }

  @Test
  void aKilledForwarderResumesAfterItsLastCommitAndLosesNothing() throws Exception {
    int total = 3000;
    Path events = dir.resolve("events.log");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"))) {
      TopicSetup.ensureTopics(kafka.bootstrapServers(), 2);
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      String host = "crash-" + UUID.randomUUID();
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
        produce(producer, host, 0, total / 2);
        Process first = forward(dir, kafka.bootstrapServers(), events);
        // the first half is written and, a few commit intervals later, committed
        awaitMarkers(events, total / 2, first);
        Thread.sleep(3000);
        produce(producer, host, total / 2, total);
        awaitMarkers(events, total / 2 + total / 20, first);
        first.destroyForcibly(); // SIGKILL mid-stream: no flush, no last commit
        first.waitFor(30, TimeUnit.SECONDS);
      }
      int beforeRestart = markers(events).size();
      Process second = forward(dir, kafka.bootstrapServers(), events);
      try {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (markers(events).size() < total && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
      } finally {
        second.destroy(); // SIGTERM: a clean stop
        second.waitFor(60, TimeUnit.SECONDS);
      }
      Map<String, Integer> seen = markers(events);
      for (int i = 0; i < total; i++) {
        assertTrue(seen.containsKey("crash-" + i), "event crash-" + i + " lost; " + seen.size() + " of " + total
            + " present" + File.separator);
      }
      long repeated = seen.values().stream().filter(n -> n > 1).count();
      System.err.println("crash test: " + beforeRestart + " events written before the kill, " + repeated
          + " written twice after the restart");
      for (int i = 0; i < total / 2; i++) {
        assertTrue(seen.get("crash-" + i) == 1, "crash-" + i + " was committed before the kill: never repeated");
      }
      assertTrue(repeated <= beforeRestart - total / 2, "only what was written after the last commit repeats: "
          + repeated);
    }
  }
}
