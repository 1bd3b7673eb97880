package io.ecapture.kafka.processor.protocol.http2;

import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ProtocolHandler;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import io.ecapture.kafka.processor.protocol.ProtocolParser.Detection;
import io.ecapture.kafka.processor.protocol.Span;
import io.ecapture.kafka.processor.protocol.grpc.GrpcFrameParser;
import io.ecapture.kafka.processor.protocol.http.BodyDecoder;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Protocol;

/**
 * HTTP/2 (RFC 9113), gRPC included: frames ({@link Http2FrameParser}), one message per stream
 * ({@link Http2StreamAssembler}) with headers through HPACK ({@link HpackDecoders}, table
 * persisted in the direction's state) and gRPC calls shown as such ({@link Http2Messages}).
 *
 * <p>Detected by the client preface (§3.4) at any message head, or by a SETTINGS frame as the
 * very first bytes of a direction (a server's first frame, §3.4); h2c upgrades (§3.2 of RFC 7540)
 * are not recognised. Once detected the direction is locked. Frames have no marker to resync on:
 * after an invalid frame the rest of the direction's buffer is unknown data.
 */
public final class Http2Handler implements ProtocolHandler<Http2Frame> {
  /** The HPACK table size before any size update (RFC 7541 §4.2, RFC 9113 §6.5.2). */
  public static final long DEFAULT_HPACK_TABLE_SIZE = PersistedHpackTable.DEFAULT_MAX_SIZE;

  private final Http2FrameParser parser;
  private final Http2StreamAssembler streams;

  public Http2Handler(ProcessorLimits limits, BodyDecoder bodyDecoder, ProcessorMetrics metrics) {
    this.parser = new Http2FrameParser(limits.maxHttp2FrameBytes(), limits.maxBodyBytes());
    HpackDecoders hpack = new HpackDecoders(limits.maxHeaderBytes(), limits.maxHpackTableBytes(),
        limits.maxHpackDecoders(), metrics);
    Http2Messages messages = new Http2Messages(bodyDecoder,
        new GrpcFrameParser(limits.maxBodyBytes(), limits.maxGrpcMessages()),
        limits.maxRenderedBytes(), limits.maxBodyBytes());
    this.streams = new Http2StreamAssembler(hpack, messages, limits, metrics);
  }

  @Override
  public Protocol protocol() {
    return Protocol.HTTP2;
  }

  @Override
  public ProtocolParser<Http2Frame> parser() {
    return parser;
  }

  /** The client preface wherever a message may start; a SETTINGS frame only at stream start. */
  @Override
  public Detection detect(byte[] data, int from, int to, boolean streamStart) {
    Detection preface = Http2FrameParser.matchPreface(data, from, to);
    if (preface == Detection.MATCH) {
      return Detection.MATCH;
    }
    Detection settings = streamStart ? parser.detect(data, from, to) : Detection.NO_MATCH;
    if (settings == Detection.MATCH) {
      return Detection.MATCH;
    }
    return preface == Detection.NEEDS_MORE_DATA || settings == Detection.NEEDS_MORE_DATA
        ? Detection.NEEDS_MORE_DATA : Detection.NO_MATCH;
  }

  /** A frame cut at the end of the input: its remaining payload bytes are skipped when they come. */
  @Override
  public void emit(ConnectionSession session, Direction direction, Span span,
      ParseResult<Http2Frame> frame, boolean cutForSize) {
    if (frame.bytesStillExpected() > 0) {
      session.direction(direction).setDiscardRemaining(frame.bytesStillExpected());
    }
    streams.onFrame(session, direction, span, frame.message());
  }

  @Override
  public void endOfStream(ConnectionSession session, Direction direction) {
    streams.flushOpenStreams(session, direction);
  }

  /** Lost bytes may have held header blocks: the direction's HPACK table restarts empty. */
  @Override
  public void gap(ConnectionSession session, Direction direction) {
    streams.tableLost(session, direction);
  }

  @Override
  public boolean holdsPartialMessage(ProcessorDirectionState.Builder dir) {
    return dir.getHttp2StreamsCount() > 0;
  }

  @Override
  public void forget(String connectionId) {
    streams.forget(connectionId);
  }

  @Override
  public void clearContexts() {
    streams.clearDecoders();
  }
}
