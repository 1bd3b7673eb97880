package io.ecapture.kafka.processor.protocol.websocket;

/**
 * One WebSocket message as shown downstream: a data message reassembled from its frames
 * (RFC 6455 §5.4) and inflated when compressed (RFC 7692), or one control frame.
 *
 * @param opcode opcode of the first frame (text, binary, a control opcode, or continuation for
 *     an orphan fragment whose first frame was not seen)
 * @param fin the message is complete (its last frame had FIN)
 * @param masked the frames were masked (client to server)
 * @param compressed RSV1 was set on the first frame
 * @param payloadLength sum of the announced payload lengths of the frames
 * @param payload the unmasked (and, when inflated, decompressed) bytes, at most the body limit
 * @param truncated bytes of the payload are missing (limit, capture cut, flush)
 * @param frames how many frames made the message
 * @param inflated compressed and {@code payload} holds the inflated bytes
 * @param inflateFailed compressed but could not be inflated: {@code payload} is as sent
 */
public record WebSocketMessage(int opcode, boolean fin, boolean masked, boolean compressed,
    long payloadLength, byte[] payload, boolean truncated, int frames, boolean inflated,
    boolean inflateFailed) {

  /** The equivalent single frame, for rendering. */
  public WebSocketFrame asFrame() {
    return new WebSocketFrame(fin, compressed && !inflated, opcode, masked, payloadLength, payload,
        truncated);
  }
}
