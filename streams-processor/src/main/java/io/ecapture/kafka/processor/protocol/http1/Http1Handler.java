package io.ecapture.kafka.processor.protocol.http1;

import com.google.protobuf.UnsafeByteOperations;
import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.ConnectionSession;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ProtocolHandler;
import io.ecapture.kafka.processor.protocol.ProtocolParser;
import io.ecapture.kafka.processor.protocol.Span;
import io.ecapture.kafka.processor.protocol.http.BodyDecoder;
import io.ecapture.kafka.processor.protocol.http.DecodedBody;
import io.ecapture.kafka.processor.render.RenderedText;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.HttpFields;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;

/**
 * HTTP/1.x (RFC 9112): every parsed request or response is one message, content codings removed
 * (RFC 9110 §8.4), paired in order (a response answers the oldest unanswered request, §9.3.2).
 * Not locked on detection: each message head is detected afresh, so bytes that follow an HTTP/1
 * exchange (a CONNECT tunnel, an h2c preface) are recognised for what they are. Upgrades are
 * decided by {@code topology.ProtocolSelection}.
 */
public final class Http1Handler implements ProtocolHandler<Http1Message> {
  private final Http1Parser parser;
  private final BodyDecoder bodyDecoder;
  private final int maxRenderedBytes;
  private final int maxBodyBytes;
  private final ProcessorMetrics metrics;

  public Http1Handler(ProcessorLimits limits, BodyDecoder bodyDecoder, ProcessorMetrics metrics) {
    this.parser = new Http1Parser(limits);
    this.bodyDecoder = bodyDecoder;
    this.maxRenderedBytes = limits.maxRenderedBytes();
    this.maxBodyBytes = limits.maxBodyBytes();
    this.metrics = metrics;
  }

  @Override
  public Protocol protocol() {
    return Protocol.HTTP1;
  }

  @Override
  public ProtocolParser<Http1Message> parser() {
    return parser;
  }

  @Override
  public boolean locksOnDetection() {
    return false;
  }

  /**
   * A body cut for size has the rest of its bytes dropped by design (counted as truncated); one
   * cut by an idle flush does not: if the rest arrives it is shown as unknown data.
   */
  @Override
  public void emit(ConnectionSession session, Direction direction, Span span,
      ParseResult<Http1Message> frame, boolean cutForSize) {
    Http1Message http = frame.message();
    ParsedMessage.Builder message = message(session, span, http);
    if (frame.bytesStillExpected() > 0 && cutForSize) {
      session.direction(direction).setDiscardRemaining(frame.bytesStillExpected());
    }
    if (message.getHttp().getBodyTruncated()) {
      metrics.truncatedMessage();
    }
    metrics.messageOut();
    if (http.request()) {
      session.emitRequest(message, http.method(), session.nextPairId());
    } else {
      session.emitResponse(message, http.interim());
    }
  }

  private ParsedMessage.Builder message(ConnectionSession session, Span span, Http1Message m) {
    DecodedBody decoded = bodyDecoder.decode(m.header("Content-Encoding"), m.body());
    // the wire body cut at the limit (more on the wire than kept), or its decoded form
    boolean wireCut = m.bodyTruncated() && m.body().length >= maxBodyBytes
        && m.bodyOriginalLength() > maxBodyBytes;
    boolean decodedCut = decoded.truncated() && decoded.bytes().length >= maxBodyBytes;
    HttpFields.Builder http = HttpFields.newBuilder()
        .setVersion(m.version())
        .setMethod(m.method())
        .setPath(m.target())
        .setStatus(m.status())
        .setReason(m.reason())
        .setBody(UnsafeByteOperations.unsafeWrap(decoded.bytes()))
        .setBodyTruncated(m.bodyTruncated() || decoded.truncated())
        .setBodyOriginalLength(m.bodyOriginalLength())
        .setBodyDecoded(decoded.decoded())
        .setBodyLimitExceeded(wireCut || decodedCut);
    String authority = m.header("Host");
    if (authority != null) {
      http.setAuthority(authority);
    }
    String encoding = m.header("Content-Encoding");
    if (encoding != null) {
      http.setContentEncoding(encoding);
    }
    for (HeaderField field : m.headers()) {
      http.addHeaders(Header.newBuilder().setName(field.name()).setValue(field.value()));
    }
    // the body is http.body: not repeated in the text when shown whole (rendered_body_shared)
    RenderedText text = Http1Text.head(m, decoded.bytes()).httpBody(decoded.bytes(), maxRenderedBytes);
    if (decodedCut && !wireCut) {
      text.bodyCut(true, decoded.bytes().length, m.bodyOriginalLength(), true);
    } else if (http.getBodyTruncated()) {
      text.bodyCut(wireCut, m.body().length, m.bodyOriginalLength(), false);
    }
    return text.build().applyTo(session.newMessage(span)
        .setProtocol(Protocol.HTTP1)
        .setKind(m.request() ? MessageKind.REQUEST : MessageKind.RESPONSE)
        .setHttp(http));
  }
}
