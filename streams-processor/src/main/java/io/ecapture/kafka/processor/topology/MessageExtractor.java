package io.ecapture.kafka.processor.topology;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ParseStatus;
import io.ecapture.kafka.processor.protocol.ProtocolHandler;
import io.ecapture.kafka.processor.protocol.Span;
import io.ecapture.kafka.processor.render.TextRenderer;
import io.ecapture.kafka.processor.state.ProcessorChunk;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.util.Arrays;

/**
 * The generic driver loop over one direction's in-order buffer: parse a frame at the head with
 * the direction's protocol, let the protocol stitch it, consume its bytes, repeat. Which protocol
 * that is, and every switch between protocols, is {@link ProtocolSelection}'s; what a protocol
 * does with its frames is its {@link ProtocolHandler}'s. Nothing here knows a protocol.
 *
 * <p>Bytes that are not a frame are resynced past (counted): they become one PROTOCOL_UNKNOWN
 * message up to the next plausible frame start ({@link
 * io.ecapture.kafka.processor.protocol.ProtocolParser#findBoundary}), emitted at once when such a
 * start follows, else when the direction ends (idle, close, gap) or the buffer limit is hit. The
 * rest of a frame forced out at the end of the input, which a handler chose to skip ({@code
 * discard_remaining}), is dropped when it arrives; lost bytes (gaps) are never parsed around:
 * {@link DirectionAssembler} flushes the buffer and tells the protocol ({@link #onGap}).
 */
final class MessageExtractor {
  /** What a parse at the head returns while no protocol is selected yet (not a message in progress). */
  private static final ParseResult<?> UNDETECTED = ParseResult.needsMoreData();
  private final ProtocolRegistry registry;
  private final ProtocolSelection selection;
  private final ProcessorLimits limits;
  private final ProcessorMetrics metrics;

  MessageExtractor(ProtocolRegistry registry, ProcessorLimits limits, ProcessorMetrics metrics) {
    this.registry = registry;
    this.selection = new ProtocolSelection(registry);
    this.limits = limits;
    this.metrics = metrics;
  }

