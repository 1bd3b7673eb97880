package io.ecapture.kafka.processor.topology;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ParseStatus;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ProtocolParser.Detection;
import io.ecapture.kafka.processor.protocol.http1.Http1Message;
import io.ecapture.kafka.processor.protocol.http2.Http2Frame;
import io.ecapture.kafka.processor.protocol.http2.Http2FrameParser;
import io.ecapture.kafka.processor.protocol.websocket.PerMessageDeflate;
import io.ecapture.kafka.processor.protocol.websocket.WebSocketFrame;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.processor.state.ProcessorChunk;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.util.Arrays;

/**
 * The generic driver loop over one direction's in-order buffer: parse a message at the head,
 * emit it, consume its bytes, repeat. Bytes that are not a message are resynced past: they become
 * one PROTOCOL_UNKNOWN message up to the next plausible message start, emitted at once when such
 * a start follows, else when the direction ends (idle, close, gap) or the buffer limit is hit.
 *
 * <p>Which parser applies is per direction, detected in a fixed order at the head of a direction
 * whose protocol is not known yet: the HTTP/2 client preface, an HTTP/2 SETTINGS frame at stream
 * offset 0 (a server's first bytes), then HTTP/1 (response, then request methods). WebSocket
 * framing applies once
 * the connection upgraded (RFC 6455 §4: a request with {@code Upgrade: websocket} switches its
 * direction at once, the {@code 101} response the other one; any other final response undoes
 * the request side's switch).
 */
final class MessageExtractor {
  private final ProtocolParser<Http1Message> http1;
  private final ProtocolParser<WebSocketFrame> webSocket;
  private final Http2FrameParser http2;
  private final Http2StreamAssembler http2Streams;
  private final WebSocketMessageAssembler webSocketMessages;
  private final ParsedMessageFactory factory;
  private final ProcessorLimits limits;
  private final ProcessorMetrics metrics;

