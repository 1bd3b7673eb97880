package io.ecapture.kafka.processor.protocol.http2;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.protocol.Span;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.processor.state.ProcessorHttp2Stream;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.ParsedMessage;

/**
 * Turns one direction's HTTP/2 frames into messages (RFC 9113 §8.1): a stream's HEADERS (with
 * CONTINUATIONs), DATA and trailing HEADERS make one request or response, emitted at END_STREAM
 * or RST_STREAM, or truncated when the direction is flushed. Partial streams live in the state
 * store; header blocks are decoded once, in wire order, so the HPACK table stays in step (and
 * is copied into the state whenever it changes, see {@link HpackDecoders}).
 *
 * <p>Requests and responses pair by stream id, so multiplexed exchanges pair correctly whatever
 * order they finish in. Open streams per direction are bounded by {@link
 * ProcessorLimits#maxOpenStreams()} (past it the oldest is emitted as it is), their bodies
 * together by {@link ProcessorLimits#maxBufferedBytes()}.
 */
final class Http2StreamAssembler {
  private final HpackDecoders hpack;
  private final Http2Messages messages;
  private final ProcessorLimits limits;
  private final ProcessorMetrics metrics;

  Http2StreamAssembler(HpackDecoders hpack, Http2Messages messages, ProcessorLimits limits,
      ProcessorMetrics metrics) {
    this.hpack = hpack;
    this.messages = messages;
    this.limits = limits;
    this.metrics = metrics;
  }

  void forget(String connectionId) {
    hpack.forget(connectionId);
  }

  /** In-memory decoders go; each is rebuilt from its direction's state when next needed. */
  void clearDecoders() {
    hpack.clear();
  }

