package io.ecapture.kafka.processor;

/**
 * Every bound of the processor in one place: what one connection direction may hold, what one
 * message may carry, and what one task keeps in memory. Each limit is checked before the data it
 * guards is accumulated, so a hostile or broken peer costs at most these many bytes per
 * connection direction. Start from {@link #defaults()} or {@link #builder()}; the command line
 * ({@code processor}, {@code up}) sets each one ({@link ProcessorLimitsOptions}).
 *
 * <p>Three kinds: per message and per direction (parsers and reassembly, from {@code
 * maxStartLineBytes} to {@code maxInflateFactor}); per task in memory ({@code maxHpackDecoders}
 * to {@code maxCachedStateBytes}: each object is rebuilt from the state store when needed, so
 * these bound memory, not correctness); per connection in the store ({@code
 * maxStateRecordBytes}).
 *
 * <p>Whole messages: bodies up to {@code maxBodyBytes} (8 MiB) are kept whole, in the record and
 * in its display text; the unparsed buffer of a direction follows the body limit ({@code
 * maxBufferedBytes} defaults to it plus 1 MiB for the head and chunk framing) so an HTTP/1
 * message of that size fits. A ParsedMessage is then at most {@link #maxParsedRecordBytes()}
 * (about 24 MiB with the defaults: body, decoded gRPC messages, display text, headers), which is
 * what the processor's producer allows and what {@code ecapture.parsed} must accept
 * ({@code common.TopicSetup}).
 *
 * <p>Cost of large messages: a message is accumulated in the connection's state, and Kafka Streams
 * serialises that state on every record of the connection (into its record cache; the changelog
 * gets one write per commit while the cache holds it). An 8 MiB body arriving as 16 KiB records
 * costs about 512 serialisations of a growing state (roughly 2 GiB of copying, under a second of
 * CPU); the changelog stays at one state record per commit interval.
 *
 * @param maxStartLineBytes longest HTTP/1 request or status line. Default 8 KiB (Netty's is 4096).
 * @param maxHeaderBytes largest HTTP/1 header block including the start line and trailers, and
 *     largest HTTP/2 header block (HEADERS + CONTINUATION, RFC 9113 §10.5.1) and decoded header
 *     list. Default 64 KiB.
 * @param maxBodyBytes body bytes kept per message (HTTP bodies after content decoding, WebSocket
 *     payloads, gRPC messages of a stream together, unknown-data records); longer bodies are cut
 *     and flagged ({@code body_truncated}, {@code body_limit_exceeded}) with their original
 *     length. Default 8 MiB.
 * @param maxBufferedBytes unparsed in-order bytes kept per direction, and the open HTTP/2 stream
 *     bodies of a direction together; past it the message in progress is emitted as it is
 *     (truncated) so the store never grows without bound. Default {@code maxBodyBytes} + 1 MiB
 *     (9 MiB).
 * @param maxOutOfOrderBytes bytes held past a hole per direction; past it the hole is declared a
 *     gap at once instead of after the idle timeout. Default 4 MiB.
 * @param maxHttp2FrameBytes largest HTTP/2 frame accepted (RFC 9113 §4.2: 16384 unless the peer
 *     raised SETTINGS_MAX_FRAME_SIZE); larger frames are a framing error and resync the direction.
 *     Default 1 MiB.
 * @param maxRenderedBytes size of the body part of the display text ({@code rendered}) per
 *     message: a text body is shown as it is, a binary one as a hex dump (about 5 characters per
 *     byte); what does not fit is left out with a note, flagged {@code rendered_truncated}.
 *     Default {@code maxBodyBytes} (a text body within the body limit is always shown whole).
 * @param maxChunkSizeLineBytes longest HTTP/1 chunk-size line with its extensions (RFC 9112 §7.1);
 *     longer is invalid. Default 1024.
 * @param maxOpenStreams open HTTP/2 streams kept per direction (RFC 9113 §6.5.2 recommends
 *     allowing at least 100 concurrent ones); past it the oldest is emitted as it is. Default 128.
 * @param maxPendingRequests requests without a response kept per connection; past it the oldest
 *     is dropped (its response then goes unpaired). Default 256.
 * @param maxGrpcMessages length-prefixed gRPC messages listed per HTTP/2 stream; a stream of many
 *     tiny messages must not blow up one record. Default 1024.
 * @param maxHpackTableBytes largest HPACK dynamic table accepted (RFC 7541 §4.2 allows up to
 *     2^32-1; we only observe, so whatever the encoder's peer allowed up to this). Default 1 MiB.
 * @param maxInflateFactor a permessage-deflate message inflates to at most this many times
 *     {@code maxBodyBytes} of work (decompression bombs stop there). Default 8 (64 MiB of work with
 *     the default body limit).
 * @param maxHpackDecoders HPACK decoders (one per connection direction) kept. Default 10 000.
 * @param maxInflaters permessage-deflate inflaters (one per connection direction) kept. Default
 *     4096.
 * @param maxCachedStates connection states kept as protobuf builders in front of the store.
 *     Default 10 000.
 * @param maxCachedStateBytes serialized size of the cached states together. Default 64 MiB.
 * @param maxStateRecordBytes largest changelog record (the state topic's {@code max.message.bytes};
 *     the producer's {@code max.request.size} is at least this): a connection state holds per
 *     direction the unparsed bytes, the open HTTP/2 stream bodies or a WebSocket message in
 *     progress, the out-of-order bytes and the HPACK table (about 23 MiB per direction with the
 *     defaults, never all at once in practice). A larger state cannot be written to the changelog
 *     (skipped, counted as oversized). Default 64 MiB.
 */
