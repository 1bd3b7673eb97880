package io.ecapture.kafka.collector.sink;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The on-disk spool between capture and Kafka ({@link SpoolingKafkaSink}), immutable. Start from
 * {@link #defaults()} or {@link #builder()}.
 *
 * @param enabled false: send straight to the producer ({@link KafkaCaptureSink}: events fail and
 *     are counted while the broker is away; the ring-buffer thread may block up to max.block.ms).
 *     Default true.
 * @param directory where segments live; empty: {@code <DEFAULT_PARENT>/<host id>} (see {@link
 *     #directoryFor}). Default empty. One collector per directory (a lock file).
 * @param maxBytes disk the spool may use, at least two segments. Default 1 GiB.
 * @param segmentBytes size of one segment file, at least {@link #MIN_SEGMENT_BYTES} (a segment
 *     holds the largest record). Default {@code maxBytes / 8} within 256 KiB to 32 MiB.
 * @param fullPolicy what happens to new records when the spool is full. Default DROP_OLDEST.
 * @param maxInFlight records handed to the producer and not yet acknowledged, at most; bounds the
 *     producer's memory. Default 20,000.
 * @param drainOnClose how long closing keeps sending what is spooled (less when sends are failing)
 *     before leaving the rest for the next start. Default 10 s.
 * @param progressMark how often a progress mark ({@code ProgressMark} in capture.proto) is
 *     appended for each partition of ecapture.raw this collector wrote data to in the last
 *     {@code SpoolingKafkaSink.ACTIVE_WINDOW}; zero: none. Default 500 ms.
 */
public record SpoolConfig(
    boolean enabled,
    Optional<Path> directory,
    long maxBytes,
    int segmentBytes,
    SpoolFullPolicy fullPolicy,
    int maxInFlight,
    Duration drainOnClose,
    Duration progressMark) {

  /** As text for command-line help: the parent of the default spool directories. */
  public static final String DEFAULT_PARENT_NAME = "/var/lib/ecapture-kafka/spool";
  /** Parent of the default spool directory ({@code <parent>/<host id>}). */
  public static final Path DEFAULT_PARENT = Path.of(DEFAULT_PARENT_NAME);
  public static final long DEFAULT_MAX_BYTES = 1024L * 1024 * 1024;
  public static final int DEFAULT_SEGMENT_BYTES = 32 * 1024 * 1024;
  /** A segment must hold the largest record (16 KiB payload plus header). */
  public static final int MIN_SEGMENT_BYTES = 256 * 1024;
  public static final SpoolFullPolicy DEFAULT_FULL_POLICY = SpoolFullPolicy.DROP_OLDEST;
  public static final int DEFAULT_MAX_IN_FLIGHT = 20_000;
  public static final Duration DEFAULT_DRAIN_ON_CLOSE = Duration.ofSeconds(10);
  /** How often progress marks go to the partitions recently written to (--progress-mark-ms). */
  public static final Duration DEFAULT_PROGRESS_MARK = Duration.ofMillis(500);

  public SpoolConfig {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(fullPolicy, "fullPolicy");
    if (segmentBytes < MIN_SEGMENT_BYTES) {
      throw new IllegalArgumentException("spool segment must be >= " + MIN_SEGMENT_BYTES + " bytes: " + segmentBytes);
    }
    if (maxBytes / segmentBytes < 2) {
      throw new IllegalArgumentException(
          "spool max " + maxBytes + " bytes must hold two segments of " + segmentBytes + " bytes");
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be >= 1: " + maxInFlight);
    }
    Objects.requireNonNull(drainOnClose, "drainOnClose");
    if (drainOnClose.isNegative()) {
      throw new IllegalArgumentException("drainOnClose must be >= 0: " + drainOnClose);
    }
    Objects.requireNonNull(progressMark, "progressMark");
    if (progressMark.isNegative()) {
      throw new IllegalArgumentException("progressMark must be >= 0 (0: off): " + progressMark);
    }
  }

  /** Every default. */
  public static SpoolConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** The default segment size for a spool of {@code maxBytes}: an eighth, within 256 KiB to 32 MiB. */
  public static int segmentBytesFor(long maxBytes) {
    return (int) Math.max(MIN_SEGMENT_BYTES, Math.min(DEFAULT_SEGMENT_BYTES, maxBytes / 8));
  }

  /** The directory in use for the host {@code hostId}: the configured one or {@code <DEFAULT_PARENT>/<hostId>}. */
  public Path directoryFor(String hostId) {
    return directory.orElse(DEFAULT_PARENT.resolve(hostId));
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private boolean enabled = true;
    private Optional<Path> directory = Optional.empty();
    private long maxBytes = DEFAULT_MAX_BYTES;
    /** Null: derived from maxBytes ({@link #segmentBytesFor}). */
    private Integer segmentBytes;
    private SpoolFullPolicy fullPolicy = DEFAULT_FULL_POLICY;
    private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
    private Duration drainOnClose = DEFAULT_DRAIN_ON_CLOSE;
    private Duration progressMark = DEFAULT_PROGRESS_MARK;

    private Builder() {}

    private Builder(SpoolConfig c) {
      enabled = c.enabled;
      directory = c.directory;
      maxBytes = c.maxBytes;
      segmentBytes = c.segmentBytes == segmentBytesFor(c.maxBytes) ? null : c.segmentBytes;
      fullPolicy = c.fullPolicy;
      maxInFlight = c.maxInFlight;
      drainOnClose = c.drainOnClose;
      progressMark = c.progressMark;
    }

    public Builder enabled(boolean v) {
      enabled = v;
      return this;
    }

    /** Null: the default directory of the host. */
    public Builder directory(Path v) {
      directory = Optional.ofNullable(v);
      return this;
    }

    /** Also sizes the segments, unless {@link #segmentBytes} is given. */
    public Builder maxBytes(long v) {
      maxBytes = v;
      return this;
    }

    public Builder segmentBytes(int v) {
      segmentBytes = v;
      return this;
    }

    public Builder fullPolicy(SpoolFullPolicy v) {
      fullPolicy = v;
      return this;
    }

    public Builder maxInFlight(int v) {
      maxInFlight = v;
      return this;
    }

    public Builder drainOnClose(Duration v) {
      drainOnClose = v;
      return this;
    }

    /** Zero: no progress marks. */
    public Builder progressMark(Duration v) {
      progressMark = v;
      return this;
    }

    public SpoolConfig build() {
      return new SpoolConfig(enabled, directory, maxBytes, segmentBytes != null ? segmentBytes : segmentBytesFor(maxBytes),
          fullPolicy, maxInFlight, drainOnClose, progressMark);
    }
  }
}
