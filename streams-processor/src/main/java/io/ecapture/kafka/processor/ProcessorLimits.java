package io.ecapture.kafka.processor;

/**
 * Every buffer bound of the processor in one place. Each limit is checked before the data it
 * guards is accumulated, so a hostile or broken peer costs at most these many bytes per
 * connection direction.
 *
 * @param maxStartLineBytes longest HTTP/1 request or status line (Netty's default is 4096)
 * @param maxHeaderBytes largest HTTP/1 header block including the start line and trailers
 * @param maxBodyBytes body bytes kept per message; longer bodies are cut and flagged truncated
 *     with their original length
 * @param maxBufferedBytes unparsed in-order bytes kept per direction; past it the message in
 *     progress is emitted as it is (truncated) so the store never grows without bound
 * @param maxOutOfOrderBytes bytes held past a hole per direction; past it the hole is declared a
 *     gap at once instead of after the idle timeout
 * @param maxHttp2FrameBytes largest HTTP/2 frame accepted (RFC 9113 §4.2: 16384 unless the peer
 *     raised SETTINGS_MAX_FRAME_SIZE); larger frames are a framing error and resync the direction
 * @param maxRenderedBytes size of the display text ({@code rendered}) per message; a longer body
 *     is shown in part with a note of what was left out
 *
 * <p>The body and rendered limits keep every ParsedMessage well under Kafka's default 1 MiB
 * record limit (a body, plus raw bytes or headers, plus the rendered text).
 */
public record ProcessorLimits(
    int maxStartLineBytes,
    int maxHeaderBytes,
    int maxBodyBytes,
    int maxBufferedBytes,
    int maxOutOfOrderBytes,
    int maxHttp2FrameBytes,
    int maxRenderedBytes) {

  public static final int DEFAULT_MAX_START_LINE_BYTES = 8192;
  public static final int DEFAULT_MAX_HEADER_BYTES = 65536;
  public static final int DEFAULT_MAX_BODY_BYTES = 256 << 10;
  public static final int DEFAULT_MAX_BUFFERED_BYTES = 2 << 20;
  public static final int DEFAULT_MAX_OUT_OF_ORDER_BYTES = 4 << 20;
  public static final int DEFAULT_MAX_HTTP2_FRAME_BYTES = 1 << 20;
  public static final int DEFAULT_MAX_RENDERED_BYTES = 64 << 10;

  public ProcessorLimits {
    if (maxStartLineBytes <= 0 || maxHeaderBytes < maxStartLineBytes || maxBodyBytes <= 0) {
      throw new IllegalArgumentException("limits must be positive, header block >= start line");
    }
    if (maxBufferedBytes < maxHeaderBytes || maxOutOfOrderBytes <= 0 || maxHttp2FrameBytes < 16384
        || maxRenderedBytes < 1024) {
      throw new IllegalArgumentException(
          "maxBufferedBytes must hold a header block; HTTP/2 frames >= 16384, rendered >= 1024");
    }
  }

  /** The documented defaults above. */
  public static ProcessorLimits defaults() {
    return new ProcessorLimits(
        DEFAULT_MAX_START_LINE_BYTES,
        DEFAULT_MAX_HEADER_BYTES,
        DEFAULT_MAX_BODY_BYTES,
        DEFAULT_MAX_BUFFERED_BYTES,
        DEFAULT_MAX_OUT_OF_ORDER_BYTES,
        DEFAULT_MAX_HTTP2_FRAME_BYTES,
        DEFAULT_MAX_RENDERED_BYTES);
  }
}