public record ProcessorLimits(
    int maxStartLineBytes,
    int maxHeaderBytes,
    int maxBodyBytes,
    int maxBufferedBytes,
    int maxOutOfOrderBytes,
    int maxHttp2FrameBytes,
    int maxRenderedBytes,
    int maxChunkSizeLineBytes,
    int maxOpenStreams,
    int maxPendingRequests,
    int maxGrpcMessages,
    long maxHpackTableBytes,
    int maxInflateFactor,
    int maxHpackDecoders,
    int maxInflaters,
    int maxCachedStates,
    long maxCachedStateBytes,
    int maxStateRecordBytes) {

  public static final int DEFAULT_MAX_START_LINE_BYTES = 8192;
  public static final int DEFAULT_MAX_HEADER_BYTES = 65536;
  public static final int DEFAULT_MAX_BODY_BYTES = 8 << 20;
  /** What {@code maxBufferedBytes} adds to the body limit by default: head and chunk framing. */
  public static final int BUFFERED_BYTES_OVER_BODY = 1 << 20;
  public static final int DEFAULT_MAX_BUFFERED_BYTES =
      DEFAULT_MAX_BODY_BYTES + BUFFERED_BYTES_OVER_BODY;
  public static final int DEFAULT_MAX_OUT_OF_ORDER_BYTES = 4 << 20;
  public static final int DEFAULT_MAX_HTTP2_FRAME_BYTES = 1 << 20;
  public static final int DEFAULT_MAX_RENDERED_BYTES = DEFAULT_MAX_BODY_BYTES;
  public static final int DEFAULT_MAX_CHUNK_SIZE_LINE_BYTES = 1024;
  public static final int DEFAULT_MAX_OPEN_STREAMS = 128;
  public static final int DEFAULT_MAX_PENDING_REQUESTS = 256;
  public static final int DEFAULT_MAX_GRPC_MESSAGES = 1024;
  public static final long DEFAULT_MAX_HPACK_TABLE_BYTES = 1L << 20;
  public static final int DEFAULT_MAX_INFLATE_FACTOR = 8;
  public static final int DEFAULT_MAX_HPACK_DECODERS = 10_000;
  public static final int DEFAULT_MAX_INFLATERS = 4096;
  public static final int DEFAULT_MAX_CACHED_STATES = 10_000;
  public static final long DEFAULT_MAX_CACHED_STATE_BYTES = 64L << 20;
  public static final int DEFAULT_MAX_STATE_RECORD_BYTES = 64 << 20;
  /** Room for a record's fields beyond bodies and headers: identity, notes, protobuf framing. */
  private static final int RECORD_OVERHEAD_BYTES = 64 << 10;
  /** RFC 7541 §4.2 / RFC 9113 §6.5.2: the HPACK table size before any update. */
  private static final long HPACK_DEFAULT_TABLE_BYTES = 4096;

  public ProcessorLimits {
    if (maxStartLineBytes <= 0 || maxHeaderBytes < maxStartLineBytes || maxBodyBytes <= 0) {
      throw new IllegalArgumentException("limits must be positive, header block >= start line");
    }
    if (maxBufferedBytes < maxHeaderBytes || maxOutOfOrderBytes <= 0 || maxHttp2FrameBytes < 16384
        || maxRenderedBytes < 1024) {
      throw new IllegalArgumentException(
          "maxBufferedBytes must hold a header block; HTTP/2 frames >= 16384, rendered >= 1024");
    }
    if (maxChunkSizeLineBytes < 3 || maxOpenStreams < 1 || maxPendingRequests < 1
        || maxGrpcMessages < 1 || maxInflateFactor < 1 || maxHpackDecoders < 1 || maxInflaters < 1
        || maxCachedStates < 1 || maxCachedStateBytes < 1) {
      throw new IllegalArgumentException(
          "counts and factors must be positive, chunk-size lines >= 3");
    }
    if (maxHpackTableBytes < HPACK_DEFAULT_TABLE_BYTES) {
      throw new IllegalArgumentException(
          "maxHpackTableBytes must hold the default 4096-byte table");
    }
    if (maxStateRecordBytes < 1 << 20) {
      throw new IllegalArgumentException("maxStateRecordBytes must be >= Kafka's default 1 MiB");
    }
    if (parsedRecordBytes(maxBodyBytes, maxRenderedBytes, maxHeaderBytes) > MAX_RECORD_BYTES) {
      throw new IllegalArgumentException("maxBodyBytes " + maxBodyBytes + " and maxRenderedBytes "
          + maxRenderedBytes + " make ParsedMessages larger than " + MAX_RECORD_BYTES
          + " bytes (2 x body + rendered + headers), more than a Kafka request may carry");
    }
  }

  /** A record must stay below Kafka's default socket.request.max.bytes (100 MiB). */
  static final long MAX_RECORD_BYTES = 96L << 20;

  /**
   * The largest ParsedMessage these limits allow: the body (decoded) and, for gRPC, its messages
   * (decoded, together at most the body limit), the display text (head, the body as text or a hex
   * dump within {@code maxRenderedBytes}, notes), the header fields, and the rest of the record.
   * The processor's producer allows it ({@code max.request.size}); {@code ecapture.parsed} must
   * accept it ({@code max.message.bytes}).
   */
  public int maxParsedRecordBytes() {
    return (int) parsedRecordBytes(maxBodyBytes, maxRenderedBytes, maxHeaderBytes);
  }

  private static long parsedRecordBytes(int body, int rendered, int header) {
    return 2L * body + Math.max(body, rendered) + 4L * header + RECORD_OVERHEAD_BYTES;
  }

  /** The documented defaults above. */
  public static ProcessorLimits defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these limits. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private int maxStartLineBytes = DEFAULT_MAX_START_LINE_BYTES;
    private int maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES;
    private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private Integer maxBufferedBytes; // null: maxBodyBytes + BUFFERED_BYTES_OVER_BODY
    private int maxOutOfOrderBytes = DEFAULT_MAX_OUT_OF_ORDER_BYTES;
    private int maxHttp2FrameBytes = DEFAULT_MAX_HTTP2_FRAME_BYTES;
    private Integer maxRenderedBytes; // null: maxBodyBytes
    private int maxChunkSizeLineBytes = DEFAULT_MAX_CHUNK_SIZE_LINE_BYTES;
    private int maxOpenStreams = DEFAULT_MAX_OPEN_STREAMS;
    private int maxPendingRequests = DEFAULT_MAX_PENDING_REQUESTS;
    private int maxGrpcMessages = DEFAULT_MAX_GRPC_MESSAGES;
    private long maxHpackTableBytes = DEFAULT_MAX_HPACK_TABLE_BYTES;
    private int maxInflateFactor = DEFAULT_MAX_INFLATE_FACTOR;
    private int maxHpackDecoders = DEFAULT_MAX_HPACK_DECODERS;
    private int maxInflaters = DEFAULT_MAX_INFLATERS;
    private int maxCachedStates = DEFAULT_MAX_CACHED_STATES;
    private long maxCachedStateBytes = DEFAULT_MAX_CACHED_STATE_BYTES;
    private int maxStateRecordBytes = DEFAULT_MAX_STATE_RECORD_BYTES;

    private Builder() {}

    private Builder(ProcessorLimits l) {
      maxStartLineBytes = l.maxStartLineBytes;
      maxHeaderBytes = l.maxHeaderBytes;
      maxBodyBytes = l.maxBodyBytes;
      // a value equal to what the body limit derives stays derived: a copy whose body limit is
      // changed then moves its buffer and rendered limits along
      maxBufferedBytes = l.maxBufferedBytes == derivedBuffered(l.maxBodyBytes)
          ? null : l.maxBufferedBytes;
      maxOutOfOrderBytes = l.maxOutOfOrderBytes;
      maxHttp2FrameBytes = l.maxHttp2FrameBytes;
      maxRenderedBytes = l.maxRenderedBytes == l.maxBodyBytes ? null : l.maxRenderedBytes;
      maxChunkSizeLineBytes = l.maxChunkSizeLineBytes;
      maxOpenStreams = l.maxOpenStreams;
      maxPendingRequests = l.maxPendingRequests;
      maxGrpcMessages = l.maxGrpcMessages;
      maxHpackTableBytes = l.maxHpackTableBytes;
      maxInflateFactor = l.maxInflateFactor;
      maxHpackDecoders = l.maxHpackDecoders;
      maxInflaters = l.maxInflaters;
      maxCachedStates = l.maxCachedStates;
      maxCachedStateBytes = l.maxCachedStateBytes;
      maxStateRecordBytes = l.maxStateRecordBytes;
    }

    public Builder maxStartLineBytes(int v) {
      maxStartLineBytes = v;
      return this;
    }

    public Builder maxHeaderBytes(int v) {
      maxHeaderBytes = v;
      return this;
    }

    /**
     * Also moves {@code maxBufferedBytes} (body + 1 MiB) and {@code maxRenderedBytes} (= body)
     * unless those are set explicitly.
     */
    public Builder maxBodyBytes(int v) {
      maxBodyBytes = v;
      return this;
    }

    public Builder maxBufferedBytes(int v) {
      maxBufferedBytes = v;
      return this;
    }

    public Builder maxOutOfOrderBytes(int v) {
      maxOutOfOrderBytes = v;
      return this;
    }

    public Builder maxHttp2FrameBytes(int v) {
      maxHttp2FrameBytes = v;
      return this;
    }

    public Builder maxRenderedBytes(int v) {
      maxRenderedBytes = v;
      return this;
    }

    public Builder maxChunkSizeLineBytes(int v) {
      maxChunkSizeLineBytes = v;
      return this;
    }

    public Builder maxOpenStreams(int v) {
      maxOpenStreams = v;
      return this;
    }

    public Builder maxPendingRequests(int v) {
      maxPendingRequests = v;
      return this;
    }

    public Builder maxGrpcMessages(int v) {
      maxGrpcMessages = v;
      return this;
    }

    public Builder maxHpackTableBytes(long v) {
      maxHpackTableBytes = v;
      return this;
    }

    public Builder maxInflateFactor(int v) {
      maxInflateFactor = v;
      return this;
    }

    public Builder maxHpackDecoders(int v) {
      maxHpackDecoders = v;
      return this;
    }

    public Builder maxInflaters(int v) {
      maxInflaters = v;
      return this;
    }

    public Builder maxCachedStates(int v) {
      maxCachedStates = v;
      return this;
    }

    public Builder maxCachedStateBytes(long v) {
      maxCachedStateBytes = v;
      return this;
    }

    public Builder maxStateRecordBytes(int v) {
      maxStateRecordBytes = v;
      return this;
    }

    public ProcessorLimits build() {
      return new ProcessorLimits(
          maxStartLineBytes,
          maxHeaderBytes,
          maxBodyBytes,
          maxBufferedBytes != null ? maxBufferedBytes : derivedBuffered(maxBodyBytes),
          maxOutOfOrderBytes,
          maxHttp2FrameBytes,
          maxRenderedBytes != null ? maxRenderedBytes : maxBodyBytes,
          maxChunkSizeLineBytes,
          maxOpenStreams,
          maxPendingRequests,
          maxGrpcMessages,
          maxHpackTableBytes,
          maxInflateFactor,
          maxHpackDecoders,
          maxInflaters,
          maxCachedStates,
          maxCachedStateBytes,
          maxStateRecordBytes);
    }
  }

  /** The default {@code maxBufferedBytes} for a body limit: room for one whole message. */
  static int derivedBuffered(int maxBodyBytes) {
    return (int) Math.min(Integer.MAX_VALUE - 8, (long) maxBodyBytes + BUFFERED_BYTES_OVER_BODY);
  }
}