  MessageExtractor(ProtocolParser<Http1Message> http1, ProtocolParser<WebSocketFrame> webSocket,
      Http2FrameParser http2, Http2StreamAssembler http2Streams,
      WebSocketMessageAssembler webSocketMessages, ParsedMessageFactory factory,
      ProcessorLimits limits, ProcessorMetrics metrics) {
    this.webSocketMessages = webSocketMessages;
    this.http1 = http1;
    this.webSocket = webSocket;
    this.http2 = http2;
    this.http2Streams = http2Streams;
    this.factory = factory;
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
    if (atEnd && dir.getProtocol() == Protocol.HTTP2 && buffered == 0) {
      http2Streams.flushOpenStreams(session, direction);
    }
    if (atEnd && buffered == 0) {
      webSocketMessages.flushOpenMessage(session, direction);
    }
    if (buffered == 0
        || (!atEnd && buffered < dir.getParseNeedsBytes() && buffered < limits.maxBufferedBytes())) {
      return; // nothing to do, or the message at the head is known to need more bytes
    }
    dir.setParseNeedsBytes(0);
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
        ParseResult<?> result = parseAndEmit(session, dir, direction, buf, pos, atEnd, full);
        if (result.status() == ParseStatus.SUCCESS) {
          pos += result.consumed();
          continue;
        }
        if (result.status() == ParseStatus.NEEDS_MORE_DATA) {
          dir.setParseNeedsBytes(result.bytesNeeded());
          break;
        }
        metrics.resync();
      }
      ProtocolParser<?> parser = switch (dir.getProtocol()) {
        case WEBSOCKET -> webSocket;
        case HTTP2 -> http2;
        default -> http1;
      };
      int boundary = parser.findBoundary(buf, Math.max(1, scanFrom), buf.length);
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
    if (atEnd && dir.getProtocol() == Protocol.HTTP2) {
      http2Streams.flushOpenStreams(session, direction);
    }
    if (atEnd) {
      webSocketMessages.flushOpenMessage(session, direction);
    }
  }

  void forget(String connectionId) {
    http2Streams.forget(connectionId);
    webSocketMessages.forget(connectionId);
  }

  /** Drops every in-memory decoding context; each is rebuilt from the state store when needed. */
  void clearContexts() {
    http2Streams.clearDecoders();
    webSocketMessages.clearInflaters();
  }

  /** Bytes of the direction were lost: per-direction decoding contexts can no longer be trusted. */
  void onGap(ConnectionSession session, Direction direction) {
    switch (session.direction(direction).getProtocol()) {
      case HTTP2 -> http2Streams.tableLost(session, direction);
      case WEBSOCKET -> webSocketMessages.contextLost(session, direction);
      default -> {}
    }
  }

  /** Parses one message at {@code pos} with the direction's parser and emits it on SUCCESS. */
  private ParseResult<?> parseAndEmit(ConnectionSession session,
      ProcessorDirectionState.Builder dir, Direction direction, byte[] buf, int pos, boolean atEnd,
      boolean full) {
    boolean end = atEnd || full;
    if (dir.getProtocol() == Protocol.WEBSOCKET) {
      ParseResult<WebSocketFrame> frame = webSocket.parse(buf, pos, buf.length, end, ParseContext.NONE);
      if (frame.status() == ParseStatus.SUCCESS) {
        emitWebSocket(session, dir, direction, pos, frame);
      }
      return frame;
    }
    if (dir.getProtocol() != Protocol.HTTP2) {
      Detection h2 = detectHttp2(dir, buf, pos, end);
      if (h2 == Detection.NEEDS_MORE_DATA) {
        return ParseResult.needsMoreData();
      }
      if (h2 == Detection.MATCH) {
        dir.setProtocol(Protocol.HTTP2);
      }
    }
    if (dir.getProtocol() == Protocol.HTTP2) {
      ParseResult<Http2Frame> frame = http2.parse(buf, pos, buf.length, end, ParseContext.NONE);
      if (frame.status() == ParseStatus.SUCCESS) {
        if (frame.bytesStillExpected() > 0) {
          dir.setDiscardRemaining(frame.bytesStillExpected());
        }
        http2Streams.onFrame(session, direction, span(dir, direction, pos, frame.consumed()),
            frame.message());
      }
      return frame;
    }
    ParseResult<Http1Message> http = http1.parse(buf, pos, buf.length, end,
        () -> session.methodAwaitingResponse(direction));
    if (http.status() == ParseStatus.SUCCESS) {
      emitHttp(session, dir, direction, pos, http, full);
    }
    return http;
  }

  /**
   * HTTP/2 at the head of a direction not known to be HTTP/2: the client preface anywhere a
   * message may start, or a SETTINGS frame as the very first bytes of the stream.
   */
  private Detection detectHttp2(ProcessorDirectionState.Builder dir, byte[] buf, int pos,
      boolean end) {
    Detection preface = Http2FrameParser.matchPreface(buf, pos, buf.length);
    if (preface == Detection.MATCH) {
      return Detection.MATCH;
    }
    boolean streamStart = dir.getBufferOffset() + pos == 0 && !dir.getGapBefore();
    Detection settings = streamStart ? http2.detect(buf, pos, buf.length) : Detection.NO_MATCH;
    if (settings == Detection.MATCH) {
      return Detection.MATCH;
    }
    boolean undecided = preface == Detection.NEEDS_MORE_DATA || settings == Detection.NEEDS_MORE_DATA;
    return undecided && !end ? Detection.NEEDS_MORE_DATA : Detection.NO_MATCH;
  }

  private void emitWebSocket(ConnectionSession session, ProcessorDirectionState.Builder dir,
      Direction direction, int pos, ParseResult<WebSocketFrame> result) {
    ParsedMessageFactory.Span span = span(dir, direction, pos, result.consumed());
    if (result.bytesStillExpected() > 0) {
      dir.setDiscardRemaining(result.bytesStillExpected());
    }
    webSocketMessages.onFrame(session, direction, span, result.message());
  }

  private void emitHttp(ConnectionSession session, ProcessorDirectionState.Builder dir,
      Direction direction, int pos, ParseResult<Http1Message> result, boolean cutForSize) {
    ParsedMessageFactory.Span span = span(dir, direction, pos, result.consumed());
    ParsedMessage.Builder message = factory.http1(session.connectionId(),
        session.state().getIdentity(), span, result.message());
    if (result.bytesStillExpected() > 0 && cutForSize) {
      // cut for size: the rest of this body is dropped by design (counted as truncated). A body
      // cut by an idle flush is not dropped: if the rest arrives it is shown as unknown data.
      dir.setDiscardRemaining(result.bytesStillExpected());
    }
    if (message.getHttp().getBodyTruncated()) {
      metrics.truncatedMessage();
    }
    metrics.messageOut();
    Http1Message http = result.message();
    if (http.request()) {
      session.emitRequest(message, http.method());
      if (asksForWebSocket(http)) {
        dir.setProtocol(Protocol.WEBSOCKET); // frames may follow before the 101 is seen
      }
      return;
    }
    session.emitResponse(message, http.interim());
    ProcessorDirectionState.Builder requestSide = session.direction(opposite(direction));
    if (http.status() == 101 && asksForWebSocket(http)) {
      // RFC 7692 §7.1: the 101 says which extension the server accepted, with its parameters
      PerMessageDeflate deflate =
          PerMessageDeflate.fromResponseHeader(http.header("Sec-WebSocket-Extensions"));
      dir.setProtocol(Protocol.WEBSOCKET).setWsDeflate(deflate.enabled())
          .setWsNoContextTakeover(deflate.serverNoContextTakeover());
      requestSide.setProtocol(Protocol.WEBSOCKET).setWsDeflate(deflate.enabled())
          .setWsNoContextTakeover(deflate.clientNoContextTakeover());
    } else if (!http.interim() && requestSide.getProtocol() == Protocol.WEBSOCKET) {
      // upgrade refused: still HTTP/1, and hints computed for WebSocket no longer hold
      requestSide.setProtocol(Protocol.PROTOCOL_UNKNOWN).setUnknownPrefixBytes(0).setParseNeedsBytes(0);
    }
  }

  private static boolean asksForWebSocket(Http1Message message) {
    String upgrade = message.header("Upgrade");
    return upgrade != null && upgrade.toLowerCase(java.util.Locale.ROOT).contains("websocket");
  }

  private static Direction opposite(Direction direction) {
    return direction == Direction.READ ? Direction.WRITE : Direction.READ;
  }

  /** Unknown bytes, in pieces of at most the body limit so every record stays small. */
  private void emitUnknown(ConnectionSession session, ProcessorDirectionState.Builder dir,
      Direction direction, byte[] buf, int pos, int length) {
    for (int start = pos; start < pos + length; start += limits.maxBodyBytes()) {
      int piece = Math.min(limits.maxBodyBytes(), pos + length - start);
      ParsedMessageFactory.Span span = span(dir, direction, start, piece);
      byte[] raw = Arrays.copyOfRange(buf, start, start + piece);
      metrics.unknownMessage();
      metrics.messageOut();
      session.emitData(factory.unknown(session.connectionId(), session.state().getIdentity(), span, raw));
    }
  }

  /** Position and capture times of buffer[pos, pos+length); clears the gap flag it reports. */
  private static ParsedMessageFactory.Span span(ProcessorDirectionState.Builder dir,
      Direction direction, int pos, int length) {
    long start = dir.getBufferOffset() + pos;
    boolean gap = dir.getGapBefore();
    dir.setGapBefore(false);
    return new ParsedMessageFactory.Span(direction, start, length, timeAt(dir, start),
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
