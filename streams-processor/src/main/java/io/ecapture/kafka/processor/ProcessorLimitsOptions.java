package io.ecapture.kafka.processor;

import io.ecapture.kafka.common.ByteSize;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Every {@link ProcessorLimits} bound as a command-line option, shared by {@code processor} and
 * {@code up} (a picocli mixin). Sizes take {@link ByteSize} forms ({@code 8MiB}, {@code 512k},
 * bytes); each default is the {@code ProcessorLimits.DEFAULT_*} constant, and the buffer and
 * rendered limits follow {@code --max-body-bytes} unless given.
 */
public final class ProcessorLimitsOptions {
  /** The command these options are mixed into, to report bad values as usage errors. */
  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(names = "--max-body-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
      description = "body bytes kept whole per message (HTTP, gRPC, WebSocket, unknown data); "
          + "longer bodies are cut and the record says so (default: ${DEFAULT-VALUE})")
  ByteSize maxBodyBytes = ByteSize.of(ProcessorLimits.DEFAULT_MAX_BODY_BYTES);

  @Option(names = "--max-rendered-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
      description = "body part of the display text (eCaptureQ's payload); binary bodies show as "
          + "a hex dump of about 5 characters a byte (default: the body limit)")
  ByteSize maxRenderedBytes;

  @Option(names = "--max-buffered-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
      description = "unparsed bytes per connection direction, and open HTTP/2 stream bodies "
          + "together; a message larger than this is emitted cut (default: body limit + 1MiB)")
  ByteSize maxBufferedBytes;

  @Option(names = "--max-out-of-order-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
      description = "bytes held past a hole per direction before it is declared a gap "
          + "(default: ${DEFAULT-VALUE})")
  ByteSize maxOutOfOrderBytes = ByteSize.of(ProcessorLimits.DEFAULT_MAX_OUT_OF_ORDER_BYTES);

  @Option(names = "--max-start-line-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
      description = "longest HTTP/1 request or status line (default: ${DEFAULT-VALUE})")
  ByteSize maxStartLineBytes = ByteSize.of(ProcessorLimits.DEFAULT_MAX_START_LINE_BYTES);

  @Option(names = "--max-header-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
      description = "largest HTTP/1 header block or HTTP/2 header list (default: ${DEFAULT-VALUE})")
  ByteSize maxHeaderBytes = ByteSize.of(ProcessorLimits.DEFAULT_MAX_HEADER_BYTES);

  @Option(names = "--max-http2-frame-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
      description = "largest HTTP/2 frame accepted (default: ${DEFAULT-VALUE})")
  ByteSize maxHttp2FrameBytes = ByteSize.of(ProcessorLimits.DEFAULT_MAX_HTTP2_FRAME_BYTES);

  @Option(names = "--max-chunk-size-line-bytes", paramLabel = "SIZE",
      converter = SizeConverter.class,
      description = "longest HTTP/1 chunk-size line with extensions (default: ${DEFAULT-VALUE})")
  ByteSize maxChunkSizeLineBytes = ByteSize.of(ProcessorLimits.DEFAULT_MAX_CHUNK_SIZE_LINE_BYTES);

  @Option(names = "--max-http2-streams", paramLabel = "N",
      description = "open HTTP/2 streams kept per direction; past it the oldest is emitted as it "
          + "is (default: ${DEFAULT-VALUE})")
  int maxOpenStreams = ProcessorLimits.DEFAULT_MAX_OPEN_STREAMS;

  @Option(names = "--max-pending-requests", paramLabel = "N",
      description = "requests awaiting their response per connection; past it the oldest goes "
          + "unpaired (default: ${DEFAULT-VALUE})")
  int maxPendingRequests = ProcessorLimits.DEFAULT_MAX_PENDING_REQUESTS;

  @Option(names = "--max-grpc-messages", paramLabel = "N",
      description = "gRPC messages listed per HTTP/2 stream (default: ${DEFAULT-VALUE})")
  int maxGrpcMessages = ProcessorLimits.DEFAULT_MAX_GRPC_MESSAGES;

  @Option(names = "--max-hpack-table-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
      description = "largest HPACK dynamic table accepted (default: ${DEFAULT-VALUE})")
  ByteSize maxHpackTableBytes = ByteSize.of(ProcessorLimits.DEFAULT_MAX_HPACK_TABLE_BYTES);

