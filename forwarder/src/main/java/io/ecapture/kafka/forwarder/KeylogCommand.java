package io.ecapture.kafka.forwarder;

import io.ecapture.kafka.common.KafkaClientOptions;
import io.ecapture.kafka.common.RunUntilSignal;
import io.ecapture.kafka.proto.Topics;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ecapture-kafka keylog --out FILE [--host H] [--follow]}: the NSS key-log file (what
 * SSLKEYLOGFILE holds, what Wireshark reads) from {@code ecapture.keylog}, eCapture's {@code -m
 * keylog} for the whole fleet. Reads every partition from its beginning (no consumer group: it
 * writes the whole file each time), keeps the lines of the chosen hosts, writes each distinct
 * line once, in topic order, then exits at the end of the topic; with {@code --follow} it keeps
 * appending as keys arrive until Ctrl-C / SIGTERM. The file is created {@code 0600} (key material
 * decrypts the captured sessions).
 */
@Command(
    name = "keylog",
    mixinStandardHelpOptions = true,
    description = {
      "Write the NSS key-log file (SSLKEYLOGFILE format, for Wireshark) from ecapture.keylog.",
      "Without --follow it stops at the end of the topic; with it, it keeps appending."
    })
public final class KeylogCommand implements Callable<Integer> {
  @Option(names = "--bootstrap", description = "Kafka bootstrap servers (default: $ECAPTURE_KAFKA_BOOTSTRAP, else ${DEFAULT-VALUE}).")
  String bootstrap = KafkaClientOptions.defaultBootstrap(ForwarderConfig.DEFAULT_BOOTSTRAP);

  @Option(names = {"--out", "-k", "--keylogfile"}, required = true, paramLabel = "FILE", description = "The key-log file (replaced).")
  Path out;

  @Option(names = "--host", description = "Only keys of this host id (repeatable). Default: every host")
  List<String> hosts = new ArrayList<>();

  @Option(names = "--follow", description = "Keep appending keys as they arrive.")
  boolean follow;

  /** --command-config FILE, --kafka-property KEY=VALUE, --topic-prefix: as every command. */
  @Mixin
  KafkaClientOptions kafka = new KafkaClientOptions();

  @Override
  public Integer call() throws Exception {
    try (KeylogWriter writer = new KeylogWriter(bootstrap, kafka.properties(System.err), kafka.topics().keylog(), out,
        Set.copyOf(hosts))) {
      if (!follow) {
        long lines = writer.copyToEnd();
        System.err.println("ecapture-kafka keylog: " + lines + " line(s) written to " + out);
        return 0;
      }
      writer.copyToEnd();
      System.err.println("ecapture-kafka keylog: following ecapture.keylog into " + out + " (Ctrl-C stops)");
      Thread follower = Thread.ofPlatform().name("keylog-follow").start(writer::follow);
      RunUntilSignal.await("keylog", () -> {
        writer.stop();
        follower.join(10_000);
      });
      return 0;
    } catch (IOException e) {
      System.err.println("ecapture-kafka keylog: " + e.getMessage());
      return 1;
    }
  }

  /** Copies key-log lines from the topic to the file. */
  public static final class KeylogWriter implements AutoCloseable {
    private final KafkaConsumer<String, String> consumer;
    private final FileChannel file;
    private final Set<String> hosts;
    private final Set<String> seen = new LinkedHashSet<>();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CountDownLatch followed = new CountDownLatch(1);
    private long written;

    public KeylogWriter(String bootstrap, Map<String, String> overrides, Path out, Set<String> hosts) throws IOException {
      this(bootstrap, overrides, Topics.KEYLOG.name(), out, hosts);
    }

    public KeylogWriter(String bootstrap, Map<String, String> overrides, String topic, Path out, Set<String> hosts)
        throws IOException {
      this.hosts = hosts;
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
      p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      p.putAll(overrides);
      Path parent = out.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.deleteIfExists(out);
      this.file = FileChannel.open(out, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
          java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
              java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
      this.consumer = new KafkaConsumer<>(p);
      List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (partitions == null || partitions.isEmpty()) {
        close();
        throw new IOException("topic " + topic + " not found at " + bootstrap);
      }
      List<TopicPartition> tps = partitions.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
    }

    /** Reads up to the end offsets found now; the lines written so far in all. */
    public long copyToEnd() throws IOException {
      Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(30));
      while (true) {
        boolean done = true;
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
          if (consumer.position(e.getKey(), Duration.ofSeconds(30)) < e.getValue()) {
            done = false;
          }
        }
        if (done) {
          file.force(false);
          return written;
        }
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          write(r);
        }
      }
    }

    /** Appends new keys until {@link #stop()}. */
    public void follow() {
      try {
        while (!stopping.get()) {
          var records = consumer.poll(Duration.ofMillis(500));
          for (ConsumerRecord<String, String> r : records) {
            write(r);
          }
          if (!records.isEmpty()) {
            file.force(false);
          }
        }
      } catch (WakeupException e) {
        // stopping
      } catch (IOException e) {
        System.err.println("ecapture-kafka keylog: cannot write: " + e.getMessage());
      } finally {
        followed.countDown();
      }
    }

    public void stop() {
      stopping.set(true);
      consumer.wakeup();
    }

    private void write(ConsumerRecord<String, String> r) throws IOException {
      if (r.value() == null || (!hosts.isEmpty() && !hosts.contains(r.key()))) {
        return;
      }
      StringBuilder out = new StringBuilder();
      for (String line : r.value().split("\n")) {
        String l = line.strip();
        if (!l.isEmpty() && !l.startsWith("#") && seen.add(l)) {
          out.append(l).append('\n');
          written++;
        }
      }
      ByteBuffer b = ByteBuffer.wrap(out.toString().getBytes(StandardCharsets.US_ASCII));
      while (b.hasRemaining()) {
        file.write(b);
      }
    }

    public long written() {
      return written;
    }

    @Override
    public void close() throws IOException {
      try {
        if (consumer != null) {
          consumer.close(Duration.ofSeconds(5));
        }
      } finally {
        file.close();
      }
    }
  }
}
