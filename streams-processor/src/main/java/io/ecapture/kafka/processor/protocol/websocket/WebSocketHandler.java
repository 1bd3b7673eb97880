package io.ecapture.kafka.processor.protocol.websocket;

import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ProtocolHandler;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import io.ecapture.kafka.processor.protocol.Span;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Protocol;

/**
 * WebSocket (RFC 6455) after an accepted upgrade: frames ({@link WebSocketFrameParser}), one
 * message per data message or control frame ({@link WebSocketMessageAssembler}), permessage-deflate
 * (RFC 7692) inflated with the direction's window persisted in its state ({@link
 * WebSocketInflaters}). Never detected (a frame has no signature): a direction enters it by the
 * upgrade {@code topology.ProtocolSelection} sees, with the deflate parameters negotiated there.
 */
public final class WebSocketHandler implements ProtocolHandler<WebSocketFrame> {
  private final WebSocketFrameParser parser;
  private final WebSocketMessageAssembler messages;

  public WebSocketHandler(ProcessorLimits limits, ProcessorMetrics metrics) {
    this.parser = new WebSocketFrameParser(limits.maxBodyBytes());
    this.messages = new WebSocketMessageAssembler(new WebSocketInflaters(limits.maxBodyBytes(),
        limits.maxInflateFactor(), limits.maxInflaters(), metrics), limits, metrics);
  }

  @Override
  public Protocol protocol() {
    return Protocol.WEBSOCKET;
  }

  @Override
  public ProtocolParser<WebSocketFrame> parser() {
    return parser;
  }

  /** A frame cut at the end of the input: its remaining payload bytes are skipped when they come. */
  @Override
  public void emit(ConnectionSession session, Direction direction, Span span,
      ParseResult<WebSocketFrame> frame, boolean cutForSize) {
    if (frame.bytesStillExpected() > 0) {
      session.direction(direction).setDiscardRemaining(frame.bytesStillExpected());
    }
    messages.onFrame(session, direction, span, frame.message());
  }

  @Override
  public void endOfStream(ConnectionSession session, Direction direction) {
    messages.flushOpenMessage(session, direction);
  }

  /** Lost bytes took the compression history with them: the next message starts afresh. */
  @Override
  public void gap(ConnectionSession session, Direction direction) {
    messages.contextLost(session, direction);
  }

  @Override
  public boolean holdsPartialMessage(ProcessorDirectionState.Builder dir) {
    return dir.hasWsMessage();
  }

  @Override
  public void forget(String connectionId) {
    messages.forget(connectionId);
  }

  @Override
  public void clearContexts() {
    messages.clearInflaters();
  }
}
