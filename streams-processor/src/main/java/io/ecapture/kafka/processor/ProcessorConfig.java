package io.ecapture.kafka.processor;

import io.ecapture.kafka.common.KafkaSecrets;
import io.ecapture.kafka.common.TopicNames;
import io.ecapture.kafka.processor.redact.Redaction;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Everything the streams processor needs, immutable. Start from {@link #defaults()} (a working
 * single-node setup) or {@link #builder()}; every bound of the parsers and the reassembly is in
 * {@link ProcessorLimits}.
 *
 * @param bootstrapServers Kafka bootstrap servers. Default {@value #DEFAULT_BOOTSTRAP}.
 * @param applicationId Kafka Streams application id (consumer group, internal topic prefix).
 *     Default {@value #DEFAULT_APPLICATION_ID}.
 * @param stateDir RocksDB state directory. Default {@link #DEFAULT_STATE_DIR}, {@code
 *     <java.io.tmpdir>/ecapture-processor}.
 * @param processingGuarantee {@code exactly_once_v2} (default) or {@code at_least_once}.
 * @param idleFlush a direction with unparsed bytes is flushed after this much processing
 *     wall-clock time without new data; also the time a hole in the byte stream may stay open
 *     before it is declared a gap. Default 1 s.
 * @param connectionTtl per-connection state with nothing left to flush is dropped after this much
 *     inactivity, so connections whose close was never captured do not leak; at least {@code
 *     idleFlush}. Default 10 min.
 * @param statsInterval period of the one-line stats log. Default 30 s.
 * @param streamThreads Kafka Streams threads. Default 1.
 * @param startTimeout how long {@link StreamsProcessor#start} waits for the RUNNING state; zero
 *     returns at once (the app gets there in the background). Default 60 s.
 * @param limits buffer bounds of the parsers and the reassembly. Default {@link
 *     ProcessorLimits#defaults()}.
 * @param streamsOverrides raw Kafka Streams/client properties applied last (e.g. a short {@code
 *     consumer.session.timeout.ms} so a crashed instance's partitions move quickly, or security
 *     settings); empty by default. Their secret values never appear in {@link #toString()}.
 * @param redaction header values replaced before a message reaches {@code ecapture.parsed}
 *     ({@code --redact}). Default {@link Redaction#DEFAULT}: Authorization, Cookie, Set-Cookie,
 *     Proxy-Authorization.
 * @param failures how a record that keeps failing and a stream thread that keeps dying are
 *     bounded ({@code --max-record-attempts}). Default {@link FailurePolicy#DEFAULTS}.
 * @param statusPort loopback port of the status server ({@code GET /status}, {@code GET
 *     /metrics}, see {@link StatusServer}); 0 picks a free port ({@link
 *     StreamsProcessor.Handle#statusPort()}), {@value #STATUS_PORT_OFF} serves none. Default
 *     {@value #DEFAULT_STATUS_PORT}.
 * @param finishedMemory how long a finished connection's stream positions are kept, so records of it
 *     that arrive again (the collector re-sends what a broker failover left unacknowledged) are
 *     dropped as repeats instead of parsed as a new connection; zero forgets at once. Default
 *     {@link #DEFAULT_FINISHED_MEMORY}.
 * @param hostId host id on the processor's own lines in {@code ecapture.logs} (component {@code
 *     processor}). Default the hostname.
 * @param topics names of the topics read and written ({@code --topic-prefix}). Default {@link
 *     TopicNames#DEFAULT}.
 * @param stalledFlush the longest the idle flush holds a message in progress (a detected
 *     protocol's message whose head arrived) of a host that sends progress marks while no mark
 *     of that host newer than the message's last data arrived ({@code --stalled-flush-ms}). Default
 *     {@link #DEFAULT_STALLED_FLUSH}.
 * @param commitPacing under exactly_once_v2, when the processor requests a commit after emitting
 *     parsed messages, so they reach read_committed readers without waiting for the commit
 *     interval ({@code --commit-request-interval-ms}, {@code --commit-request-burst}). Default
 *     {@link CommitPacing#DEFAULTS}.
 */
public record ProcessorConfig(
    String bootstrapServers,
    String applicationId,
    Path stateDir,
    String processingGuarantee,
    Duration idleFlush,
    Duration connectionTtl,
    Duration statsInterval,
    int streamThreads,
    Duration startTimeout,
    ProcessorLimits limits,
    Map<String, String> streamsOverrides,
    int statusPort,
    Redaction redaction,
    FailurePolicy failures,
    Duration finishedMemory,
    String hostId,
    TopicNames topics,
    Duration stalledFlush,
    CommitPacing commitPacing) {

  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
  public static final String DEFAULT_APPLICATION_ID = "ecapture-processor";
  public static final Path DEFAULT_STATE_DIR =
      Path.of(System.getProperty("java.io.tmpdir"), "ecapture-processor");
  public static final String DEFAULT_PROCESSING_GUARANTEE = StreamsConfig.EXACTLY_ONCE_V2;
  public static final Duration DEFAULT_IDLE_FLUSH = Duration.ofSeconds(1);
  public static final Duration DEFAULT_CONNECTION_TTL = Duration.ofMinutes(10);
  /**
   * Covers the collector's re-send after a failover: its producer gives up after 12 s, its spool
   * sends again after a backoff of seconds.
   */
  public static final Duration DEFAULT_FINISHED_MEMORY = Duration.ofMinutes(2);
  /**
   * Covers a broker failover: the collector's producer gives up on a request after 12 s, its
   * spool sends again after a backoff of seconds.
   */
  public static final Duration DEFAULT_STALLED_FLUSH = Duration.ofSeconds(30);
  public static final Duration DEFAULT_STATS_INTERVAL = Duration.ofSeconds(30);
  public static final int DEFAULT_STREAM_THREADS = 1;
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);
  /** The processor's status port; the collector and the gateway use their neighbours. */
  public static final int DEFAULT_STATUS_PORT = 28259;
  /** {@link #statusPort()} value that serves no status endpoint. */
  public static final int STATUS_PORT_OFF = -1;
  /** fetch.max.wait.ms of the main consumer: how long an empty fetch waits at the broker. */
  public static final int IDLE_FETCH_WAIT_MS = 1_000;
  /**
   * commit.interval.ms with exactly_once_v2 (Kafka Streams' own: 100): a parsed message is
   * visible to read_committed readers (the gateway) only once its transaction commits. A task
   * that emitted requests its commit at once ({@link CommitPacing}), so the interval only
   * commits what the pacing left (state changes without output, a rate-limited emit).
   * bench/pipeline-latency.sh live; at_least_once keeps Streams' own.
   */
  public static final int DEFAULT_EOS_COMMIT_INTERVAL_MS = 100;
  /**
   * poll.ms with exactly_once_v2 (Kafka Streams' own: 100): how long the stream thread blocks in
   * poll when no record comes; wall-clock punctuators (the idle flush, a rate-limited commit
   * request) run only when it returns. Each idle wake-up costs CPU (20 ms cost 2 % of a core; at
   * 100 ms the stream thread is 0.42 % of a core in an idle up's first minutes, at 500 ms 0.22 %;
   * once settled the two are the same). 500 ms once seemed to cost the live view 35 ms at the p99,
   * but runs of both that put the bench's two connections on two partitions gave the same p99
   * (80 ms); the slow runs had them on one partition, which LastFetchedOffsets fixed (README
   * "Pipeline latency"). It stays at 100, Kafka Streams' own. An idle up is under 2 % of a core
   * once settled with it (bench/idle-cpu.sh).
   */
  public static final int DEFAULT_EOS_POLL_MS = 100;
  /**
   * retry.backoff.ms of the main consumer (Kafka's default: 100). Its group heartbeat thread
   * wakes every retry.backoff.ms to check whether a heartbeat (every 3 s) is due: 10 wake-ups a
   * second of an idle processor, 0.18 % of a core (bench/idle-cpu.sh). At 500 ms it wakes twice a
   * second; retries after an error (coordinator lookup, fetch) start at 500 ms instead of 100 ms,
   * still within Kafka's 1 s retry.backoff.max.ms.
   */
  public static final int MAIN_CONSUMER_RETRY_BACKOFF_MS = 500;
  /** linger.ms of the processor's producer (Kafka Streams' own default is 100). */
  public static final int DEFAULT_PRODUCER_LINGER_MS = 20;
  /**
   * Kafka Streams' record cache: connection states hold unparsed bytes (a large message in
   * progress up to the buffer limit), so most store and changelog writes are saved while a few
   * such states fit.
   */
  public static final long DEFAULT_STORE_CACHE_BYTES = 128L << 20;
  /** Kafka's own producer buffer.memory; raised to hold two of the largest records. */
  static final long KAFKA_DEFAULT_BUFFER_MEMORY = 32L << 20;
  /** Record batch and request framing on top of a record's own size. */
  static final int REQUEST_OVERHEAD_BYTES = 64 << 10;

  public ProcessorConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(applicationId, "applicationId");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(redaction, "redaction (Redaction.NONE to turn it off)");
    Objects.requireNonNull(failures, "failures");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(commitPacing, "commitPacing (CommitPacing.OFF to turn it off)");
    streamsOverrides = Map.copyOf(streamsOverrides);
    hostId = hostId == null || hostId.isBlank()
        ? io.ecapture.kafka.common.KafkaProcessLog.defaultHostId() : hostId.strip();
    if (!StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee)
        && !StreamsConfig.AT_LEAST_ONCE.equals(processingGuarantee)) {
      throw new IllegalArgumentException(
          "processing guarantee must be exactly_once_v2 or at_least_once: " + processingGuarantee);
    }
    if (idleFlush.isNegative() || idleFlush.isZero() || connectionTtl.compareTo(idleFlush) < 0) {
      throw new IllegalArgumentException("idleFlush must be > 0 and connectionTtl >= idleFlush");
    }
    Objects.requireNonNull(statsInterval, "statsInterval");
    if (finishedMemory == null || finishedMemory.isNegative()) {
      throw new IllegalArgumentException("finishedMemory must be >= 0");
    }
    if (stalledFlush == null || stalledFlush.isNegative()) {
      throw new IllegalArgumentException("stalledFlush must be >= 0");
    }
    Objects.requireNonNull(startTimeout, "startTimeout");
    if (streamThreads < 1) {
      throw new IllegalArgumentException("streamThreads must be >= 1");
    }
    if (statusPort < STATUS_PORT_OFF || statusPort > 65535) {
      throw new IllegalArgumentException(
          "statusPort must be -1 (off), 0 (any) or a port: " + statusPort);
    }
  }

  /** All defaults. */
  public static ProcessorConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * The pacing the processor applies: {@link #commitPacing()} under exactly_once_v2, {@link
   * CommitPacing#OFF} under at_least_once (a message is visible once produced).
   */
  public CommitPacing effectiveCommitPacing() {
    return StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee) && commitPacing.enabled()
        ? commitPacing : CommitPacing.OFF;
  }

  /** Like the record's own, with the values of secret {@link #streamsOverrides()} masked. */
  @Override
  public String toString() {
    return "ProcessorConfig[bootstrapServers=" + bootstrapServers
        + ", applicationId=" + applicationId + ", stateDir=" + stateDir
        + ", processingGuarantee=" + processingGuarantee + ", idleFlush=" + idleFlush
        + ", connectionTtl=" + connectionTtl + ", statsInterval=" + statsInterval
        + ", streamThreads=" + streamThreads + ", startTimeout=" + startTimeout
        + ", limits=" + limits + ", streamsOverrides=" + KafkaSecrets.masked(streamsOverrides)
        + ", statusPort=" + statusPort + ", redaction=" + redaction + ", failures=" + failures
        + ", finishedMemory=" + finishedMemory + ", hostId=" + hostId + ", topics=" + topics
        + ", stalledFlush=" + stalledFlush + ", commitPacing=" + commitPacing + "]";
  }

  /** Kafka Streams properties derived from this config (no default serdes on purpose). */
  public Properties toStreamsProperties() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    if (StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee)) {
      // a parsed message reaches read_committed readers when its transaction commits; a task
      // that emitted requests its commit (CommitPacing), the interval commits the rest
      // (bench/pipeline-latency.sh live, README "Pipeline latency")
      props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, DEFAULT_EOS_COMMIT_INTERVAL_MS);
      props.put(StreamsConfig.POLL_MS_CONFIG, DEFAULT_EOS_POLL_MS);
      if (commitPacing.enabled()) {
        // one requested commit per fetched batch of a task, not per record (LastFetchedOffsets)
        props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG),
            LastFetchedOffsets.class.getName());
      }
    }
    // how long a fetch that finds nothing waits at the broker (Kafka's default: 500 ms). New
    // records answer it at once, so it costs no latency in steady state; an idle processor sends
    // half the requests. It is also how long partitions resumed after a restore or rebalance may
    // wait for the fetch in flight, hence not longer
    props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG),
        IDLE_FETCH_WAIT_MS);
    // the group heartbeat thread wakes every retry.backoff.ms (MAIN_CONSUMER_RETRY_BACKOFF_MS)
    props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.RETRY_BACKOFF_MS_CONFIG),
        MAIN_CONSUMER_RETRY_BACKOFF_MS);
    // Streams' producer lingers 100 ms by default: at a quiet host's rates every parsed message
    // waited that long (most of at_least_once's end-to-end p50). 20 ms kept the saturated
    // throughput (bench/processor.sh throughput broker); 5 ms cost about 18% of it
    props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), DEFAULT_PRODUCER_LINGER_MS);
    // parsed messages and states are text-heavy: compress batches (lz4 is cheap on 2 cores;
    // the changelog, which shares this producer, too)
    props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
    props.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, OversizedRecordHandler.class);
    // a record that keeps failing is retried a bounded number of times, then dead-lettered
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, PoisonRecordHandler.class);
    // a connection's state (unparsed bytes of both directions) and a parsed message (whole
    // bodies) exceed Kafka's 1 MiB; the changelog topic allows maxStateRecordBytes
    // (StreamsProcessor), ecapture.parsed at least maxParsedRecordBytes (TopicSetup), so the
    // producer must send both, and buffer two of them
    int maxRequest = maxRecordBytes();
    props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), maxRequest);
    props.put(StreamsConfig.producerPrefix(ProducerConfig.BUFFER_MEMORY_CONFIG),
        Math.max(KAFKA_DEFAULT_BUFFER_MEMORY, 2L * maxRequest));
    // connection states hold unparsed bytes: a larger record cache saves most store writes
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, DEFAULT_STORE_CACHE_BYTES);
    props.putAll(streamsOverrides);
    return props;
  }

  /**
   * The largest record the processor produces: a changelog state or a parsed message, plus
   * request framing. The producer's {@code max.request.size}.
   */
  public int maxRecordBytes() {
    return Math.max(limits.maxStateRecordBytes(), limits.maxParsedRecordBytes())
        + REQUEST_OVERHEAD_BYTES;
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private String bootstrapServers = DEFAULT_BOOTSTRAP;
    private String applicationId = DEFAULT_APPLICATION_ID;
    private Path stateDir = DEFAULT_STATE_DIR;
    private String processingGuarantee = DEFAULT_PROCESSING_GUARANTEE;
    private Duration idleFlush = DEFAULT_IDLE_FLUSH;
    private Duration connectionTtl = DEFAULT_CONNECTION_TTL;
    private Duration statsInterval = DEFAULT_STATS_INTERVAL;
    private int streamThreads = DEFAULT_STREAM_THREADS;
    private Duration startTimeout = DEFAULT_START_TIMEOUT;
    private ProcessorLimits limits = ProcessorLimits.defaults();
    private Map<String, String> streamsOverrides = new LinkedHashMap<>();
    private int statusPort = DEFAULT_STATUS_PORT;
    private Redaction redaction = Redaction.DEFAULT;
    private FailurePolicy failures = FailurePolicy.DEFAULTS;
    private Duration finishedMemory = DEFAULT_FINISHED_MEMORY;
    private Duration stalledFlush = DEFAULT_STALLED_FLUSH;
    private String hostId;
    private TopicNames topics = TopicNames.DEFAULT;
    private CommitPacing commitPacing = CommitPacing.DEFAULTS;

    private Builder() {}

    private Builder(ProcessorConfig c) {
      bootstrapServers = c.bootstrapServers;
      applicationId = c.applicationId;
      stateDir = c.stateDir;
      processingGuarantee = c.processingGuarantee;
      idleFlush = c.idleFlush;
      connectionTtl = c.connectionTtl;
      statsInterval = c.statsInterval;
      streamThreads = c.streamThreads;
      startTimeout = c.startTimeout;
      limits = c.limits;
      streamsOverrides = new LinkedHashMap<>(c.streamsOverrides);
      statusPort = c.statusPort;
      redaction = c.redaction;
      failures = c.failures;
      finishedMemory = c.finishedMemory;
      stalledFlush = c.stalledFlush;
      hostId = c.hostId;
      topics = c.topics;
      commitPacing = c.commitPacing;
    }

    public Builder commitPacing(CommitPacing v) {
      commitPacing = v;
      return this;
    }

    public Builder bootstrapServers(String v) {
      bootstrapServers = v;
      return this;
    }

    public Builder applicationId(String v) {
      applicationId = v;
      return this;
    }

    public Builder stateDir(Path v) {
      stateDir = v;
      return this;
    }

    public Builder processingGuarantee(String v) {
      processingGuarantee = v;
      return this;
    }

    /** Also raises {@code connectionTtl} to {@code v} when lower (a state must flush first). */
    public Builder idleFlush(Duration v) {
      idleFlush = v;
      if (v != null && connectionTtl.compareTo(v) < 0) {
        connectionTtl = v;
      }
      return this;
    }

    public Builder connectionTtl(Duration v) {
      connectionTtl = v;
      return this;
    }

    public Builder statsInterval(Duration v) {
      statsInterval = v;
      return this;
    }

    public Builder streamThreads(int v) {
      streamThreads = v;
      return this;
    }

    public Builder startTimeout(Duration v) {
      startTimeout = v;
      return this;
    }

    public Builder limits(ProcessorLimits v) {
      limits = v;
      return this;
    }

    /** Replaces every override. */
    public Builder streamsOverrides(Map<String, String> v) {
      streamsOverrides = new LinkedHashMap<>(v);
      return this;
    }

    /** Adds (or replaces) one raw Kafka Streams/client property. */
    public Builder streamsOverride(String key, String value) {
      streamsOverrides.put(key, value);
      return this;
    }

    public Builder statusPort(int v) {
      statusPort = v;
      return this;
    }

    public Builder redaction(Redaction v) {
      redaction = v;
      return this;
    }

    public Builder topics(TopicNames v) {
      topics = v;
      return this;
    }

    /** Null or blank: the hostname. */
    public Builder hostId(String v) {
      hostId = v;
      return this;
    }

    public Builder stalledFlush(Duration v) {
      stalledFlush = v;
      return this;
    }

    public Builder finishedMemory(Duration v) {
      finishedMemory = v;
      return this;
    }

    public Builder failures(FailurePolicy v) {
      failures = v;
      return this;
    }

    public ProcessorConfig build() {
      return new ProcessorConfig(
          bootstrapServers,
          applicationId,
          stateDir,
          processingGuarantee,
          idleFlush,
          connectionTtl,
          statsInterval,
          streamThreads,
          startTimeout,
          limits,
          streamsOverrides,
          statusPort,
          redaction,
          failures,
          finishedMemory,
          hostId,
          topics,
          stalledFlush,
          commitPacing);
    }
  }
}