  /**
   * Emits every message the buffer holds. With {@code atEnd} nothing more will follow the
   * buffer, so it is emptied: incomplete messages go out truncated, other bytes as unknown data.
   */
  void extract(ConnectionSession session, Direction direction, boolean atEnd) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    int buffered = dir.getBuffer().size();
    if (atEnd && buffered == 0) {
      endOfStream(session, direction);
    }
    if (buffered == 0
        || (!atEnd && buffered < dir.getParseNeedsBytes() && buffered < limits.maxBufferedBytes())) {
      return; // nothing to do, or the message at the head is known to need more bytes
    }
    dir.setParseNeedsBytes(0);
    long resume = dir.getParseResume(); // for the message at buffer[0] only
    dir.setParseResume(0);
    dir.setMessageInProgress(false);
    long knownUnknown = dir.getUnknownPrefixBytes();
    dir.setUnknownPrefixBytes(0);
    byte[] buf = dir.getBuffer().toByteArray();
    int pos = 0;
    while (pos < buf.length) {
      if (dir.getDiscardRemaining() > 0) {
        int skip = (int) Math.min(dir.getDiscardRemaining(), buf.length - pos);
        dir.setDiscardRemaining(dir.getDiscardRemaining() - skip);
        pos += skip;
        continue;
      }
      boolean full = buf.length - pos >= limits.maxBufferedBytes();
      // INVALID is final for a given start, so a head already found invalid is not re-parsed
      int scanFrom = pos + 1;
      if (pos == 0 && knownUnknown > 0) {
        // a start near the old end may have been unconfirmable then (request line incomplete)
        long margin = limits.maxStartLineBytes() + 16L;
        scanFrom = (int) Math.min(Math.max(1, knownUnknown - margin), buf.length);
      } else {
        ParseResult<?> result =
            parseAndEmit(session, direction, buf, pos, atEnd, full, pos == 0 ? resume : 0);
        if (result.status() == ParseStatus.SUCCESS) {
          pos += result.consumed();
          continue;
        }
        if (result.status() == ParseStatus.NEEDS_MORE_DATA) {
          dir.setParseNeedsBytes(result.bytesNeeded());
          dir.setParseResume(result.resume());
          dir.setMessageInProgress(result != UNDETECTED);
          break;
        }
        metrics.resync();
      }
      int boundary =
          selection.current(dir).parser().findBoundary(buf, Math.max(1, scanFrom), buf.length);
      if (boundary > 0) {
        emitUnknown(session, dir, direction, buf, pos, boundary - pos);
        pos = boundary;
      } else if (atEnd || full) {
        emitUnknown(session, dir, direction, buf, pos, buf.length - pos);
        pos = buf.length;
      } else {
        dir.setUnknownPrefixBytes(buf.length - pos); // relative to the head after consume(pos)
        break;
      }
    }
    consume(dir, pos);
    if (atEnd) {
      endOfStream(session, direction);
    }
  }

  /** The connection is gone: every protocol drops its in-memory contexts of it. */
  void forget(String connectionId) {
    registry.all().forEach(handler -> handler.forget(connectionId));
  }

  /** Drops every in-memory decoding context; each is rebuilt from the state store when needed. */
  void clearContexts() {
    registry.all().forEach(ProtocolHandler::clearContexts);
  }

  /** Bytes of the direction were lost: its protocol's decoding contexts can no longer be trusted. */
  void onGap(ConnectionSession session, Direction direction) {
    ProtocolHandler<?> locked = selection.locked(session.direction(direction));
    if (locked != null) {
      locked.gap(session, direction);
    }
  }

  /** Whether the direction's state holds a partial message of any protocol. */
  boolean holdsPartialMessage(ProcessorDirectionState.Builder dir) {
    for (ProtocolHandler<?> handler : registry.all()) {
      if (handler.holdsPartialMessage(dir)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the direction's head is a message in progress of a detected protocol: a parse that
   * needs more bytes, or a protocol's partial message kept in the state (HTTP/2 streams, a
   * WebSocket message); plain unknown bytes are not.
   */
  boolean messageInProgress(ProcessorDirectionState.Builder dir) {
    return (!dir.getBuffer().isEmpty() && dir.getMessageInProgress()) || holdsPartialMessage(dir);
  }

  /** The direction ends: every protocol emits the partial messages it keeps in the state. */
  private void endOfStream(ConnectionSession session, Direction direction) {
    registry.all().forEach(handler -> handler.endOfStream(session, direction));
  }

  /** Parses one frame at {@code pos} with the protocol selected there, stitching it on SUCCESS. */
  private ParseResult<?> parseAndEmit(ConnectionSession session, Direction direction, byte[] buf,
      int pos, boolean atEnd, boolean full, long resume) {
    boolean end = atEnd || full;
    ProtocolHandler<?> handler = selection.select(session.direction(direction), buf, pos, end);
    return handler == null ? UNDETECTED
        : parseAndEmit(handler, session, direction, buf, pos, end, full, resume);
  }

  private <F> ParseResult<F> parseAndEmit(ProtocolHandler<F> handler, ConnectionSession session,
      Direction direction, byte[] buf, int pos, boolean end, boolean full, long resume) {
    ParseContext context = new ParseContext() {
      @Override
      public String methodAwaitingResponse() {
        return session.methodAwaitingResponse(direction);
      }

      @Override
      public long resume() {
        return resume;
      }
    };
    ParseResult<F> result = handler.parser().parse(buf, pos, buf.length, end, context);
    if (result.status() == ParseStatus.SUCCESS) {
      Span span = span(session.direction(direction), direction, pos, result.consumed());
      handler.emit(session, direction, span, result, full);
      selection.afterFrame(session, direction, result.message());
    }
    return result;
  }

  /** Unknown bytes, in pieces of at most the body limit so every record stays small. */
  private void emitUnknown(ConnectionSession session, ProcessorDirectionState.Builder dir,
      Direction direction, byte[] buf, int pos, int length) {
    for (int start = pos; start < pos + length; start += limits.maxBodyBytes()) {
      int piece = Math.min(limits.maxBodyBytes(), pos + length - start);
      Span span = span(dir, direction, start, piece);
      byte[] raw = Arrays.copyOfRange(buf, start, start + piece);
      metrics.unknownMessage();
      metrics.messageOut();
      session.emitData(TextRenderer.unknown(raw, limits.maxRenderedBytes()).applyTo(
          session.newMessage(span)
              .setProtocol(Protocol.PROTOCOL_UNKNOWN)
              .setKind(MessageKind.DATA)
              .setRaw(UnsafeByteOperations.unsafeWrap(raw))));
    }
  }

  /** Position and capture times of buffer[pos, pos+length); clears the gap flag it reports. */
  private static Span span(ProcessorDirectionState.Builder dir, Direction direction, int pos,
      int length) {
    long start = dir.getBufferOffset() + pos;
    boolean gap = dir.getGapBefore();
    dir.setGapBefore(false);
    return new Span(direction, start, length, timeAt(dir, start),
        timeAt(dir, start + Math.max(0, length - 1)), gap);
  }

  /** Capture time of the chunk that carried stream offset {@code offset}. */
  static long timeAt(ProcessorDirectionState.Builder dir, long offset) {
    long time = dir.getBufferTimesCount() > 0 ? dir.getBufferTimes(0).getWallTimeNs() : 0;
    for (ProcessorChunk mark : dir.getBufferTimesList()) {
      if (mark.getOffset() > offset) {
        break;
      }
      time = mark.getWallTimeNs();
    }
    return time;
  }

  /** Drops the first {@code count} buffered bytes and the time marks only they needed. */
  static void consume(ProcessorDirectionState.Builder dir, int count) {
    if (count == 0) {
      return;
    }
    ByteString rest = dir.getBuffer().substring(count);
    long newStart = dir.getBufferOffset() + count;
    dir.setBuffer(rest).setBufferOffset(newStart);
    if (rest.isEmpty()) {
      dir.clearBufferTimes();
      return;
    }
    // keep the last mark at or before the new start: it still dates buffer[0]
    int keepFrom = 0;
    for (int i = 0; i < dir.getBufferTimesCount(); i++) {
      if (dir.getBufferTimes(i).getOffset() <= newStart) {
        keepFrom = i;
      }
    }
    for (int i = 0; i < keepFrom; i++) {
      dir.removeBufferTimes(0);
    }
  }
}
