package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsData;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.processor.state.ProcessorChunk;
import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-connection reassembly and parsing. Input: raw {@code ecapture.raw} bytes (decoded here so
 * an undecodable record goes to the DLQ with its reason instead of stopping the app). Output:
 * {@link ParsedMessage}s to {@link TopologyNames#PARSED_SINK}, dead letters to
 * {@link TopologyNames#DLQ_SINK}.
 *
 * <p>Flush rules per direction: a complete message leaves at once; leftover bytes leave when the
 * direction has been idle for {@link ProcessorConfig#idleFlush()} (wall-clock punctuator) or
 * when the connection closed and every announced byte arrived. A closed connection with missing
 * bytes waits for the idle flush, then its state is deleted.
 */
public final class ConnectionProcessor implements Processor<byte[], byte[], Object, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionProcessor.class);
  private static final Deserializer<RawEvent> RAW = Topics.RAW.valueSerde().deserializer();

  private final ProcessorConfig config;
  private final ProcessorMetrics metrics;
  private final DirectionAssembler assembler;
  private final IdleIndex index = new IdleIndex();
  private final StateCache cache;
  private ProcessorContext<Object, Object> context;
  private KeyValueStore<String, ProcessorConnectionState> store;
  private long emitTimestamp;
  private long reportedOpen;

  ConnectionProcessor(ProcessorConfig config, ProcessorMetrics metrics, DirectionAssembler assembler) {
    this.config = config;
    this.metrics = metrics;
    this.assembler = assembler;
    this.cache = new StateCache(
        config.limits().maxCachedStates(), config.limits().maxCachedStateBytes());
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    this.store = context.getStateStore(TopologyNames.STATE_STORE);
    cache.clear();
    assembler.clearContexts(); // a revived task's store was restored: contexts follow it
    rebuildIndex();
    long idleMs = config.idleFlush().toMillis();
    Duration interval = Duration.ofMillis(Math.max(10, Math.min(idleMs / 4, 1000)));
    context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, this::onWallClock);
    reportOpenConnections();
  }

  /** The task moves away or the app stops: its connections no longer count here. */
  @Override
  public void close() {
    cache.clear();
    assembler.clearContexts();
    metrics.openConnectionsChanged(-reportedOpen);
    reportedOpen = 0;
  }

  private void reportOpenConnections() {
    long open = index.size();
    metrics.openConnectionsChanged(open - reportedOpen);
    reportedOpen = open;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    metrics.recordIn();
    if (record.value() == null) {
      deadLetter(record, "record without value", IllegalArgumentException.class);
      return;
    }
    RawEvent event;
    try {
      event = RAW.deserialize(Topics.RAW.name(), record.value());
    } catch (SerializationException e) {
      deadLetter(record, e.getMessage(), e.getClass());
      return;
    }
    String key = record.key() != null && record.key().length > 0
        ? new String(record.key(), StandardCharsets.UTF_8) : event.getConnectionId();
    String problem = validate(event, key);
    if (problem != null) {
      deadLetter(record, problem, IllegalArgumentException.class);
      return;
    }
    try {
      apply(key, event, record.timestamp());
    } catch (KafkaException e) {
      cache.remove(key); // possibly half-changed; the store still has the last saved state
      throw e; // Kafka Streams' own signals (task migrated, fenced producer) must reach it
    } catch (RuntimeException e) {
      // a parser bug must cost one connection's state, not stop the app or loop on the record
      LOG.error("processing failed on connection {}; its state is reset", key, e);
      metrics.processingError();
      resetConnection(key);
      deadLetter(record, "processing failed: " + e, e.getClass());
    }
    reportOpenConnections();
  }

  private void apply(String key, RawEvent event, long recordTimestamp) {
    long now = context.currentSystemTimeMs();
    emitTimestamp = recordTimestamp;
    ProcessorConnectionState.Builder loaded = load(key);
    ProcessorConnectionState.Builder state =
        loaded == null ? ProcessorConnectionState.newBuilder() : loaded;
    mergeIdentity(state, event);
    ConnectionSession session = session(key, state);
    switch (event.getBodyCase()) {
      case DATA -> assembler.onChunk(session, event.getData().getDirection(), chunk(event), now);
      case CLOSE -> state.setClosed(true)
          .setCloseBytesRead(event.getClose().getBytesRead())
          .setCloseBytesWritten(event.getClose().getBytesWritten());
      default -> {}
    }
    state.setLastActivityMs(now);
    if (state.getClosed()
        && DirectionAssembler.complete(state.getReadBuilder(), state.getCloseBytesRead())
        && DirectionAssembler.complete(state.getWriteBuilder(), state.getCloseBytesWritten())) {
      finish(session);
      return;
    }
    save(key, state, now);
  }

  /** Flushes idle directions and evicts connections idle past their TTL. */
  private void onWallClock(long now) {
    emitTimestamp = now;
    long idleMs = config.idleFlush().toMillis();
    for (String key : index.dueForFlush(now, idleMs)) {
      try {
        flushIdle(key, now, idleMs);
      } catch (KafkaException e) {
        cache.remove(key);
        throw e;
      } catch (RuntimeException e) {
        LOG.error("idle flush failed on connection {}; its state is reset", key, e);
        metrics.processingError();
        resetConnection(key);
      }
    }
    for (String key : index.dueForEviction(now, config.connectionTtl().toMillis())) {
      resetConnection(key);
      metrics.evictedConnection();
    }
    reportOpenConnections();
  }

  private void flushIdle(String key, long now, long idleMs) {
    ProcessorConnectionState.Builder state = load(key);
    if (state == null) {
      index.remove(key);
      return;
    }
    ConnectionSession session = session(key, state);
    for (Direction direction : List.of(Direction.WRITE, Direction.READ)) {
      ProcessorDirectionState.Builder dir = session.direction(direction);
      if (assembler.hasUnflushedBytes(dir) && now - dir.getLastActivityMs() >= idleMs) {
        assembler.flush(session, direction);
      }
    }
    if (state.getClosed()) {
      finish(session);
    } else {
      save(key, state, now);
    }
  }

  /**
   * The connection's state to work on, or null; an undecodable state is dropped (counted)
   * instead of failing. The builder may come from the cache: whoever changes it must save it or
   * drop the connection (see {@link StateCache}).
   */
  private ProcessorConnectionState.Builder load(String key) {
    ProcessorConnectionState.Builder cached = cache.get(key);
    if (cached != null) {
      return cached;
    }
    try {
      ProcessorConnectionState stored = store.get(key);
      return stored == null ? null : stored.toBuilder();
    } catch (SerializationException e) {
      LOG.error("undecodable state of connection {} dropped", key, e);
      metrics.processingError();
      resetConnection(key);
      return null;
    }
  }

  private void resetConnection(String key) {
    cache.remove(key);
    store.delete(key);
    index.remove(key);
    assembler.forget(key);
  }

  private void finish(ConnectionSession session) {
    assembler.flush(session, Direction.WRITE);
    assembler.flush(session, Direction.READ);
    cache.remove(session.connectionId());
    store.delete(session.connectionId());
    index.remove(session.connectionId());
    assembler.forget(session.connectionId());
  }

  private void save(String key, ProcessorConnectionState.Builder state, long now) {
    ProcessorConnectionState built = state.build();
    store.put(key, built);
    // the store's serde just serialized it: the size is memoized, not computed again
    cache.put(key, state, built.getSerializedSize());
    long oldest = oldestUnflushedActivity(state);
    if (oldest == Long.MAX_VALUE) {
      index.awaitEviction(key, now);
    } else {
      index.awaitFlush(key, oldest);
    }
  }

  private long oldestUnflushedActivity(ProcessorConnectionState.Builder state) {
    long oldest = Long.MAX_VALUE;
    for (ProcessorDirectionState.Builder dir : List.of(state.getReadBuilder(), state.getWriteBuilder())) {
      if (assembler.hasUnflushedBytes(dir)) {
        oldest = Math.min(oldest, dir.getLastActivityMs());
      }
    }
    return oldest;
  }

  /**
   * Schedules every stored connection as if it was active at init: after a restart or a task
   * migration the backlog of the input topic may still hold the missing bytes, so the idle
   * clock restarts instead of flushing everything on the first punctuation.
   */
  private void rebuildIndex() {
    long now = context.currentSystemTimeMs();
    int restored = 0;
    try (KeyValueIterator<String, ProcessorConnectionState> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, ProcessorConnectionState> entry = it.next();
        ProcessorConnectionState.Builder state = entry.value.toBuilder();
        if (oldestUnflushedActivity(state) == Long.MAX_VALUE) {
          index.awaitEviction(entry.key, now);
        } else {
          index.awaitFlush(entry.key, now);
        }
        restored++;
      }
    }
    if (restored > 0) {
      LOG.info("restored {} connections from the state store", restored);
    }
  }

  private ConnectionSession session(String key, ProcessorConnectionState.Builder state) {
    return new ConnectionSession(
        key, state, this::forwardParsed, config.limits().maxPendingRequests());
  }

  private void forwardParsed(String connectionId, ParsedMessage message) {
    context.forward(new Record<>(connectionId, message, emitTimestamp), TopologyNames.PARSED_SINK);
  }

  private void deadLetter(Record<byte[], byte[]> record, String reason, Class<?> errorClass) {
    metrics.deadLetter();
    long count = metrics.deadLettered();
    if (count <= 10 || count % 1000 == 0) {
      // a stream of bad records must not flood the log: the counter has the total
      LOG.warn("dead-lettering a raw record ({} so far): {}", count, reason);
    }
    context.forward(
        DeadLetters.of(record, context.recordMetadata().orElse(null), reason, errorClass),
        TopologyNames.DLQ_SINK);
  }

  private static String validate(RawEvent event, String key) {
    if (key.isEmpty()) {
      return "record has neither a key nor a connection_id";
    }
    return switch (event.getBodyCase()) {
      case BODY_NOT_SET -> "RawEvent without body";
      case DATA -> {
        Direction direction = event.getData().getDirection();
        yield direction == Direction.READ || direction == Direction.WRITE
            ? null : "TlsData without direction";
      }
      default -> null;
    };
  }

  private static ProcessorChunk chunk(RawEvent event) {
    TlsData data = event.getData();
    ProcessorChunk.Builder chunk = ProcessorChunk.newBuilder()
        .setOffset(data.getOffset())
        .setPayload(data.getPayload())
        .setWallTimeNs(event.getWallTimeNs());
    if (data.getTruncated()) {
      // offsets advance by the whole call: where it ends bounds the bytes known lost
      long callStart = data.getOffset() - Integer.toUnsignedLong(data.getChunkOffset());
      chunk.setCallEnd(callStart + Integer.toUnsignedLong(data.getOriginalLength()));
    }
    return chunk.build();
  }

  /** The first event sets who owns the connection; later events only fill what was missing. */
  private static void mergeIdentity(ProcessorConnectionState.Builder state, RawEvent event) {
    if (!state.hasIdentity()) {
      state.setIdentity(event.toBuilder().clearBody());
      return;
    }
    RawEvent.Builder identity = state.getIdentityBuilder();
    if (!identity.hasProcess() && event.hasProcess()) {
      identity.setProcess(event.getProcess());
    }
    if (!identity.hasTuple() && event.hasTuple()) {
      identity.setTuple(event.getTuple());
    }
    if (identity.getHostId().isEmpty()) {
      identity.setHostId(event.getHostId());
    }
  }
}
