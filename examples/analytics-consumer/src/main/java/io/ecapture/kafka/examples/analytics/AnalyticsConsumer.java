package io.ecapture.kafka.examples.analytics;

import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A downstream consumer of {@code ecapture.parsed} as an analytics team would write one: plain
 * kafka-clients, the published schema jar, nothing of the pipeline. Prints a {@link
 * TrafficReport} every interval and at the end.
 *
 * <pre>
 * java -cp analytics-consumer.jar:... io.ecapture.kafka.examples.analytics.AnalyticsConsumer \
 *     --bootstrap kafka:9092 [--command-config client.properties] [--from earliest|latest]
 *     [--interval-s 10] [--duration-s 0] [--top 10] [--group analytics-example]
 * </pre>
 *
 * <p>{@code --command-config} takes Kafka client properties the way Kafka's own tools do
 * (security.protocol, sasl.*, ssl.*): secrets stay in that file, never on the command line. A
 * record that does not decode is counted and skipped, never fatal.
 */
public final class AnalyticsConsumer {
  private final Properties properties;
  private final TrafficReport report = new TrafficReport();
  private long undecodable;

  public AnalyticsConsumer(Properties properties) {
    this.properties = properties;
  }

  public static void main(String[] args) throws IOException {
    Options o;
    try {
      o = Options.parse(List.of(args));
    } catch (IllegalArgumentException e) {
      System.err.println("analytics-consumer: " + e.getMessage());
      System.err.println(Options.USAGE);
      System.exit(2);
      return;
    }
    AnalyticsConsumer consumer = new AnalyticsConsumer(o.properties());
    Thread main = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(main::interrupt));
    consumer.run(o.interval(), o.duration(), o.top(), System.out);
  }

  /**
   * Consumes until {@code duration} has passed (zero: until interrupted), printing the report to
   * {@code out} every {@code interval} and once at the end.
   */
  public TrafficReport run(Duration interval, Duration duration, int top, java.io.PrintStream out) {
    long end = duration.isZero() ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
    long nextPrint = System.nanoTime() + interval.toNanos();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(properties, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.PARSED.name()));
      while (System.nanoTime() < end && !Thread.currentThread().isInterrupted()) {
        try {
          // values stay bytes until add(): a record that does not decode cannot stop the loop
          for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
            add(record.value());
          }
        } catch (org.apache.kafka.common.errors.InterruptException e) {
          break;
        }
        if (System.nanoTime() >= nextPrint) {
          out.print(text(top));
          nextPrint = System.nanoTime() + interval.toNanos();
        }
      }
    }
    out.print(text(top));
    return report;
  }

  /** Adds one raw value of {@code ecapture.parsed}; an undecodable one is counted. */
  void add(byte[] value) {
    try {
      report.add(Topics.PARSED.valueSerde().deserializer().deserialize(Topics.PARSED.name(), value));
    } catch (SerializationException e) {
      undecodable++;
    }
  }

  public long undecodable() {
    return undecodable;
  }

  private String text(int top) {
    return "---\n" + report.render(top) + (undecodable > 0 ? "undecodable records skipped: " + undecodable + "\n" : "");
  }

  /** Command-line options; Kafka client properties come from --command-config and --bootstrap. */
  record Options(Properties properties, Duration interval, Duration duration, int top) {
    static final String USAGE = "usage: analytics-consumer --bootstrap HOST:PORT [--command-config FILE]"
        + " [--from earliest|latest] [--group ID] [--interval-s N] [--duration-s N (0 = until Ctrl-C)] [--top N]";

    static Options parse(List<String> args) throws IOException {
      Properties p = new Properties();
      String bootstrap = null;
      String from = "earliest";
      String group = "analytics-example-" + UUID.randomUUID();
      long interval = 10;
      long duration = 0;
      int top = 10;
      for (int i = 0; i < args.size(); i++) {
        String flag = args.get(i);
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException(flag + " needs a value");
        }
        String value = args.get(++i);
        switch (flag) {
          case "--bootstrap" -> bootstrap = value;
          case "--command-config" -> {
            try (Reader r = Files.newBufferedReader(Path.of(value))) {
              p.load(r);
            }
          }
          case "--from" -> from = value;
          case "--group" -> group = value;
          case "--interval-s" -> interval = Long.parseLong(value);
          case "--duration-s" -> duration = Long.parseLong(value);
          case "--top" -> top = Integer.parseInt(value);
          default -> throw new IllegalArgumentException("unknown option " + flag);
        }
      }
      if (bootstrap == null && !p.containsKey(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
        throw new IllegalArgumentException("--bootstrap is required");
      }
      if (!from.equals("earliest") && !from.equals("latest")) {
        throw new IllegalArgumentException("--from must be earliest or latest");
      }
      if (bootstrap != null) {
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      }
      p.putIfAbsent(ConsumerConfig.GROUP_ID_CONFIG, group);
      p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, from);
      // the processor writes transactionally: read only what it committed
      p.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      return new Options(p, Duration.ofSeconds(Math.max(1, interval)), Duration.ofSeconds(duration), top);
    }
  }
}
