package io.ecapture.kafka.gateway.feed;

import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.gateway.GatewayCounters;
import io.ecapture.kafka.gateway.session.Broadcaster;
import io.ecapture.kafka.gateway.session.ClientOptions;
import io.ecapture.kafka.gateway.session.ClientSession;
import io.ecapture.kafka.gateway.wire.LogEntries;
import io.ecapture.kafka.gateway.wire.ProcessLogFormatter;
import io.ecapture.kafka.proto.Serdes;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code ?since=30s} and {@code ?last=N}: recent events for a newly connected client, read
 * from {@code ecapture.parsed} by a short-lived consumer (offsets found with {@code
 * offsetsForTimes}), never from gateway memory, so a replay is as deep as Kafka's retention and
 * costs nothing while nobody asks.
 *
 * <p>Bounded three ways: at most {@link GatewayConfig#maxReplayEvents()} events per client (the
 * most recent matching ones), {@code since} at most {@link GatewayConfig#maxReplayAge()}, and
 * each replay stops reading after {@link GatewayConfig#replayReadBudget()}. Replays run one at a
 * time on one thread with a short queue ({@link GatewayConfig#maxQueuedReplays()}); a client whose
 * replay cannot be queued is told so. Replayed events go through the client's bounded queue like
 * live ones, oldest first, followed by a process-log line saying how many were replayed; live
 * events arriving meanwhile are held back until then (see {@link ClientSession#offerLive}). A record the live consumer had not reached yet when the
 * replay read it (gateway lagging) can reach the client twice.
 */
public final class EventReplay implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventReplay.class);

  private record Timed(long recordTimeMs, ParsedMessage message) {}

  private final GatewayConfig config;
  private final Broadcaster broadcaster;
  private final GatewayCounters counters;
  private final Deserializer<ParsedMessage> decoder = Serdes.PARSED_MESSAGE.deserializer();
  private final ThreadPoolExecutor executor;

  public EventReplay(GatewayConfig config, Broadcaster broadcaster, GatewayCounters counters) {
    this.config = config;
    this.broadcaster = broadcaster;
    this.counters = counters;
    this.executor =
        new ThreadPoolExecutor(
            1, 1, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(config.maxQueuedReplays()),
            Thread.ofPlatform().name("gateway-replay").daemon().factory());
  }

  /** Queues a replay for the client; tells it when too many replays are waiting already. */
  public void submit(ClientSession session) {
    try {
      executor.execute(() -> run(session));
    } catch (RejectedExecutionException e) {
      notice(session, "WRN", "replay refused: too many clients are being replayed to, try again");
      session.endReplay();
    }
  }

  private void run(ClientSession session) {
    ClientOptions options = session.options();
    try {
      List<ParsedMessage> events = read(options);
      for (ParsedMessage m : events) {
        byte[] frame = broadcaster.eventFrame(m, m.getFirstByteTimeNs());
        session.offer(options.annotate(frame, m));
      }
      counters.replayedEvents.add(events.size());
      notice(session, "INF", "replayed " + events.size() + " past events" + describe(options)
          + (options.since() != null && options.since().compareTo(config.maxReplayAge()) > 0
              ? " (capped at " + config.maxReplayAge() + ")"
              : ""));
    } catch (KafkaException e) {
      log.warn("replay for {} failed: {}", session.stats().remote(), e.toString());
      notice(session, "WRN", "replay failed: " + e.getMessage());
    } catch (RuntimeException e) {
      log.error("replay for {} failed", session.stats().remote(), e);
      notice(session, "WRN", "replay failed: " + e);
    } finally {
      session.endReplay();
    }
  }

  /** The most recent matching events within the request's bounds, oldest first. */
  List<ParsedMessage> read(ClientOptions options) {
    int limit = options.last() > 0 ? Math.min(options.last(), config.maxReplayEvents()) : config.maxReplayEvents();
    ArrayDeque<Timed> newest = new ArrayDeque<>(Math.min(limit, 1024));
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(properties(), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = consumer.partitionsFor(config.topics().parsed(), config.metadataTimeout());
      if (infos == null || infos.isEmpty()) {
        return List.of();
      }
      List<TopicPartition> partitions =
          infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      consumer.assign(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, config.metadataTimeout());
      long fromMs = options.since() == null ? Long.MIN_VALUE : Instant.now().minus(cappedAge(options)).toEpochMilli();
      Map<TopicPartition, Long> start = startOffsets(consumer, partitions, end, fromMs, limit);
      Map<TopicPartition, Long> remaining = new HashMap<>();
      for (TopicPartition tp : partitions) {
        if (start.get(tp) < end.get(tp)) {
          consumer.seek(tp, start.get(tp));
          remaining.put(tp, end.get(tp));
        }
      }
      consumer.assign(remaining.keySet());
      long deadline = System.nanoTime() + config.replayReadBudget().toNanos();
      while (!remaining.isEmpty() && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          TopicPartition tp = new TopicPartition(record.topic(), record.partition());
          Long stop = remaining.get(tp);
          if (stop == null || record.offset() >= stop) {
            continue;
          }
          ParsedMessage m = decode(record);
          // producers set the timestamps: a partition's are not ordered, so check each record
          if (m != null && record.timestamp() >= fromMs && options.filter().accepts(m)) {
            if (newest.size() == limit) {
              newest.removeFirst();
            }
            newest.addLast(new Timed(record.timestamp(), m));
          }
        }
        // read_committed: transaction markers take offsets, so stop on position, not last record
        for (TopicPartition tp : List.copyOf(remaining.keySet())) {
          if (consumer.position(tp) >= remaining.get(tp)) {
            remaining.remove(tp);
          }
        }
      }
    }
    List<Timed> sorted = new ArrayList<>(newest);
    sorted.sort(Comparator.comparingLong(Timed::recordTimeMs));
    List<ParsedMessage> out = new ArrayList<>(sorted.size());
    for (Timed t : sorted) {
      ParsedMessage m = t.message();
      // the event time eCaptureQ shows: the capture time, else when the record was written
      out.add(m.getFirstByteTimeNs() > 0 ? m : m.toBuilder().setFirstByteTimeNs(t.recordTimeMs() * 1_000_000L).build());
    }
    return out;
  }

  private Map<TopicPartition, Long> startOffsets(
      KafkaConsumer<byte[], byte[]> consumer,
      List<TopicPartition> partitions,
      Map<TopicPartition, Long> end,
      long fromMs,
      int limit) {
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, config.metadataTimeout());
    Map<TopicPartition, Long> start = new HashMap<>();
    Map<TopicPartition, OffsetAndTimestamp> byTime = null;
    if (fromMs != Long.MIN_VALUE) {
      Map<TopicPartition, Long> query = new HashMap<>();
      partitions.forEach(tp -> query.put(tp, fromMs));
      byTime = consumer.offsetsForTimes(query, config.metadataTimeout());
    }
    for (TopicPartition tp : partitions) {
      long s = begin.get(tp);
      if (byTime != null) {
        OffsetAndTimestamp found = byTime.get(tp);
        // no record at or after the time: nothing recent in this partition
        s = Math.max(s, found == null ? end.get(tp) : found.offset());
      } else {
        // without a time bound, the last `limit` records of each partition hold the newest matches
        // when no filter is set; with a filter this reads no deeper (bounded work), documented
        s = Math.max(s, end.get(tp) - limit);
      }
      start.put(tp, s);
    }
    return start;
  }

  private Duration cappedAge(ClientOptions options) {
    return options.since().compareTo(config.maxReplayAge()) > 0 ? config.maxReplayAge() : options.since();
  }

  private Properties properties() {
    Properties p = KafkaFeed.properties(config);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "ecaptureq-gateway-replay-" + System.nanoTime());
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
    return p;
  }

  private ParsedMessage decode(ConsumerRecord<byte[], byte[]> record) {
    try {
      return record.value() == null ? null : decoder.deserialize(record.topic(), record.value());
    } catch (SerializationException e) {
      counters.undecodableRecords.increment();
      return null;
    }
  }

  private static String describe(ClientOptions options) {
    StringBuilder s = new StringBuilder();
    if (options.since() != null) {
      s.append(" since ").append(options.since());
    }
    if (options.last() > 0) {
      s.append(s.isEmpty() ? "" : ",").append(" at most ").append(options.last());
    }
    return s.toString();
  }

  private static void notice(ClientSession session, String level, String text) {
    session.offer(LogEntries.frame(LogEntries.runLog(ProcessLogFormatter.local(Instant.now(), level, text))));
  }

  /** Abandons queued and running replays. */
  @Override
  public void close() {
    executor.shutdownNow();
  }
}
