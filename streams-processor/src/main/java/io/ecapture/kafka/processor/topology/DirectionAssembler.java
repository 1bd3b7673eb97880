package io.ecapture.kafka.processor.topology;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.state.ProcessorChunk;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.proto.capture.Direction;

/**
 * Restores one direction's byte stream from chunks that may arrive out of order (events of
 * different CPUs), by the kernel-assigned stream offset, and hands in-order bytes to the
 * {@link MessageExtractor}.
 *
 * <p>Every stream starts at offset 0. A chunk past the next expected offset waits; a chunk at
 * or before it is appended (the overlap trimmed, a full repeat dropped and counted). A hole is
 * declared a gap, never filled with invented bytes: at once when it lies inside a call the
 * capture cut ({@code TlsData.truncated}: the bytes will never come), when the waiting chunks
 * exceed their limit, or when the direction has been idle. The buffer before the hole is flushed
 * first, and the first message after it carries {@code gap_before}.
 *
 * <p>Chunks of one library call come from one ring-buffer producer in order, so a hole inside a
 * cut call is never filled by a late chunk of the same call.
 */
final class DirectionAssembler {
  private final MessageExtractor extractor;
  private final ProcessorLimits limits;
  private final ProcessorMetrics metrics;

  DirectionAssembler(MessageExtractor extractor, ProcessorLimits limits, ProcessorMetrics metrics) {
    this.extractor = extractor;
    this.limits = limits;
    this.metrics = metrics;
  }