  /** One frame of the direction; the client preface is a protocol switch, not a frame here. */
  void onFrame(ConnectionSession session, Direction direction, Span span, Http2Frame frame) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    switch (frame.type()) {
      case Http2Frame.HEADERS -> {
        int index = streamIndex(session, direction, frame.streamId(), span);
        ProcessorHttp2Stream.Builder stream = touch(dir.getHttp2StreamsBuilder(index), span);
        byte[] fragment = headerFragment(frame);
        if (fragment == null || frame.truncated()) {
          stream.setHpackFailed(true);
          tableLost(session, direction); // the block's table updates are lost with it
        } else {
          appendHeaderFragment(session, direction, stream, fragment);
        }
        if (frame.has(Http2Frame.FLAG_END_STREAM)) {
          stream.setEndStreamPending(true);
        }
        if (frame.has(Http2Frame.FLAG_END_HEADERS)) {
          endHeaders(session, direction, index);
        }
      }
      case Http2Frame.CONTINUATION -> {
        int index = streamIndex(session, direction, frame.streamId(), span);
        ProcessorHttp2Stream.Builder stream = touch(dir.getHttp2StreamsBuilder(index), span);
        appendHeaderFragment(session, direction, stream, frame.payload());
        if (frame.truncated()) {
          stream.setHpackFailed(true);
          tableLost(session, direction);
        }
        if (frame.has(Http2Frame.FLAG_END_HEADERS)) {
          endHeaders(session, direction, index);
        }
      }
      case Http2Frame.DATA -> {
        int index = streamIndex(session, direction, frame.streamId(), span);
        ProcessorHttp2Stream.Builder stream = touch(dir.getHttp2StreamsBuilder(index), span);
        byte[] data = unpad(frame);
        if (data != null) {
          long room = limits.maxBodyBytes() - stream.getBody().size();
          if (room > 0) {
            int take = (int) Math.min(room, data.length);
            stream.setBody(stream.getBody().concat(ByteString.copyFrom(data, 0, take)));
          }
          long padding = frame.has(Http2Frame.FLAG_PADDED) ? 1 + padLength(frame) : 0;
          stream.setBodyLength(stream.getBodyLength() + Math.max(0, frame.length() - padding));
        }
        if (frame.has(Http2Frame.FLAG_END_STREAM)) {
          complete(session, direction, index, false);
        } else if (openBodyBytes(dir) > limits.maxBufferedBytes()) {
          // bound the state: the stream holding the most leaves now, truncated
          complete(session, direction, largestStream(dir), true);
        }
      }
      case Http2Frame.RST_STREAM -> {
        int index = find(dir, frame.streamId());
        if (index >= 0) {
          touch(dir.getHttp2StreamsBuilder(index), span);
          complete(session, direction, index, true, errorCode(frame));
        } else {
          metrics.http2ControlFrame(); // a reset of a stream with nothing pending here
        }
      }
      case Http2Frame.PUSH_PROMISE -> {
        // the promised request's header block still updates the HPACK table: decode, drop
        byte[] fragment = headerFragment(frame);
        if (fragment != null && fragment.length >= 4 && frame.has(Http2Frame.FLAG_END_HEADERS)
            && !frame.truncated()) {
          HpackDecoders.Decoded decoded = hpack.decode(session.connectionId(), direction, dir,
              frame.streamId(), java.util.Arrays.copyOfRange(fragment, 4, fragment.length));
          if (decoded.tableLost()) {
            tableLost(session, direction);
          }
        } else {
          // a promise split over CONTINUATIONs or cut is not followed: the table is unknown
          tableLost(session, direction);
        }
      }
      case Http2Frame.GOAWAY, Http2Frame.SETTINGS, Http2Frame.PING, Http2Frame.WINDOW_UPDATE,
          Http2Frame.PRIORITY -> metrics.http2ControlFrame(); // connection management: no message
      default -> {} // unknown frame types are ignored (RFC 9113 §4.1)
    }
  }

  /** The direction ends (idle, close, gap): every open stream leaves as it is, truncated. */
  void flushOpenStreams(ConnectionSession session, Direction direction) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    while (dir.getHttp2StreamsCount() > 0) {
      complete(session, direction, 0, true);
    }
  }

  private void endHeaders(ConnectionSession session, Direction direction, int index) {
    ProcessorHttp2Stream.Builder stream = session.direction(direction).getHttp2StreamsBuilder(index);
    byte[] block = stream.getHeaderBlock().toByteArray();
    stream.clearHeaderBlock();
    if (!stream.getHpackFailed()) {
      HpackDecoders.Decoded decoded = hpack.decode(session.connectionId(), direction,
          session.direction(direction), stream.getStreamId(), block);
      if (decoded.tableLost()) {
        tableLost(session, direction);
      }
      if (decoded.headers() == null) {
        stream.setHpackFailed(true);
      } else {
        stream.addAllHeaders(decoded.headers());
      }
    }
    if (stream.getEndStreamPending()) {
      complete(session, direction, index, false);
    }
  }

  /**
   * Adds a HEADERS/CONTINUATION fragment; a block growing past the header limit (endless
   * CONTINUATIONs, RFC 9113 §10.5.1) is dropped, and the table with it, instead of stored.
   */
  private void appendHeaderFragment(ConnectionSession session, Direction direction,
      ProcessorHttp2Stream.Builder stream, byte[] fragment) {
    if (stream.getHpackFailed()) {
      return;
    }
    if ((long) stream.getHeaderBlock().size() + fragment.length > limits.maxHeaderBytes()) {
      stream.clearHeaderBlock().setHpackFailed(true);
      tableLost(session, direction);
      return;
    }
    stream.setHeaderBlock(stream.getHeaderBlock().concat(ByteString.copyFrom(fragment)));
  }

  /**
   * Bytes of this direction's header blocks were lost (gap, cut frame, endless CONTINUATION,
   * compression error): the table goes, and later blocks are decoded with an empty one. That
   * is safe: entries added after the loss sit at the same indices in the real table and in the
   * fresh one, and a reference to an entry from before the loss is past the fresh table's end,
   * so it fails (the message is flagged) instead of resolving to a wrong field (RFC 7541 §2.3.3).
   */
  void tableLost(ConnectionSession session, Direction direction) {
    metrics.hpackTableLost();
    ProcessorDirectionState.Builder dir = session.direction(direction);
    dir.setHpackTableUnknown(true);
    hpack.forget(session.connectionId(), direction, dir);
  }

  private void complete(ConnectionSession session, Direction direction, int index, boolean cut) {
    complete(session, direction, index, cut, -1);
  }

  private void complete(ConnectionSession session, Direction direction, int index, boolean cut,
      long resetCode) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    ProcessorHttp2Stream stream = dir.getHttp2Streams(index);
    dir.removeHttp2Streams(index);
    Span span = new Span(direction,
        stream.getFirstOffset(), (int) Math.min(Integer.MAX_VALUE, stream.getWireLength()),
        stream.getFirstByteTimeNs(), stream.getLastByteTimeNs(), stream.getGapBefore());
    boolean truncated = cut || stream.getBody().size() < stream.getBodyLength();
    ParsedMessage.Builder message = messages.of(session, span, stream, truncated);
    if (resetCode >= 0) {
      message.setHttp2Reset(true).setHttp2ErrorCode((int) resetCode);
    }
    if (truncated) {
      metrics.truncatedMessage();
    }
    metrics.messageOut();
    String pairId = session.connectionId() + "#h2/" + stream.getStreamId();
    switch (message.getKind()) {
      case REQUEST -> session.emitRequest(message, message.getHttp().getMethod(), pairId);
      case RESPONSE -> session.emitKeyedResponse(message, pairId, message.getHttp().getStatus() < 200);
      default -> session.emitData(message);
    }
  }

  /** Index of the stream's state, created (with the span's position and gap flag) if absent. */
  private int streamIndex(ConnectionSession session, Direction direction, int streamId,
      Span span) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    int index = find(dir, streamId);
    if (index >= 0) {
      return index;
    }
    if (dir.getHttp2StreamsCount() >= limits.maxOpenStreams()) {
      complete(session, direction, 0, true);
    }
    dir.addHttp2Streams(ProcessorHttp2Stream.newBuilder()
        .setStreamId(streamId)
        .setFirstOffset(span.streamOffset())
        .setFirstByteTimeNs(span.firstByteNs())
        .setGapBefore(span.gapBefore()));
    return dir.getHttp2StreamsCount() - 1;
  }

  private static ProcessorHttp2Stream.Builder touch(ProcessorHttp2Stream.Builder stream,
      Span span) {
    return stream.setLastByteTimeNs(span.lastByteNs())
        .setWireLength(stream.getWireLength() + span.length());
  }

  private static long openBodyBytes(ProcessorDirectionState.Builder dir) {
    long total = 0;
    for (ProcessorHttp2Stream stream : dir.getHttp2StreamsList()) {
      total += stream.getBody().size();
    }
    return total;
  }

  private static int largestStream(ProcessorDirectionState.Builder dir) {
    int largest = 0;
    for (int i = 1; i < dir.getHttp2StreamsCount(); i++) {
      if (dir.getHttp2Streams(i).getBody().size() > dir.getHttp2Streams(largest).getBody().size()) {
        largest = i;
      }
    }
    return largest;
  }

  private static int find(ProcessorDirectionState.Builder dir, int streamId) {
    for (int i = 0; i < dir.getHttp2StreamsCount(); i++) {
      if (dir.getHttp2Streams(i).getStreamId() == streamId) {
        return i;
      }
    }
    return -1;
  }

  /** RST_STREAM payload: a 32-bit error code (RFC 9113 §6.4); 0 when it is malformed. */
  private static long errorCode(Http2Frame frame) {
    byte[] p = frame.payload();
    return p.length < 4 ? 0 : (p[0] & 0xffL) << 24 | (p[1] & 0xffL) << 16 | (p[2] & 0xffL) << 8 | (p[3] & 0xffL);
  }

  private static int padLength(Http2Frame frame) {
    return frame.has(Http2Frame.FLAG_PADDED) && frame.payload().length > 0
        ? frame.payload()[0] & 0xff : 0;
  }

  /** DATA payload without padding (§6.1), or null when the padding is malformed. */
  private static byte[] unpad(Http2Frame frame) {
    byte[] p = frame.payload();
    if (!frame.has(Http2Frame.FLAG_PADDED)) {
      return p;
    }
    int pad = padLength(frame);
    if (p.length < 1 || (!frame.truncated() && 1 + pad > p.length)) {
      return null;
    }
    int end = frame.truncated() ? p.length : p.length - pad;
    return java.util.Arrays.copyOfRange(p, 1, Math.max(1, end));
  }

  /** HEADERS / PUSH_PROMISE fragment without padding and priority fields (§6.2), or null. */
  private static byte[] headerFragment(Http2Frame frame) {
    byte[] p = frame.payload();
    int start = 0;
    int pad = 0;
    if (frame.has(Http2Frame.FLAG_PADDED)) {
      if (p.length < 1) {
        return null;
      }
      pad = p[0] & 0xff;
      start = 1;
    }
    if (frame.type() == Http2Frame.HEADERS && frame.has(Http2Frame.FLAG_PRIORITY)) {
      start += 5;
    }
    int end = p.length - pad;
    return end < start ? null : java.util.Arrays.copyOfRange(p, start, end);
  }
}
