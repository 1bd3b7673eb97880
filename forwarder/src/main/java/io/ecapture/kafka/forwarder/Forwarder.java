package io.ecapture.kafka.forwarder;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.forwarder.format.EventKinds;
import io.ecapture.kafka.forwarder.format.Format;
import io.ecapture.kafka.forwarder.format.JsonFormatter;
import io.ecapture.kafka.forwarder.format.Payloads;
import io.ecapture.kafka.forwarder.format.TextFormatter;
import io.ecapture.kafka.forwarder.sink.FileSink;
import io.ecapture.kafka.forwarder.sink.HttpProxySink;
import io.ecapture.kafka.forwarder.sink.HttpPushSink;
import io.ecapture.kafka.forwarder.sink.Item;
import io.ecapture.kafka.forwarder.sink.Sink;
import io.ecapture.kafka.forwarder.sink.TcpSink;
import io.ecapture.kafka.forwarder.sink.WebSocketSink;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running forwarder: one Kafka consumer (its own group) reading {@code ecapture.parsed} and/or
 * {@code ecapture.logs}, filtering, formatting, and handing each record to the sink of its topic.
 *
 * <p>Delivery is at least once: offsets are committed (every {@link
 * ForwarderConfig#commitInterval()}) only up to the last record its sink reports done ({@link
 * Sink#doneThrough()}: on disk, handed to the socket, answered 2xx, or counted as lost), so a
 * restart resumes after what was delivered and repeats at most what was in flight. A clean
 * {@link #close()} stops reading, waits up to {@link ForwarderConfig#shutdownTimeout()} for the
 * sinks and commits what they took: nothing is repeated after it when the targets are up.
 *
 * <p>A record that is not a {@code ParsedMessage}/{@code ProcessLog} is skipped, logged with its
 * topic, partition and offset (the first and at every power of two) and counted ({@code
 * malformed}); so is a record whose formatting fails ({@code errors}). Nothing else stops.
 */
public final class Forwarder implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Forwarder.class);
  /** How long a connection counts as active after its last event ({@code ecapture_connections_active}). */
  public static final Duration CONNECTION_ACTIVE_FOR = Duration.ofSeconds(60);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final int MAX_CHECKPOINTS = 1024;

  private final ForwarderConfig config;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Lane events;
  private final Lane logs;
  private final TextFormatter text;
  private final JsonFormatter json;
  private final Thread thread;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final CountDownLatch assigned = new CountDownLatch(1);
  private volatile boolean stopping;
  private volatile boolean closed;
  private volatile String fatal;
  final LongAdder malformed = new LongAdder();
  final LongAdder errors = new LongAdder();
  final LongAdder filtered = new LongAdder();
  final LongAdder records = new LongAdder();
  final LongAdder commits = new LongAdder();
  /** Events and payload bytes by (module, host). */
  final Map<List<String>, LongAdder[]> byModule = new ConcurrentHashMap<>();
  final Cache<String, String> connections = Caffeine.newBuilder()
      .expireAfterWrite(CONNECTION_ACTIVE_FOR).maximumSize(100_000).build();
  private final StatusServer status;

  /** One topic and its sink, with the checkpoints not yet committed. */
  static final class Lane {
    final String topic;
    final Target target;
    final Sink sink;
    long seq;
    final ArrayDeque<Checkpoint> checkpoints = new ArrayDeque<>();

    Lane(String topic, Target target, Sink sink) {
      this.topic = topic;
      this.target = target;
      this.sink = sink;
    }
  }

  /** After record {@code seq} of a lane, these partitions are consumed up to these offsets. */
  record Checkpoint(long seq, Map<TopicPartition, Long> next) {}

  private Forwarder(ForwarderConfig config) {
    this.config = config;
    this.text = new TextFormatter(config.hex(), config.truncateBytes());
    this.json = new JsonFormatter(config.truncateBytes());
    Lane ev = null;
    Lane lg = null;
    try {
      ev = config.events() == null ? null : new Lane(config.topics().parsed(), config.events(), sink(config.events(), config));
      lg = config.logs() == null ? null : new Lane(config.topics().logs(), config.logs(), sink(config.logs(), config));
    } catch (RuntimeException e) {
      if (ev != null) {
        ev.sink.close();
      }
      throw e;
    }
    this.events = ev;
    this.logs = lg;
    this.consumer = new KafkaConsumer<>(consumerProperties(config));
    this.thread = Thread.ofPlatform().name("forwarder-" + config.name()).unstarted(this::run);
    StatusServer server = null;
    if (config.statusPort() >= 0) {
      try {
        server = StatusServer.start(config.statusPort(), this);
      } catch (IOException e) {
        closeSinks();
        consumer.close();
        throw new UncheckedIOException("cannot serve /status on 127.0.0.1:" + config.statusPort() + ": " + e.getMessage(), e);
      }
    }
    this.status = server;
  }

  /** Starts reading and forwarding on a thread of its own. */
  public static Forwarder start(ForwarderConfig config) {
    Forwarder forwarder = new Forwarder(config);
    forwarder.thread.start();
    log.info("forwarder {} started: {}", config.name(), config);
    return forwarder;
  }

  static Sink sink(Target target, ForwarderConfig c) {
    return switch (target.kind()) {
      case FILE -> new FileSink(target.file(), c.rotateBytes(), c.rotateKeep(), c.rotateInterval(), Clock.systemUTC());
      case TCP -> new TcpSink(target.uri().getHost(), target.port(), c.bufferBytes(), c.resendWindow(),
          c.reconnectBackoff(), c.reconnectMaxBackoff(), c.connectTimeout());
      case WEBSOCKET -> new WebSocketSink(target.uri(), c.headers(), c.bufferBytes(), c.resendWindow(),
          c.reconnectBackoff(), c.reconnectMaxBackoff(), c.connectTimeout());
      case HTTP -> c.format() == Format.HTTP_PROXY
          ? new HttpProxySink(target.uri().getHost(), target.port(), c.bufferBytes(), c.httpRetries() + 1,
              c.reconnectBackoff(), c.reconnectMaxBackoff(), c.connectTimeout())
          : new HttpPushSink(target.uri(), c.format() == Format.PROTOBUF, c.headers(), c.batchSize(),
              c.batchTimeout(), c.httpRetries(), c.httpRetryBackoff(), c.connectTimeout(), c.maxPendingBatches());
    };
  }

  private static Properties consumerProperties(ForwarderConfig c) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, c.effectiveGroupId());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "ecapture-forwarder-" + c.name());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, c.from().strip().equalsIgnoreCase("earliest") ? "earliest" : "latest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(TopicSetup.PARSED_MAX_MESSAGE_BYTES));
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(TopicSetup.PARSED_MAX_MESSAGE_BYTES));
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.putAll(c.kafkaOverrides());
    return p;
  }

  public ForwarderConfig config() {
    return config;
  }

  /** The {@code /status} port, or -1 without one. */
  public int statusPort() {
    return status == null ? -1 : status.port();
  }

  /** Waits until the consumer owns partitions (records produced after that are read). */
  public boolean awaitAssignment(Duration timeout) throws InterruptedException {
    return assigned.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Whether the consumer thread runs (false after close or a fatal Kafka error). */
  public boolean running() {
    return thread.isAlive();
  }

  /** The sink of {@code ecapture.parsed}, or null. */
  public Sink eventsSink() {
    return events == null ? null : events.sink;
  }

  /** The sink of {@code ecapture.logs}, or null. */
  public Sink logsSink() {
    return logs == null ? null : logs.sink;
  }

  public long malformedRecords() {
    return malformed.sum();
  }

  public long committedCheckpoints() {
    return commits.sum();
  }

  Map<String, Object> status() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("component", "forwarder");
    s.put("name", config.name());
    s.put("group", config.effectiveGroupId());
    s.put("running", running());
    s.put("format", config.format().spelling());
    s.put("records", records.sum());
    s.put("filtered", filtered.sum());
    s.put("malformed", malformed.sum());
    s.put("errors", errors.sum());
    s.put("commits", commits.sum());
    if (fatal != null) {
      s.put("fatal", fatal);
    }
    for (Lane lane : lanes()) {
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("topic", lane.topic);
      l.put("target", lane.target.display());
      l.putAll(lane.sink.counters().snapshot());
      s.put(lane == events ? "events" : "logs", l);
    }
    return s;
  }

  List<Lane> lanes() {
    List<Lane> l = new ArrayList<>(2);
    if (events != null) {
      l.add(events);
    }
    if (logs != null) {
      l.add(logs);
    }
    return l;
  }

  Map<MetricName, ? extends Metric> kafkaMetrics() {
    return consumer.metrics();
  }

  private void run() {
    List<String> topics = lanes().stream().map(l -> l.topic).toList();
    long nextCommit = System.nanoTime() + config.commitInterval().toNanos();
    try {
      consumer.subscribe(topics, new Rebalance());
      while (!stopping) {
        ConsumerRecords<byte[], byte[]> batch;
        try {
          batch = consumer.poll(POLL);
        } catch (WakeupException e) {
          break;
        }
        if (!batch.isEmpty()) {
          Map<String, Map<TopicPartition, Long>> advanced = new HashMap<>();
          for (ConsumerRecord<byte[], byte[]> r : batch) {
            handle(r);
            advanced.computeIfAbsent(r.topic(), t -> new HashMap<>())
                .put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
          }
          for (Lane lane : lanes()) {
            Map<TopicPartition, Long> next = advanced.get(lane.topic);
            if (next != null) {
              lane.checkpoints.addLast(new Checkpoint(lane.seq, next));
              compact(lane);
            }
          }
        }
        if (System.nanoTime() - nextCommit >= 0) {
          commitDone();
          nextCommit = System.nanoTime() + config.commitInterval().toNanos();
        }
      }
      // a clean stop: let the sinks take what was read, commit it, then leave the group
      long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
      for (Lane lane : lanes()) {
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        if (!lane.sink.flush(left)) {
          log.warn("forwarder {}: {} did not take everything within {} ({} records not confirmed): they will be "
              + "read again at the next start", config.name(), lane.target.display(), config.shutdownTimeout(),
              lane.seq - lane.sink.doneThrough());
        }
      }
      commitDone();
    } catch (RuntimeException e) {
      fatal = e.toString();
      log.error("forwarder {} stopped: {}", config.name(), e.toString(), e);
    } finally {
      try {
        consumer.close(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        log.warn("forwarder {}: closing the consumer: {}", config.name(), e.toString());
      }
      stopped.countDown();
    }
  }

  /**
   * Bounds the checkpoints of a lane whose sink is stuck (peer away for hours): merges neighbours
   * (the later seq, the later offsets), which only makes commits coarser.
   */
  private static void compact(Lane lane) {
    if (lane.checkpoints.size() <= MAX_CHECKPOINTS) {
      return;
    }
    ArrayDeque<Checkpoint> merged = new ArrayDeque<>();
    Checkpoint pending = null;
    for (Checkpoint c : lane.checkpoints) {
      if (pending == null) {
        pending = c;
      } else {
        Map<TopicPartition, Long> next = new HashMap<>(pending.next());
        next.putAll(c.next());
        merged.addLast(new Checkpoint(c.seq(), next));
        pending = null;
      }
    }
    if (pending != null) {
      merged.addLast(pending);
    }
    lane.checkpoints.clear();
    lane.checkpoints.addAll(merged);
  }

  /** Commits, per lane, the offsets up to the last checkpoint its sink is done with. */
  private void commitDone() {
    Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
    for (Lane lane : lanes()) {
      long done = lane.sink.doneThrough();
      while (!lane.checkpoints.isEmpty() && lane.checkpoints.peekFirst().seq() <= done) {
        lane.checkpoints.pollFirst().next().forEach((tp, next) -> commit.put(tp, new OffsetAndMetadata(next)));
      }
    }
    if (commit.isEmpty()) {
      return;
    }
    commit.keySet().retainAll(consumer.assignment());
    if (commit.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(commit, Duration.ofSeconds(30));
      commits.increment();
    } catch (RuntimeException e) {
      // not fatal: the next commit covers these offsets too (a rebalance may have moved them)
      log.warn("forwarder {}: commit failed: {}", config.name(), e.toString());
    }
  }

  private void handle(ConsumerRecord<byte[], byte[]> r) {
    records.increment();
    long fallbackNs = r.timestamp() * 1_000_000L;
    JsonFormatter.Origin origin = new JsonFormatter.Origin(r.topic(), r.partition(), r.offset());
    boolean isEvent = events != null && r.topic().equals(events.topic);
    Lane lane = isEvent ? events : logs;
    try {
      if (r.value() == null) {
        throw new InvalidProtocolBufferException("empty record (null value)");
      }
      if (isEvent) {
        ParsedMessage m = ParsedMessage.parseFrom(r.value());
        if (!config.filter().accepts(m)) {
          filtered.increment();
          return;
        }
        String module = EventKinds.module(m);
        LongAdder[] counts = byModule.computeIfAbsent(List.of(module, m.getHostId()),
            k -> new LongAdder[] {new LongAdder(), new LongAdder()});
        counts[0].increment();
        counts[1].add(Payloads.bytes(m).size());
        if (!m.getConnectionId().isEmpty()) {
          connections.put(m.getHostId() + '\0' + m.getConnectionId(), m.getHostId());
        }
        if (config.format() == Format.HTTP_PROXY) {
          if (!HttpProxySink.proxyable(m)) {
            lane.sink.counters().skipped.increment();
            return;
          }
          lane.sink.accept(new Item(HttpProxySink.request(m), false, false, m, ++lane.seq));
          return;
        }
        byte[] bytes = switch (config.format()) {
          case TEXT -> text.event(m, fallbackNs);
          case JSON -> perMessage(lane)
              ? withoutNewline(json.event(m, fallbackNs, origin)) : json.event(m, fallbackNs, origin);
          default -> lane.target.kind() == Target.Kind.HTTP || lane.target.kind() == Target.Kind.WEBSOCKET
              ? m.toByteArray() : delimited(m);
        };
        lane.sink.accept(new Item(bytes, false, config.format() != Format.PROTOBUF, m, ++lane.seq));
      } else {
        ProcessLog line = ProcessLog.parseFrom(r.value());
        if (!config.filter().accepts(line)) {
          filtered.increment();
          return;
        }
        byte[] bytes = switch (config.format()) {
          case TEXT -> text.log(line, fallbackNs);
          case JSON -> perMessage(lane)
              ? withoutNewline(json.log(line, fallbackNs, origin)) : json.log(line, fallbackNs, origin);
          default -> lane.target.kind() == Target.Kind.HTTP || lane.target.kind() == Target.Kind.WEBSOCKET
              ? line.toByteArray() : delimited(line);
        };
        lane.sink.accept(new Item(bytes, true, config.format() != Format.PROTOBUF, null, ++lane.seq));
      }
    } catch (InvalidProtocolBufferException e) {
      malformed.increment();
      long n = malformed.sum();
      if (Long.bitCount(n) == 1) {
        log.error("forwarder {}: {} partition {} offset {} is not a {} ({}): skipped ({} malformed record(s) so far)",
            config.name(), r.topic(), r.partition(), r.offset(), isEvent ? "ParsedMessage" : "ProcessLog",
            e.getMessage(), n);
      }
    } catch (RuntimeException e) {
      errors.increment();
      long n = errors.sum();
      if (Long.bitCount(n) == 1) {
        log.error("forwarder {}: {} partition {} offset {} could not be forwarded: skipped ({} so far)", config.name(),
            r.topic(), r.partition(), r.offset(), n, e);
      }
    }
  }

  /** Whether the target frames each record itself (a WebSocket message, an element of an HTTP batch). */
  private static boolean perMessage(Lane lane) {
    return lane.target.kind() == Target.Kind.HTTP || lane.target.kind() == Target.Kind.WEBSOCKET;
  }

  private static byte[] withoutNewline(byte[] line) {
    return java.util.Arrays.copyOf(line, line.length - 1);
  }

  private static byte[] delimited(com.google.protobuf.MessageLite m) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(m.getSerializedSize() + 5);
    try {
      m.writeDelimitedTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Commits before partitions move; a group without offsets starts at {@code --from}. */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      commitDone();
      for (Lane lane : lanes()) {
        lane.checkpoints.forEach(c -> c.next().keySet().removeAll(partitions));
      }
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      Instant from = ForwarderConfig.startInstant(config.from());
      if (from != null && !partitions.isEmpty()) {
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new java.util.HashSet<>(partitions));
        Map<TopicPartition, Long> times = new HashMap<>();
        for (TopicPartition tp : partitions) {
          if (committed.get(tp) == null) {
            times.put(tp, from.toEpochMilli());
          }
        }
        if (!times.isEmpty()) {
          Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(times);
          List<TopicPartition> toEnd = new ArrayList<>();
          found.forEach((tp, o) -> {
            if (o == null) {
              toEnd.add(tp);
            } else {
              consumer.seek(tp, o.offset());
            }
          });
          if (!toEnd.isEmpty()) {
            consumer.seekToEnd(toEnd);
          }
        }
      }
      if (!partitions.isEmpty()) {
        // the positions are fixed once asked for: records produced after this are read
        for (TopicPartition tp : partitions) {
          consumer.position(tp);
        }
        assigned.countDown();
      }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      for (Lane lane : lanes()) {
        lane.checkpoints.forEach(c -> c.next().keySet().removeAll(partitions));
      }
    }
  }

  private void closeSinks() {
    for (Lane lane : lanes()) {
      try {
        lane.sink.close();
      } catch (RuntimeException e) {
        log.warn("forwarder {}: closing {}: {}", config.name(), lane.target.display(), e.toString());
      }
    }
  }

  /**
   * Stops reading, lets the sinks deliver what was read (up to {@link
   * ForwarderConfig#shutdownTimeout()}), commits it, leaves the group, closes the sinks.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    stopping = true;
    try {
      if (thread.isAlive() && !stopped.await(config.shutdownTimeout().toMillis() + 15_000, TimeUnit.MILLISECONDS)) {
        consumer.wakeup();
        stopped.await(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeSinks();
    if (status != null) {
      status.close();
    }
    log.info("forwarder {} stopped", config.name());
  }
}