  /** Accepts one chunk and emits every message it completes. */
  void onChunk(ConnectionSession session, Direction direction, ProcessorChunk chunk, long nowMs) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    dir.setLastActivityMs(nowMs);
    if (chunk.getWallTimeNs() > dir.getLastDataWallNs()) {
      dir.setLastDataWallNs(chunk.getWallTimeNs());
    }
    long end = chunk.getOffset() + chunk.getPayload().size();
    if (!chunk.getPayload().isEmpty() && end <= dir.getNextOffset()) {
      metrics.duplicateChunk();
      return;
    }
    if (chunk.getOffset() > dir.getNextOffset()) {
      holdOutOfOrder(dir, chunk);
      // one skip may leave later holes with more than the limit behind them: skip until under
      while (outOfOrderBytes(dir) > limits.maxOutOfOrderBytes()) {
        skipHole(session, direction);
      }
    } else {
      appendInOrder(dir, chunk);
      drainOutOfOrder(session, direction);
    }
    skipKnownLosses(session, direction);
    extractor.extract(session, direction, false);
  }

  /** The direction went idle or its connection ended: give up on holes and empty the buffer. */
  void flush(ConnectionSession session, Direction direction) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    while (dir.getOutOfOrderCount() > 0) {
      skipHole(session, direction);
    }
    extractor.extract(session, direction, true);
  }

  /** Bytes, or a protocol's partial message (HTTP/2 streams, WebSocket), an idle flush would emit. */
  boolean hasUnflushedBytes(ProcessorDirectionState.Builder dir) {
    return !dir.getBuffer().isEmpty() || dir.getOutOfOrderCount() > 0
        || extractor.holdsPartialMessage(dir);
  }

  /**
   * Whether an idle flush would cut a message in progress of a detected protocol (not plain
   * unknown bytes), see {@link MessageExtractor#messageInProgress}. Bytes waiting behind a hole
   * count too when the buffer before the hole holds such a message.
   */
  boolean holdsMessageInProgress(ProcessorDirectionState.Builder dir) {
    return extractor.messageInProgress(dir);
  }

  /** The connection is gone: drop its in-memory parser state (HPACK tables, inflaters). */
  void forget(String connectionId) {
    extractor.forget(connectionId);
  }

  /** The task is (re)initialised or closed: in-memory decoding contexts follow the store again. */
  void clearContexts() {
    extractor.clearContexts();
  }

  /** True once every byte the close announced has arrived or is known lost. */
  static boolean complete(ProcessorDirectionState.Builder dir, long announcedTotal) {
    return dir.getOutOfOrderCount() == 0
        && (dir.getNextOffset() >= announcedTotal || dir.getLossyUntil() >= announcedTotal);
  }

  private static void appendInOrder(ProcessorDirectionState.Builder dir, ProcessorChunk chunk) {
    int overlap = (int) Math.min(dir.getNextOffset() - chunk.getOffset(), chunk.getPayload().size());
    ByteString payload = chunk.getPayload().substring(overlap);
    long offset = chunk.getOffset() + overlap;
    if (!payload.isEmpty()) {
      if (dir.getBuffer().isEmpty()) {
        dir.setBufferOffset(offset).clearBufferTimes();
      }
      dir.setBuffer(dir.getBuffer().concat(payload));
      dir.addBufferTimes(ProcessorChunk.newBuilder()
          .setOffset(offset)
          .setWallTimeNs(chunk.getWallTimeNs()));
      dir.setNextOffset(offset + payload.size());
    }
    if (chunk.getCallEnd() > dir.getLossyUntil()) {
      dir.setLossyUntil(chunk.getCallEnd());
    }
  }

  private void drainOutOfOrder(ConnectionSession session, Direction direction) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    while (dir.getOutOfOrderCount() > 0 && dir.getOutOfOrder(0).getOffset() <= dir.getNextOffset()) {
      ProcessorChunk next = dir.getOutOfOrder(0);
      dir.removeOutOfOrder(0);
      if (!next.getPayload().isEmpty()
          && next.getOffset() + next.getPayload().size() <= dir.getNextOffset()) {
        metrics.duplicateChunk();
      } else {
        appendInOrder(dir, next);
      }
    }
  }

  /**
   * Skips holes that lie inside a call the capture cut: their bytes were never captured, so
   * waiting for them would only delay every later message by the idle timeout.
   */
  private void skipKnownLosses(ConnectionSession session, Direction direction) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    while (dir.getOutOfOrderCount() > 0 && dir.getNextOffset() < dir.getLossyUntil()) {
      extractor.extract(session, direction, true);
      jump(session, direction, Math.min(dir.getOutOfOrder(0).getOffset(), dir.getLossyUntil()));
      drainOutOfOrder(session, direction);
    }
  }

  /** Flushes what precedes the first hole, then continues after it. */
  private void skipHole(ConnectionSession session, Direction direction) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    if (dir.getOutOfOrderCount() == 0) {
      return;
    }
    extractor.extract(session, direction, true);
    jump(session, direction, dir.getOutOfOrder(0).getOffset());
    drainOutOfOrder(session, direction);
  }

  /** Moves the stream past lost bytes; the buffer is empty here (flushed at end). */
  private void jump(ConnectionSession session, Direction direction, long newOffset) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    long lost = newOffset - dir.getNextOffset();
    if (lost <= 0) {
      return;
    }
    metrics.gap();
    extractor.onGap(session, direction);
    // lost bytes may belong to a body already emitted as truncated: they count as discarded
    dir.setDiscardRemaining(Math.max(0, dir.getDiscardRemaining() - lost));
    dir.setNextOffset(newOffset).setBufferOffset(newOffset).setBuffer(ByteString.EMPTY)
        .clearBufferTimes().setParseNeedsBytes(0).setParseResume(0).setUnknownPrefixBytes(0)
        .setGapBefore(true);
  }

  private static void holdOutOfOrder(ProcessorDirectionState.Builder dir, ProcessorChunk chunk) {
    int index = 0;
    while (index < dir.getOutOfOrderCount()
        && dir.getOutOfOrder(index).getOffset() <= chunk.getOffset()) {
      index++;
    }
    dir.addOutOfOrder(index, chunk);
  }

  private static long outOfOrderBytes(ProcessorDirectionState.Builder dir) {
    long total = 0;
    for (ProcessorChunk chunk : dir.getOutOfOrderList()) {
      total += chunk.getPayload().size();
    }
    return total;
  }
}
