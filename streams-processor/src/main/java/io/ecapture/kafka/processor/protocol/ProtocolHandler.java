package io.ecapture.kafka.processor.protocol;

import io.ecapture.kafka.processor.protocol.ProtocolParser.Detection;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Protocol;

/**
 * One application protocol as the generic driver loop ({@code topology.MessageExtractor}) sees
 * it, modelled on Pixie's {@code protocols/common/interface.h}: find a frame boundary, parse one
 * frame, stitch frames into messages. The driver owns the bytes, the loop and everything
 * protocol-independent (resync after INVALID and its counting, unknown data, capture gaps, idle
 * and close flushes); a handler only answers the calls below, for one direction at a time, and
 * keeps whatever it must remember across records in that direction's state
 * ({@link ProcessorDirectionState}, so a restarted or moved task resumes mid-connection).
 *
 * <p>Which handler a direction uses is decided in one place ({@code topology.ProtocolSelection}):
 * the registry ({@code topology.ProtocolRegistry}) lists handlers in detection order, and
 * upgrades (HTTP/1 to WebSocket) switch a direction to a handler that is never detected.
 *
 * <p>Per record the driver calls, for the frame at the head of the direction's unparsed bytes:
 * {@link #parser()}.{@link ProtocolParser#parse parse}; on SUCCESS {@link #emit}; on INVALID it
 * counts a resync and scans for the next start with {@link ProtocolParser#findBoundary}. When the
 * direction ends (idle flush, close, a gap about to be skipped) it calls {@link #endOfStream}, when
 * bytes were lost {@link #gap}.
 *
 * @param <F> the frame type its parser produces
 */
public interface ProtocolHandler<F> {

  /**
   * The value a direction's state ({@code protocol}) holds while it speaks this protocol. Must be
   * unique in the registry.
   */
  Protocol protocol();

  /** Frame boundaries, detection and parsing of one frame; stateless over the bytes. */
  ProtocolParser<F> parser();

  /**
   * Whether a frame of this protocol starts at {@code data[from, to)}: asked in registry order at
   * the head of a direction whose protocol is not locked. NEEDS_MORE_DATA makes the driver wait
   * (unless no more bytes will come) before later protocols are asked.
   *
   * @param streamStart the bytes are the very first of the direction (offset 0, nothing lost
   *     before), where a protocol may recognise its opening move (an HTTP/2 server's SETTINGS)
   */
  default Detection detect(byte[] data, int from, int to, boolean streamStart) {
    return parser().detect(data, from, to);
  }

  /**
   * Whether a direction that selected this protocol (by detection or by an upgrade) is locked
   * into it: its state's {@code protocol} names it and later frame heads are not detected again.
   * True for every protocol whose streams carry nothing else; HTTP/1 answers false, so each of
   * its message heads is detected afresh (a CONNECT tunnel or an h2c preface may follow).
   */
  default boolean locksOnDetection() {
    return true;
  }

  /**
   * Stitches one frame {@link #parser()} parsed with SUCCESS at {@code span}: emits what it
   * completes through {@code session} (pairing requests and responses), keeps a partial message
   * in the direction's state, counts messages and truncations. A frame forced at the end of the
   * input ({@code frame.bytesStillExpected() > 0}) may announce bytes that will still arrive: the
   * handler sets the direction's {@code discard_remaining} to skip them when they must not be
   * parsed as a new frame.
   *
   * @param cutForSize the frame was forced because the direction's buffer reached {@link
   *     io.ecapture.kafka.processor.ProcessorLimits#maxBufferedBytes()} (not by idle, close or gap)
   */
  void emit(ConnectionSession session, Direction direction, Span span, ParseResult<F> frame,
      boolean cutForSize);

  /**
   * The direction ends (idle flush, close, a hole declared a gap): emit every partial message the
   * direction's state holds, truncated. Asked of every registered handler, not only the current
   * one, so nothing a switch left behind stays; a handler with nothing in the state does nothing.
   */
  default void endOfStream(ConnectionSession session, Direction direction) {}

  /**
   * Bytes of the direction were lost while it spoke this protocol: decoding contexts that depend
   * on every earlier byte (compression tables, windows) can no longer be trusted.
   */
  default void gap(ConnectionSession session, Direction direction) {}

  /** Whether the direction's state holds a partial message {@link #endOfStream} would emit. */
  default boolean holdsPartialMessage(ProcessorDirectionState.Builder dir) {
    return false;
  }

  /** The connection is gone (its state with it): drop its in-memory contexts. */
  default void forget(String connectionId) {}

  /**
   * Drop every in-memory context (the task was (re)initialised or closed): the state store is the
   * reference again, each context is rebuilt from it when next needed.
   */
  default void clearContexts() {}
}
