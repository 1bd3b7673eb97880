package io.ecapture.kafka.processor;

import io.ecapture.kafka.common.Metrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the processor, shared by every stream thread (hence {@link LongAdder}). Read by the
 * periodic stats line, the status server ({@link #snapshot()}, {@link #registerWith}) and tests.
 */
public final class ProcessorMetrics {
  /** A counter and how it is exported: {@code ecapture_processor_<name>_total}. */
  private record Named(String name, String help, LongAdder adder) {}

  private final List<Named> all = new ArrayList<>();
  private final LongAdder recordsIn = counter("records_in", "Raw records read from ecapture.raw.");
  private final LongAdder messagesOut = counter("messages_out",
      "Parsed messages produced to ecapture.parsed.");
  private final LongAdder deadLettered = counter("dead_lettered",
      "Raw records sent to ecapture.dlq.");
  private final LongAdder gaps = counter("gaps",
      "Holes in a direction's byte stream declared lost.");
  private final LongAdder duplicateChunks = counter("duplicate_chunks",
      "Chunks dropped as repeats of bytes already seen.");
  private final LongAdder repeatsAfterFinish = counter("repeats_after_finish",
      "Records of a finished connection that arrived again (a re-send) and were dropped.");
  private final LongAdder unknownMessages = counter("unknown_messages",
      "Messages of unknown protocol (raw bytes).");
  private final LongAdder truncatedMessages = counter("truncated_messages",
      "Messages emitted cut (limit, idle flush, close, gap).");
  private final LongAdder progressMarks = counter("progress_marks",
      "Collector progress marks read from the raw topic (no output, no state).");
  private final LongAdder heldForProgress = counter("idle_flushes_held",
      "Idle flushes of a message in progress put off because no newer progress mark of its host arrived.");
  private final LongAdder stalledFlushes = counter("stalled_flushes",
      "Messages in progress flushed cut after --stalled-flush-ms without a newer progress mark of their host.");
  private final LongAdder evictedConnections = counter("evicted_connections",
      "Connection states dropped after the connection TTL.");
  private final LongAdder resyncs = counter("resyncs",
      "Times bytes at a direction's head were not a message of its protocol.");
  private final LongAdder processingErrors = counter("processing_errors",
      "Unexpected failures that reset one connection's state.");
  private final LongAdder oversizedRecords = counter("oversized_records",
      "Output records refused as too large and skipped.");
  private final LongAdder http2ControlFrames = counter("http2_control_frames",
      "HTTP/2 connection-management frames (SETTINGS, PING, GOAWAY, ...).");
  private final LongAdder hpackTablesLost = counter("hpack_tables_lost",
      "HPACK dynamic tables that became unknown.");
  private final LongAdder webSocketInflateFailures = counter("websocket_inflate_failures",
      "permessage-deflate messages that could not be inflated.");
  private final LongAdder contextsRestored = counter("contexts_restored",
      "HPACK tables and deflate windows rebuilt from the state store.");
  private final LongAdder redactedHeaders = counter("redacted_headers",
      "Header values replaced by --redact before reaching ecapture.parsed.");
  private final LongAdder poisonRetries = counter("poison_retries",
      "Failed processing attempts of a record that were retried (the stream thread replaced).");
  private final LongAdder poisonDeadLettered = counter("poison_dead_lettered",
      "Records dead-lettered after failing processing on every attempt (also in dead_lettered).");
  private final LongAdder threadFailures = counter("thread_failures",
      "Stream threads that died on an exception (replaced after a backoff, or the app stopped).");
  private final LongAdder pendingRequestsDropped = counter("pending_requests_dropped",
      "Requests forgotten unanswered past the pending-request limit (their responses stay unpaired).");
  private final LongAdder commitRequests = counter("commit_requests",
      "Commits asked of Kafka Streams after emitting live messages (exactly_once_v2): at most one "
          + "per polled batch of a task, rate-limited per stream thread.");
  private final LongAdder openConnections = new LongAdder();

  private LongAdder counter(String name, String help) {
    LongAdder adder = new LongAdder();
    all.add(new Named(name, help, adder));
    return adder;
  }

  /** Every counter by its export name (without prefix and {@code _total}), in a fixed order. */
  public Map<String, Long> snapshot() {
    Map<String, Long> out = new LinkedHashMap<>();
    all.forEach(c -> out.put(c.name(), c.adder().sum()));
    out.put("open_connections", openConnections());
    return out;
  }

  /**
   * Exposes every counter as {@code <prefix><name>_total} and the open connections as the gauge
   * {@code <prefix>open_connections}.
   */
  public Metrics registerWith(Metrics metrics) {
    for (Named c : all) {
      metrics.counter(c.name() + "_total", c.help(), c.adder()::sum);
    }
    return metrics.gauge("open_connections", "Connections whose state this instance holds.",
        this::openConnections);
  }

  /** An HTTP/2 connection-management frame (SETTINGS, PING, GOAWAY, WINDOW_UPDATE, ...). */
  public void http2ControlFrame() {
    http2ControlFrames.increment();
  }

  public long http2ControlFrames() {
    return http2ControlFrames.sum();
  }

  /** A direction's HPACK table became unknown (lost or undecodable header block). */
  public void hpackTableLost() {
    hpackTablesLost.increment();
  }

  public long hpackTablesLost() {
    return hpackTablesLost.sum();
  }

  /**
   * An HPACK table or a permessage-deflate window was rebuilt from the state store (restart,
   * task move, in-memory eviction) instead of being lost.
   */
  public void contextRestored() {
    contextsRestored.increment();
  }

  public long contextsRestored() {
    return contextsRestored.sum();
  }

  /** A permessage-deflate message could not be inflated (compression context lost). */
  public void webSocketInflateFailure() {
    webSocketInflateFailures.increment();
  }

  public long webSocketInflateFailures() {
    return webSocketInflateFailures.sum();
  }

  public void recordIn() {
    recordsIn.increment();
  }

  public void messageOut() {
    messagesOut.increment();
  }

  public void deadLetter() {
    deadLettered.increment();
  }

  public void gap() {
    gaps.increment();
  }

  public void duplicateChunk() {
    duplicateChunks.increment();
  }

  public void repeatAfterFinish() {
    repeatsAfterFinish.increment();
  }

  public long repeatsAfterFinish() {
    return repeatsAfterFinish.sum();
  }

  public void unknownMessage() {
    unknownMessages.increment();
  }

  public void truncatedMessage() {
    truncatedMessages.increment();
  }

  public void progressMark() {
    progressMarks.increment();
  }

  public long progressMarks() {
    return progressMarks.sum();
  }

  public void idleFlushHeld() {
    heldForProgress.increment();
  }

  public long idleFlushesHeld() {
    return heldForProgress.sum();
  }

  public void stalledFlush() {
    stalledFlushes.increment();
  }

  public long stalledFlushes() {
    return stalledFlushes.sum();
  }

  public void evictedConnection() {
    evictedConnections.increment();
  }

  /** Bytes at a buffer head were not a message of any known protocol. */
  public void resync() {
    resyncs.increment();
  }

  /** An unexpected failure reset one connection's state (its record went to the DLQ). */
  public void processingError() {
    processingErrors.increment();
  }

  /** An output record was too large for the producer or broker and was skipped. */
  public void oversizedRecord() {
    oversizedRecords.increment();
  }

  public long oversizedRecords() {
    return oversizedRecords.sum();
  }

  /** {@code count} header values were redacted in one message. */
  public void redactedHeaders(long count) {
    redactedHeaders.add(count);
  }

  public long redactedHeaders() {
    return redactedHeaders.sum();
  }

  /** A record failed processing and will be retried (its stream thread is replaced). */
  public void poisonRetry() {
    poisonRetries.increment();
  }

  public long poisonRetries() {
    return poisonRetries.sum();
  }

  /** A record failed processing on every attempt and went to the dead-letter topic. */
  public void poisonDeadLetter() {
    poisonDeadLettered.increment();
    deadLettered.increment();
  }

  public long poisonDeadLettered() {
    return poisonDeadLettered.sum();
  }

  /** A stream thread died on an exception. */
  public void threadFailure() {
    threadFailures.increment();
  }

  public long threadFailures() {
    return threadFailures.sum();
  }

  /** A task asked Kafka Streams for a commit to make what it emitted visible (CommitPacing). */
  public void commitRequested() {
    commitRequests.increment();
  }

  public long commitRequests() {
    return commitRequests.sum();
  }

  /** The oldest unanswered request of a connection was forgotten (pending-request limit). */
  public void pendingRequestDropped() {
    pendingRequestsDropped.increment();
  }

  public long pendingRequestsDropped() {
    return pendingRequestsDropped.sum();
  }

  /** Connections with state in this instance's stores went up or down by {@code delta}. */
  public void openConnectionsChanged(long delta) {
    openConnections.add(delta);
  }

  /** Connections currently tracked (state held) by this processor instance. */
  public long openConnections() {
    return openConnections.sum();
  }

  public long processingErrors() {
    return processingErrors.sum();
  }

  public long resyncs() {
    return resyncs.sum();
  }

  public long recordsIn() {
    return recordsIn.sum();
  }

  public long messagesOut() {
    return messagesOut.sum();
  }

  public long deadLettered() {
    return deadLettered.sum();
  }

  public long gaps() {
    return gaps.sum();
  }

  public long duplicateChunks() {
    return duplicateChunks.sum();
  }

  public long unknownMessages() {
    return unknownMessages.sum();
  }

  public long truncatedMessages() {
    return truncatedMessages.sum();
  }

  public long evictedConnections() {
    return evictedConnections.sum();
  }

  /** One log line with every counter. */
  public String summary() {
    return "connections=" + openConnections() + " records_in=" + recordsIn() + " messages_out=" + messagesOut() + " dlq=" + deadLettered()
        + " gaps=" + gaps() + " duplicates=" + duplicateChunks() + " unknown=" + unknownMessages()
        + " truncated=" + truncatedMessages() + " resyncs=" + resyncs()
        + " errors=" + processingErrors() + " oversized=" + oversizedRecords()
        + " evicted=" + evictedConnections() + " h2_control=" + http2ControlFrames()
        + " hpack_lost=" + hpackTablesLost() + " ws_inflate_failed=" + webSocketInflateFailures()
        + " contexts_restored=" + contextsRestored() + " redacted=" + redactedHeaders()
        + " poison_retries=" + poisonRetries() + " poison_dlq=" + poisonDeadLettered()
        + " thread_failures=" + threadFailures() + " pending_dropped=" + pendingRequestsDropped();
  }
}
