package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsData;
import io.ecapture.kafka.proto.capture.Workload;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.processor.state.ProcessorChunk;
import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import io.ecapture.kafka.processor.PoisonRecordHandler;
import io.ecapture.kafka.processor.redact.HeaderRedactor;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.errors.TaskCorruptedException;
import org.apache.kafka.streams.errors.TaskMigratedException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
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
 *
 * <p>The punctuator runs only while it has work: Kafka Streams commits after every punctuation
 * (under exactly_once_v2 a transaction), so a fixed cadence made an idle processor commit
 * several transactions a second. Every {@code idleFlush / 4} while bytes wait for their idle
 * flush; every {@code connectionTtl / 10} (at most {@value #MAX_EVICTION_CHECK_MS} ms) while only
 * connections waiting for their TTL remain; not at all when the task holds no connection.
 */
public final class ConnectionProcessor implements Processor<byte[], byte[], Object, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionProcessor.class);
  /** Payloads share the record's array (it is this record's own): no copy per record. */
  private static final Deserializer<RawEvent> RAW =
      io.ecapture.kafka.proto.Serdes.RAW_EVENT.aliasing().deserializer();
  /** Longest wait between checks for connections past their TTL. */
  static final long MAX_EVICTION_CHECK_MS = 60_000;
  /** Longest capture-clock margin a progress mark must have past a held message's last data. */
  static final long MAX_MARK_MARGIN_MS = 3_000;

  private final ProcessorConfig config;
  private final ProcessorMetrics metrics;
  private final DirectionAssembler assembler;
  private final IdleIndex index = new IdleIndex();
  /**
   * Per host: the collector wall time (Unix ns) of the newest progress mark this task read, i.e.
   * that host delivered everything up to then to this partition. In memory only: after a restart
   * a host counts as marking again once its next mark (every 500 ms by default) arrives.
   */
  private final java.util.Map<String, Long> progress = new java.util.HashMap<>();
  private final HeaderRedactor redactor;
  /** Parsed messages of the record being processed, until its attempt succeeded; null otherwise. */
  private List<Record<Object, Object>> held;
  private ProcessorContext<Object, Object> context;
  private ConnectionStateStore store;
  private long emitTimestamp;
  private long reportedOpen;
  private Cancellable punctuator;
  private Duration punctuatorInterval; // of the scheduled punctuator; null: none

  ConnectionProcessor(ProcessorConfig config, ProcessorMetrics metrics, DirectionAssembler assembler) {
    this.config = config;
    this.metrics = metrics;
    this.assembler = assembler;
    this.redactor = new HeaderRedactor(config.redaction(), metrics);
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    this.store = context.getStateStore(TopologyNames.STATE_STORE);
    assembler.clearContexts(); // a revived task's store was restored: contexts follow it
    rebuildIndex();
    punctuator = null;
    punctuatorInterval = null;
    schedulePunctuator();
    reportOpenConnections();
  }

  /** (Re)schedules the wall-clock punctuator for what the index holds; see the class comment. */
  private void schedulePunctuator() {
    long idleMs = config.idleFlush().toMillis();
    long flushMs = Math.max(10, Math.min(idleMs / 4, 1000));
    Duration wanted = index.hasPendingFlush() ? Duration.ofMillis(flushMs)
        : index.size() > 0 || index.finishedCount() > 0
            ? Duration.ofMillis(Math.max(flushMs, Math.min(watchedMs() / 10, MAX_EVICTION_CHECK_MS)))
            : null;
    if (java.util.Objects.equals(wanted, punctuatorInterval)) {
      return;
    }
    if (punctuator != null) {
      punctuator.cancel();
    }
    punctuator = wanted == null ? null
        : context.schedule(wanted, PunctuationType.WALL_CLOCK_TIME, this::onWallClock);
    punctuatorInterval = wanted;
  }

  /** The shortest time a connection waits without bytes to flush: its TTL or a finished one's memory. */
  private long watchedMs() {
    long ttl = index.size() > 0 ? config.connectionTtl().toMillis() : Long.MAX_VALUE;
    long memory = index.finishedCount() > 0
        ? Math.max(1, config.finishedMemory().toMillis()) : Long.MAX_VALUE;
    return Math.min(ttl, memory);
  }

  /** The task moves away or the app stops: its connections no longer count here. */
  @Override
  public void close() {
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
    if (event.getBodyCase() == RawEvent.BodyCase.PROGRESS) {
      // not a connection: no state, no output; only what the idle flush may assume of its host
      metrics.progressMark();
      progress.merge(event.getHostId(), event.getWallTimeNs(), Math::max);
      return;
    }
    String key = record.key() != null && record.key().length > 0
        ? new String(record.key(), StandardCharsets.UTF_8) : event.getConnectionId();
    String problem = validate(event, key);
    if (problem != null) {
      deadLetter(record, problem, IllegalArgumentException.class);
      return;
    }
    if (ModuleEvents.isModuleEvent(event)) {
      // a shell command or server-side query: a message of its own, no connection state
      emitTimestamp = record.timestamp();
      forwardParsed(key, ModuleEvents.toParsed(event));
      return;
    }
    int maxAttempts = config.failures().maxRecordAttempts();
    for (int attempt = 1; ; attempt++) {
      // what the attempt emits waits here: a failed attempt must not leave half its output
      held = new ArrayList<>();
      try {
        apply(key, event, record.timestamp());
        List<Record<Object, Object>> out = held;
        held = null;
        out.forEach(r -> context.forward(r, TopologyNames.PARSED_SINK));
        break;
      } catch (KafkaException e) {
        held = null;
        // the state store is only read before a state changes (ConnectionStateStore.writeExcess,
        // load): a failure here left the connection's state as the last record left it
        if (e instanceof TaskMigratedException || e instanceof TaskCorruptedException
            || PoisonRecordHandler.isRetriable(e)) {
          throw e; // Kafka Streams' own signals (task migrated, fenced producer) must reach it
        }
        // deterministic as far as we can tell (a store or serde failing on this connection's
        // state): tried again in place a bounded number of times, then dead-lettered, so the
        // thread is never replaced in a loop
        if (attempt < maxAttempts) {
          metrics.poisonRetry();
          LOG.warn("processing failed on connection {} (attempt {} of {}), trying again: {}",
              key, attempt, maxAttempts, e.toString());
          pause(attempt);
          continue;
        }
        LOG.error("processing failed on connection {} {} times; the record is dead-lettered and the "
            + "connection's state reset", key, attempt, e);
        metrics.processingError();
        deadLetter(record, "processing failed " + attempt + " times: " + e, e.getClass(), attempt);
        try {
          resetConnection(key);
        } catch (KafkaException stillFailing) {
          // the store cannot even drop the state: the connection's next records fail (bounded) too
          LOG.error("state of connection {} could not be reset: {}", key, stillFailing.toString());
        }
        break;
      } catch (RuntimeException e) {
        held = null;
        // a parser bug must cost one connection's state, not stop the app or loop on the record
        LOG.error("processing failed on connection {}; its state is reset", key, e);
        metrics.processingError();
        resetConnection(key);
        deadLetter(record, "processing failed: " + e, e.getClass());
        break;
      }
    }
    reportOpenConnections();
    schedulePunctuator();
  }

  private void apply(String key, RawEvent event, long recordTimestamp) {
    long now = context.currentSystemTimeMs();
    emitTimestamp = recordTimestamp;
    store.writeExcess(); // before any state changes: a store failure leaves nothing half-changed
    ProcessorConnectionState.Builder loaded = load(key);
    if (loaded != null && loaded.getFinished()) {
      if (isRepeat(loaded, event)) {
        metrics.repeatAfterFinish();
        return;
      }
      loaded = null; // new bytes after the end: parsed as before the connection was remembered
    }
    ProcessorConnectionState.Builder state =
        loaded == null ? ProcessorConnectionState.newBuilder() : loaded;
    mergeIdentity(state, event);
    if (!state.getHostMarks() && progress.containsKey(state.getIdentity().getHostId())) {
      state.setHostMarks(true); // kept in the store: a restarted or moved task still waits for marks
    }
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
        if (e instanceof TaskMigratedException || e instanceof TaskCorruptedException
            || PoisonRecordHandler.isRetriable(e)) {
          throw e;
        }
        // no record to dead-letter here: a failure tied to this connection (its state) must not
        // fail every punctuation and end the thread each time
        LOG.error("idle flush failed on connection {}; its state is reset", key, e);
        metrics.processingError();
        resetConnection(key);
      } catch (RuntimeException e) {
        LOG.error("idle flush failed on connection {}; its state is reset", key, e);
        metrics.processingError();
        resetConnection(key);
      }
    }
    for (String key : index.dueToForget(now, config.finishedMemory().toMillis())) {
      store.delete(key);
    }
    for (String key : index.dueForEviction(now, config.connectionTtl().toMillis())) {
      resetConnection(key);
      metrics.evictedConnection();
    }
    reportOpenConnections();
    schedulePunctuator();
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
      if (assembler.hasUnflushedBytes(dir) && now - dir.getLastActivityMs() >= idleMs
          && mayFlush(state, dir, now)) {
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
   * How far past a direction's last data a mark must reach: the idle time, counted on the
   * collector's capture clock, at most {@link #MAX_MARK_MARGIN_MS}. A mark only just newer than the
   * data does not do: the rest may have been captured a moment after the mark and be the record
   * a failover holds back (seen in ClusterFaultToleranceTest). The cap stays inside the 5 s the
   * collector keeps marking a partition after writing to it.
   */
  private long markMarginNs() {
    return Math.min(config.idleFlush().toMillis(), MAX_MARK_MARGIN_MS) * 1_000_000L;
  }

  /**
   * Whether an idle direction may be flushed now. A message in progress of a detected protocol
   * (not plain unknown bytes) of a host that sends progress marks waits until a mark of that host
   * newer than the direction's last data by {@link #markMarginNs} arrived (its rest is then known
   * not to be in flight:
   * the collector's spool delivers a mark after everything appended before it), or
   * {@link ProcessorConfig#stalledFlush()} passed since the direction's last data. A host without
   * marks (an older collector) and a closed connection flush as before. A connection whose host
   * was seen marking ({@code host_marks}, stored) keeps waiting after a restart or a task move
   * until this task reads the host's next mark.
   */
  private boolean mayFlush(ProcessorConnectionState.Builder state, ProcessorDirectionState.Builder dir,
      long now) {
    if (state.getClosed() || !assembler.holdsMessageInProgress(dir)) {
      return true;
    }
    Long mark = progress.get(state.getIdentity().getHostId());
    if (mark == null ? !state.getHostMarks() : mark >= dir.getLastDataWallNs() + markMarginNs()) {
      return true; // a host without marks, or a mark far enough past the last data
    }
    if (now - dir.getLastActivityMs() >= config.stalledFlush().toMillis()) {
      metrics.stalledFlush();
      return true;
    }
    metrics.idleFlushHeld();
    return false;
  }

  /**
   * The connection's state to work on, or null; an undecodable state is dropped (counted)
   * instead of failing. The builder is the store's own: whoever changes it must save it or drop
   * the connection (see {@link ConnectionStateStore}).
   */
  private ProcessorConnectionState.Builder load(String key) {
    try {
      return store.get(key);
    } catch (SerializationException e) {
      LOG.error("undecodable state of connection {} dropped", key, e);
      metrics.processingError();
      resetConnection(key);
      return null;
    }
  }

  private void resetConnection(String key) {
    store.deleteNow(key);
    index.remove(key);
    assembler.forget(key);
  }

  private void finish(ConnectionSession session) {
    assembler.flush(session, Direction.WRITE);
    assembler.flush(session, Direction.READ);
    String key = session.connectionId();
    assembler.forget(key);
    if (config.finishedMemory().isZero()) {
      store.delete(key);
      index.remove(key);
      return;
    }
    ProcessorConnectionState.Builder state = session.state();
    store.put(key, ProcessorConnectionState.newBuilder()
        .setFinished(true)
        .setClosed(state.getClosed())
        .setRead(ProcessorDirectionState.newBuilder().setNextOffset(state.getRead().getNextOffset()))
        .setWrite(ProcessorDirectionState.newBuilder().setNextOffset(state.getWrite().getNextOffset())));
    index.rememberFinished(key, context.currentSystemTimeMs());
  }

  /** Whether the event brings nothing new to a finished connection: a record sent again. */
  private static boolean isRepeat(ProcessorConnectionState.Builder finished, RawEvent event) {
    return switch (event.getBodyCase()) {
      case DATA -> {
        TlsData data = event.getData();
        ProcessorDirectionState.Builder dir = data.getDirection() == Direction.READ
            ? finished.getReadBuilder() : finished.getWriteBuilder();
        yield data.getOffset() + data.getPayload().size() <= dir.getNextOffset();
      }
      default -> true; // a close or an opening event of a connection already ended
    };
  }

  private void save(String key, ProcessorConnectionState.Builder state, long now) {
    store.put(key, state); // written (built, serialized) once per commit
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
    try (KeyValueIterator<String, ProcessorConnectionState> it = store.committed().all()) {
      while (it.hasNext()) {
        KeyValue<String, ProcessorConnectionState> entry = it.next();
        ProcessorConnectionState.Builder state = entry.value.toBuilder();
        if (state.getFinished()) {
          index.rememberFinished(entry.key, now);
          continue;
        }
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
        key, state, this::forwardParsed, config.limits().maxPendingRequests(), metrics::pendingRequestDropped);
  }

  private void forwardParsed(String connectionId, ParsedMessage message) {
    // credentials never reach ecapture.parsed (--redact), whatever protocol made the message
    Record<Object, Object> out = new Record<>(connectionId, redactor.apply(message), emitTimestamp);
    if (held != null) {
      held.add(out); // a record's attempt: forwarded once it succeeded
    } else {
      context.forward(out, TopologyNames.PARSED_SINK);
    }
  }

  /** A short wait before trying a record again (100 ms per attempt made, at most 1 s). */
  private static void pause(int attempt) {
    try {
      Thread.sleep(Math.min(1000, 100L * attempt));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A record that failed every one of its {@code attempts}: counted as such, attempts in a header. */
  private void deadLetter(Record<byte[], byte[]> record, String reason, Class<?> errorClass, int attempts) {
    metrics.poisonDeadLetter();
    Record<byte[], byte[]> dead = DeadLetters.of(record, context.recordMetadata().orElse(null), reason, errorClass);
    dead.headers().add(PoisonRecordHandler.HEADER_ATTEMPTS,
        Integer.toString(attempts).getBytes(StandardCharsets.UTF_8));
    context.forward(dead, TopologyNames.DLQ_SINK);
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
      state.setIdentity(event.toBuilder().clearBody().build());
      return;
    }
    // read through the message view: the identity stays a built message (not a builder) unless
    // something is missing, so the state's build at each commit does not rebuild it
    RawEvent known = state.getIdentity();
    boolean process = !known.hasProcess() && event.hasProcess();
    boolean tuple = !known.hasTuple() && event.hasTuple();
    boolean host = known.getHostId().isEmpty() && !event.getHostId().isEmpty();
    // the collector names a cgroup's pod once the kubelet's log directory is there: take the
    // fuller answer (same connection, so the same cgroup)
    boolean workload = event.hasWorkload() && !event.getWorkload().equals(known.getWorkload())
        && knownFields(event.getWorkload()) > knownFields(known.getWorkload());
    if (!process && !tuple && !host && !workload) {
      return;
    }
    RawEvent.Builder identity = known.toBuilder();
    if (process) {
      identity.setProcess(event.getProcess());
    }
    if (tuple) {
      identity.setTuple(event.getTuple());
    }
    if (host) {
      identity.setHostId(event.getHostId());
    }
    if (workload) {
      identity.setWorkload(event.getWorkload());
    }
    state.setIdentity(identity.build());
  }

  private static int knownFields(Workload workload) {
    int known = 0;
    for (String field : List.of(workload.getCgroupPath(), workload.getContainerId(), workload.getPodUid(),
        workload.getPodName(), workload.getPodNamespace(), workload.getContainerName())) {
      known += field.isEmpty() ? 0 : 1;
    }
    return known + (workload.getCgroupId() == 0 ? 0 : 1);
  }
}