  @Option(names = "--max-inflate-factor", paramLabel = "N",
      description = "a permessage-deflate message inflates to at most N x the body limit of "
          + "work (default: ${DEFAULT-VALUE})")
  int maxInflateFactor = ProcessorLimits.DEFAULT_MAX_INFLATE_FACTOR;

  @Option(names = "--max-hpack-decoders", paramLabel = "N",
      description = "HPACK decoders kept in memory per task (default: ${DEFAULT-VALUE})")
  int maxHpackDecoders = ProcessorLimits.DEFAULT_MAX_HPACK_DECODERS;

  @Option(names = "--max-inflaters", paramLabel = "N",
      description = "permessage-deflate inflaters kept in memory per task (default: ${DEFAULT-VALUE})")
  int maxInflaters = ProcessorLimits.DEFAULT_MAX_INFLATERS;

  @Option(names = "--max-cached-states", paramLabel = "N",
      description = "connection states cached in front of the store per task "
          + "(default: ${DEFAULT-VALUE})")
  int maxCachedStates = ProcessorLimits.DEFAULT_MAX_CACHED_STATES;

  @Option(names = "--max-cached-state-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
      description = "serialized size of the cached states together per task "
          + "(default: ${DEFAULT-VALUE})")
  ByteSize maxCachedStateBytes = ByteSize.of(ProcessorLimits.DEFAULT_MAX_CACHED_STATE_BYTES);

  @Option(names = "--max-state-record-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
      description = "largest connection state written to the changelog (default: ${DEFAULT-VALUE})")
  ByteSize maxStateRecordBytes = ByteSize.of(ProcessorLimits.DEFAULT_MAX_STATE_RECORD_BYTES);

  /**
   * The limits these options describe.
   *
   * @throws ParameterException (a usage error of the command, exit code 2) naming the bound that
   *     is out of range; {@link IllegalArgumentException} when not used as a mixin
   */
  public ProcessorLimits limits() {
    try {
      return build();
    } catch (IllegalArgumentException e) {
      if (mixee == null) {
        throw e;
      }
      throw new ParameterException(mixee.commandLine(), "processor limits: " + e.getMessage(), e);
    }
  }

  private ProcessorLimits build() {
    ProcessorLimits.Builder b = ProcessorLimits.builder()
        .maxBodyBytes(maxBodyBytes.toIntExact("--max-body-bytes"))
        .maxOutOfOrderBytes(maxOutOfOrderBytes.toIntExact("--max-out-of-order-bytes"))
        .maxStartLineBytes(maxStartLineBytes.toIntExact("--max-start-line-bytes"))
        .maxHeaderBytes(maxHeaderBytes.toIntExact("--max-header-bytes"))
        .maxHttp2FrameBytes(maxHttp2FrameBytes.toIntExact("--max-http2-frame-bytes"))
        .maxChunkSizeLineBytes(maxChunkSizeLineBytes.toIntExact("--max-chunk-size-line-bytes"))
        .maxOpenStreams(maxOpenStreams)
        .maxPendingRequests(maxPendingRequests)
        .maxGrpcMessages(maxGrpcMessages)
        .maxHpackTableBytes(maxHpackTableBytes.bytes())
        .maxInflateFactor(maxInflateFactor)
        .maxHpackDecoders(maxHpackDecoders)
        .maxInflaters(maxInflaters)
        .maxCachedStates(maxCachedStates)
        .maxCachedStateBytes(maxCachedStateBytes.bytes())
        .maxStateRecordBytes(maxStateRecordBytes.toIntExact("--max-state-record-bytes"));
    if (maxRenderedBytes != null) {
      b.maxRenderedBytes(maxRenderedBytes.toIntExact("--max-rendered-bytes"));
    }
    if (maxBufferedBytes != null) {
      b.maxBufferedBytes(maxBufferedBytes.toIntExact("--max-buffered-bytes"));
    }
    return b.build();
  }

  /** Picocli converter for {@link ByteSize} options. */
  public static final class SizeConverter implements ITypeConverter<ByteSize> {
    @Override
    public ByteSize convert(String value) {
      return ByteSize.parse(value);
    }
  }
}
