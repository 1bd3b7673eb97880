package io.ecapture.kafka.processor.protocol.websocket;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.protocol.Span;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.processor.state.ProcessorWebSocketMessage;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.Protocol;
import io.ecapture.kafka.proto.parsed.WebSocketFields;

/**
 * Turns one direction's WebSocket frames into messages (RFC 6455 §5.4): a text or binary frame
 * without FIN starts a message that continuation frames extend until FIN; control frames may
 * come in between and leave at once, each on its own. The message in progress lives in the
 * state store. Compressed messages (RSV1 on the first frame, RFC 7692 §6) are inflated with the
 * direction's context.
 *
 * <p>Broken sequences are shown, not dropped: a new data frame while a message is open emits the
 * open one truncated; a continuation with no message open (capture joined mid-message, gap)
 * leaves as its own message with opcode continuation.
 */
final class WebSocketMessageAssembler {
  private final WebSocketInflaters inflaters;
  private final ProcessorLimits limits;
  private final ProcessorMetrics metrics;

  WebSocketMessageAssembler(WebSocketInflaters inflaters, ProcessorLimits limits,
      ProcessorMetrics metrics) {
    this.inflaters = inflaters;
    this.limits = limits;
    this.metrics = metrics;
  }

  void onFrame(ConnectionSession session, Direction direction, Span span, WebSocketFrame frame) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    if (frame.opcode() >= WebSocketFrame.CLOSE) {
      emit(session, direction, span, new WebSocketMessage(frame.opcode(), true, frame.masked(),
          false, frame.payloadLength(), frame.payload(), frame.truncated(), 1, false, false));
      return;
    }
    boolean continuation = frame.opcode() == WebSocketFrame.CONTINUATION;
    if (!continuation && dir.hasWsMessage()) {
      flushOpenMessage(session, direction); // RFC 6455 §5.4: a new message before FIN
    }
    if (continuation && !dir.hasWsMessage()) {
      // its first frame was not seen: its compression flag is unknown, show it as sent
      inflaters.forget(session.connectionId(), direction, dir);
      emit(session, direction, span, new WebSocketMessage(frame.opcode(), frame.fin(),
          frame.masked(), false, frame.payloadLength(), frame.payload(), true, 1, false, false));
      return;
    }
    if (!continuation && frame.fin()) {
      finish(session, direction, span, frame.opcode(), frame.rsv1(), frame.masked(),
          frame.payloadLength(), frame.payload(), frame.truncated(), 1, true);
      return;
    }
    ProcessorWebSocketMessage.Builder open = continuation ? dir.getWsMessageBuilder()
        : dir.getWsMessageBuilder()
            .setOpcode(frame.opcode())
            .setCompressed(frame.rsv1())
            .setMasked(frame.masked())
            .setFirstOffset(span.streamOffset())
            .setFirstByteTimeNs(span.firstByteNs())
            .setGapBefore(span.gapBefore());
    int room = limits.maxBodyBytes() - open.getPayload().size();
    if (room > 0) {
      open.setPayload(open.getPayload().concat(
          ByteString.copyFrom(frame.payload(), 0, Math.min(room, frame.payload().length))));
    }
    open.setPayloadLength(open.getPayloadLength() + frame.payloadLength())
        .setFrames(open.getFrames() + 1)
        .setWireLength(open.getWireLength() + span.length())
        .setLastByteTimeNs(span.lastByteNs())
        .setTruncated(open.getTruncated() || frame.truncated()
            || frame.payload().length > room);
    if (frame.fin()) {
      ProcessorWebSocketMessage done = open.build();
      dir.clearWsMessage();
      finish(session, direction, spanOf(direction, done), done.getOpcode(), done.getCompressed(),
          done.getMasked(), done.getPayloadLength(), done.getPayload().toByteArray(),
          done.getTruncated(), done.getFrames(), true);
    }
  }

  /** The direction ends (idle, close, gap): an open message leaves as it is, truncated. */
  void flushOpenMessage(ConnectionSession session, Direction direction) {
    ProcessorDirectionState.Builder dir = session.direction(direction);
    if (!dir.hasWsMessage()) {
      return;
    }
    ProcessorWebSocketMessage open = dir.getWsMessage();
    dir.clearWsMessage();
    finish(session, direction, spanOf(direction, open), open.getOpcode(), open.getCompressed(),
        open.getMasked(), open.getPayloadLength(), open.getPayload().toByteArray(), true,
        open.getFrames(), false);
  }

  /** Bytes of this direction were lost: the compression history is gone with them. */
  void contextLost(ConnectionSession session, Direction direction) {
    inflaters.forget(session.connectionId(), direction, session.direction(direction));
  }

  void forget(String connectionId) {
    inflaters.forget(connectionId);
  }

  /** In-memory inflaters go; each is rebuilt from its direction's window when next needed. */
  void clearInflaters() {
    inflaters.clear();
  }

  private void finish(ConnectionSession session, Direction direction, Span span, int opcode,
      boolean compressed, boolean masked, long payloadLength, byte[] payload, boolean truncated,
      int frames, boolean fin) {
    if (!compressed) {
      emit(session, direction, span, new WebSocketMessage(opcode, fin, masked, false,
          payloadLength, payload, truncated, frames, false, false));
      return;
    }
    ProcessorDirectionState.Builder dir = session.direction(direction);
    MessageInflater.Result inflated = inflaters.inflate(session.connectionId(), direction, dir,
        payload, !truncated, dir.getWsNoContextTakeover());
    if (!inflated.ok() && !inflated.truncated()) {
      metrics.webSocketInflateFailure();
      emit(session, direction, span, new WebSocketMessage(opcode, fin, masked, true,
          payloadLength, payload, truncated, frames, false, true));
      return;
    }
    emit(session, direction, span, new WebSocketMessage(opcode, fin, masked, true, payloadLength,
        inflated.bytes(), truncated || inflated.truncated(), frames, true, false));
  }

  private void emit(ConnectionSession session, Direction direction, Span span,
      WebSocketMessage message) {
    if (message.truncated()) {
      metrics.truncatedMessage();
    }
    metrics.messageOut();
    WebSocketFrame frame = message.asFrame();
    WebSocketFields.Builder ws = WebSocketFields.newBuilder()
        .setFin(message.fin())
        .setOpcode(message.opcode())
        .setOpcodeName(frame.opcodeName())
        .setMasked(message.masked())
        .setCompressed(message.compressed())
        .setPayloadLength(message.payloadLength())
        .setPayload(com.google.protobuf.UnsafeByteOperations.unsafeWrap(message.payload()))
        .setPayloadTruncated(message.truncated())
        .setCloseCode(frame.closeCode())
        .setFrames(message.frames())
        .setInflated(message.inflated())
        .setInflateFailed(message.inflateFailed());
    session.emitData(WebSocketText.render(frame, limits.maxRenderedBytes()).applyTo(
        session.newMessage(span)
            .setProtocol(Protocol.WEBSOCKET)
            .setKind(MessageKind.DATA)
            .setWebsocket(ws)));
  }

  private static Span spanOf(Direction direction, ProcessorWebSocketMessage open) {
    return new Span(direction, open.getFirstOffset(),
        (int) Math.min(Integer.MAX_VALUE, open.getWireLength()), open.getFirstByteTimeNs(),
        open.getLastByteTimeNs(), open.getGapBefore());
  }
}
