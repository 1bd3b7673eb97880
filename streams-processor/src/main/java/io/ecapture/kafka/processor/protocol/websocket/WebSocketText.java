package io.ecapture.kafka.processor.protocol.websocket;

import io.ecapture.kafka.processor.render.RenderedText;
import io.ecapture.kafka.processor.render.TextRenderer;

/**
 * Display text of a WebSocket message: a summary line (opcode, FIN, mask, length, compression,
 * close code), a blank line, then the payload (a close frame's without its status code) as text
 * or hex dump; a compressed payload that could not be inflated is always dumped.
 */
public final class WebSocketText {
  private WebSocketText() {}

  public static RenderedText.Result render(WebSocketFrame frame, int limit) {
    RenderedText text = new RenderedText(96 + frame.payload().length);
    StringBuilder out = text.text();
    out.append("WebSocket ").append(frame.opcodeName())
        .append(" fin=").append(frame.fin() ? 1 : 0)
        .append(" masked=").append(frame.masked() ? 1 : 0)
        .append(" length=").append(frame.payloadLength());
    if (frame.rsv1()) {
      out.append(" compressed");
    }
    if (frame.closeCode() != 0) {
      out.append(" close_code=").append(frame.closeCode());
    }
    out.append("\r\n\r\n");
    byte[] payload = frame.opcode() == WebSocketFrame.CLOSE && frame.payload().length >= 2
        ? java.util.Arrays.copyOfRange(frame.payload(), 2, frame.payload().length) : frame.payload();
    text.body(payload, frame.rsv1() ? null : TextRenderer.asText(payload), limit);
    if (frame.truncated()) {
      out.append("\n[ecapture-kafka: payload incomplete, ").append(payload.length)
          .append(" bytes kept]");
    }
    return text.build();
  }
}
