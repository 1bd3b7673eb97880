package io.ecapture.kafka.processor;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the processor, shared by every stream thread (hence {@link LongAdder}). Read by the
 * periodic stats line and by tests.
 */
public final class ProcessorMetrics {
  private final LongAdder recordsIn = new LongAdder();
  private final LongAdder messagesOut = new LongAdder();
  private final LongAdder deadLettered = new LongAdder();
  private final LongAdder gaps = new LongAdder();
  private final LongAdder duplicateChunks = new LongAdder();
  private final LongAdder unknownMessages = new LongAdder();
  private final LongAdder truncatedMessages = new LongAdder();
  private final LongAdder evictedConnections = new LongAdder();
  private final LongAdder resyncs = new LongAdder();
  private final LongAdder processingErrors = new LongAdder();
  private final LongAdder oversizedRecords = new LongAdder();
  private final LongAdder openConnections = new LongAdder();
  private final LongAdder http2ControlFrames = new LongAdder();
  private final LongAdder hpackTablesLost = new LongAdder();
  private final LongAdder webSocketInflateFailures = new LongAdder();
  private final LongAdder contextsRestored = new LongAdder();

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

  public void unknownMessage() {
    unknownMessages.increment();
  }

  public void truncatedMessage() {
    truncatedMessages.increment();
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
        + " contexts_restored=" + contextsRestored();
  }
}
