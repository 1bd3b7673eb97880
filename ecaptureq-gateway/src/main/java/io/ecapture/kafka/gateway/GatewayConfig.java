package io.ecapture.kafka.gateway;

import io.ecapture.kafka.common.KafkaProcessLog;
import io.ecapture.kafka.common.KafkaSecrets;
import io.ecapture.kafka.common.TopicNames;

import java.lang.reflect.RecordComponent;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Everything a {@link Gateway} needs, immutable: every limit of the gateway lives here, with its
 * default in a {@code DEFAULT_*} constant (the command line reads its defaults from them too).
 * Start from {@link #defaults()} or {@link #builder()}; defaults are sized for one eCaptureQ
 * desktop client per operator and a handful of clients per gateway. {@link #toString()} masks
 * secrets.
 *
 * @param listen where the WebSocket server binds; port 0 picks an ephemeral port (see {@link
 *     Gateway#port()}). Default {@code 127.0.0.1:28257}, eCaptureQ's conventional address.
 * @param bootstrapServers Kafka bootstrap servers; blank runs the gateway without a Kafka feed
 *     (only {@link Gateway#publish} feeds it). Default {@code 127.0.0.1:9092}.
 * @param replayLogs how many process-log lines a newly connected client receives first: the most
 *     recent ones (see {@link io.ecapture.kafka.gateway.session.ReplayBuffer} for why not the first
 *     ones). Default 128; 0 disables.
 * @param heartbeatInterval period of the per-connection heartbeat after the one sent at connect.
 *     Default 15 s as eCapture.
 * @param maxQueuedFrames frames a client may have waiting in its send queue before new frames to it
 *     are dropped and counted; also the live events held back during its replay. Default 1024.
 * @param maxQueuedBytes bytes (estimated, see {@link io.ecapture.kafka.gateway.session.ClientSession})
 *     a client may have waiting before new frames are dropped. A single frame larger than this
 *     still goes to a client whose queue is empty. Default 32 MiB (two whole-body events).
 * @param maxPayloadBytes an event payload longer than this is cut (at a UTF-8 boundary) and ends
 *     with a notice stating its bytes in total (counted as {@code truncatedPayloads}); Go clients
 *     read at most 32 MiB per frame, so at most {@link #MAX_PAYLOAD_LIMIT}. Default 16 MiB: the
 *     processor's default 8 MiB body with its head fits whole.
 * @param maxInboundFrameBytes largest frame accepted from a client (inbound data is ignored, this
 *     only stops a client from making the server buffer a huge message); larger closes with 1009.
 *     Default 64 KiB.
 * @param socketSendBufferBytes SO_SNDBUF of accepted sockets, 0 keeps the OS default
 *     (auto-tuned). Smaller values make slow clients hit the gateway's bound sooner. Default 0.
 * @param minIdleTimeout a connection that neither reads nor accepts writes is closed after 4
 *     heartbeat periods, but never sooner than this (see {@link #idleTimeout()}). Default 60 s.
 * @param maxHttpThreads threads serving the port (HTTP requests, handshakes, Jetty's selectors);
 *     at least {@link #MIN_HTTP_THREADS}. Default 64.
 * @param allowedOriginHosts hosts an {@code Origin} header may name (browser pages of other sites
 *     must not read captured plaintext); {@code "*"} allows any. Default localhost, 127.0.0.1,
 *     [::1] and tauri.localhost (eCaptureQ is a Tauri app).
 * @param allowMissingOrigin whether handshakes without {@code Origin} (non-browser clients) are
 *     accepted. Default true; the reference rejects them.
 * @param startFromLatest true: a new gateway sees only parsed messages produced after it started
 *     (eCapture shows live traffic); false: from the earliest retained record. Default true.
 * @param pollTimeout longest a Kafka poll blocks. Default 500 ms.
 * @param assignmentRefresh how often topic partitions are looked up again, to pick up topics
 *     created later and added partitions. Default 30 s.
 * @param missingTopicRetry how often topics are looked for while one of them does not exist yet.
 *     Default 1 s.
 * @param metadataTimeout longest a Kafka metadata or offset lookup (partitions, beginning, end and
 *     time offsets) blocks, for the live feed and replays. Default 5 s.
 * @param kafkaOverrides extra consumer properties (security, client.rack...), applied last.
 *     Default none.
 * @param maxReplayEvents upper bound of past events one client may ask for with {@code ?since=} or
 *     {@code ?last=} (read from Kafka, never from memory); 0 disables replay. Default 1000.
 * @param maxReplayAge how far back {@code ?since=} may reach. Default 1 h.
 * @param replayReadBudget longest one replay reads from Kafka; what was found by then is sent.
 *     Default 10 s.
 * @param maxQueuedReplays replays waiting for the one replay thread; a client asking beyond that is
 *     told to try again. Default 16.
 * @param tlsKeyStore a PKCS#12 (or JKS) key store: when set, the port speaks TLS only ({@code
 *     wss://}, {@code https://}). Default null (plain, fine on loopback).
 * @param tlsKeyStorePassword the key store's password (also used for the key). Default "".
 * @param token when not blank, WebSocket clients and status requests must present it as {@code
 *     ?token=} or {@code Authorization: Bearer}; others are refused. Default "" (open, which is
 *     what eCaptureQ expects on loopback).
 * @param insecureListen allow {@link #listen()} on a non-loopback address with neither {@link
 *     #token()} nor {@link #tlsKeyStore()}: anyone who can reach the port would read the captured
 *     plaintext, so {@link Gateway#start} refuses that unless this is set. Default false.
 * @param hostId the host id on the gateway's own process-log lines in {@code ecapture.logs}
 *     (component {@code gateway}). Default the hostname.
 * @param topics names of the topics read and written ({@code --topic-prefix}). Default {@link
 *     TopicNames#DEFAULT}.
 */
public record GatewayConfig(
    InetSocketAddress listen,
    String bootstrapServers,
    int replayLogs,
    Duration heartbeatInterval,
    int maxQueuedFrames,
    long maxQueuedBytes,
    int maxPayloadBytes,
    int maxInboundFrameBytes,
    int socketSendBufferBytes,
    Duration minIdleTimeout,
    int maxHttpThreads,
    List<String> allowedOriginHosts,
    boolean allowMissingOrigin,
    boolean startFromLatest,
    Duration pollTimeout,
    Duration assignmentRefresh,
    Duration missingTopicRetry,
    Duration metadataTimeout,
    Map<String, String> kafkaOverrides,
    int maxReplayEvents,
    Duration maxReplayAge,
    Duration replayReadBudget,
    int maxQueuedReplays,
    Path tlsKeyStore,
    String tlsKeyStorePassword,
    String token,
    boolean insecureListen,
    String hostId,
    TopicNames topics) {

  public static final int DEFAULT_PORT = 28257;
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
  public static final int DEFAULT_REPLAY_LOGS = 128;
  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);
  public static final int DEFAULT_MAX_QUEUED_FRAMES = 1024;
  /** Room for a few whole-body events (2 x the payload limit) behind smaller frames. */
  public static final long DEFAULT_MAX_QUEUED_BYTES = 32L << 20;
  /**
   * An 8 MiB body (the processor's default body limit) with its head, headers and notes, as the
   * processor renders it, with room: such an event is never cut.
   */
  public static final int DEFAULT_MAX_PAYLOAD_BYTES = 16 << 20;
  public static final int DEFAULT_MAX_INBOUND_FRAME_BYTES = 64 << 10;
  /** 0: the operating system's (auto-tuned) send buffer. */
  public static final int DEFAULT_SOCKET_SEND_BUFFER_BYTES = 0;
  public static final Duration DEFAULT_MIN_IDLE_TIMEOUT = Duration.ofSeconds(60);
  public static final int DEFAULT_MAX_HTTP_THREADS = 64;
  /** Jetty needs a few threads for its acceptor and selectors before it can serve anything. */
  public static final int MIN_HTTP_THREADS = 8;
  /** Go clients (eCapture's own, eCaptureQ's backend) read at most 32 MiB per frame. */
  public static final int MAX_PAYLOAD_LIMIT = 30 << 20;
  public static final List<String> DEFAULT_ORIGIN_HOSTS =
      List.of("localhost", "127.0.0.1", "[::1]", "::1", "tauri.localhost");
  public static final boolean DEFAULT_ALLOW_MISSING_ORIGIN = true;
  public static final boolean DEFAULT_START_FROM_LATEST = true;
  public static final Duration DEFAULT_POLL_TIMEOUT = Duration.ofMillis(500);
  public static final Duration DEFAULT_ASSIGNMENT_REFRESH = Duration.ofSeconds(30);
  public static final Duration DEFAULT_MISSING_TOPIC_RETRY = Duration.ofSeconds(1);
  public static final Duration DEFAULT_METADATA_TIMEOUT = Duration.ofSeconds(5);
  public static final int DEFAULT_MAX_REPLAY_EVENTS = 1000;
  public static final Duration DEFAULT_MAX_REPLAY_AGE = Duration.ofHours(1);
  public static final Duration DEFAULT_REPLAY_READ_BUDGET = Duration.ofSeconds(10);
  public static final int DEFAULT_MAX_QUEUED_REPLAYS = 16;

  /** What {@link #toString()} prints instead of a secret. */
  static final String MASK = KafkaSecrets.MASK;

  public GatewayConfig {
    Objects.requireNonNull(listen, "listen");
    bootstrapServers = bootstrapServers == null ? "" : bootstrapServers.strip();
    requireAtLeast(replayLogs, 0, "replayLogs");
    requirePositive(heartbeatInterval, "heartbeatInterval");
    requireAtLeast(maxQueuedFrames, 1, "maxQueuedFrames");
    requireAtLeast(maxQueuedBytes, 1, "maxQueuedBytes");
    requireAtLeast(maxPayloadBytes, 1, "maxPayloadBytes");
    if (maxPayloadBytes > MAX_PAYLOAD_LIMIT) {
      throw new IllegalArgumentException(
          "maxPayloadBytes must be <= " + MAX_PAYLOAD_LIMIT + " (clients read 32 MiB frames at most)");
    }
    requireAtLeast(maxInboundFrameBytes, 1, "maxInboundFrameBytes");
    requireAtLeast(socketSendBufferBytes, 0, "socketSendBufferBytes");
    requirePositive(minIdleTimeout, "minIdleTimeout");
    requireAtLeast(maxHttpThreads, MIN_HTTP_THREADS, "maxHttpThreads");
    allowedOriginHosts = List.copyOf(allowedOriginHosts);
    requirePositive(pollTimeout, "pollTimeout");
    requirePositive(assignmentRefresh, "assignmentRefresh");
    requirePositive(missingTopicRetry, "missingTopicRetry");
    requirePositive(metadataTimeout, "metadataTimeout");
    kafkaOverrides = Map.copyOf(kafkaOverrides);
    requireAtLeast(maxReplayEvents, 0, "maxReplayEvents");
    requirePositive(maxReplayAge, "maxReplayAge");
    requirePositive(replayReadBudget, "replayReadBudget");
    requireAtLeast(maxQueuedReplays, 1, "maxQueuedReplays");
    tlsKeyStorePassword = tlsKeyStorePassword == null ? "" : tlsKeyStorePassword;
    token = token == null ? "" : token.strip();
    hostId = hostId == null || hostId.isBlank() ? KafkaProcessLog.defaultHostId() : hostId.strip();
    Objects.requireNonNull(topics, "topics");
  }

  /**
   * How long a connection may neither read nor accept writes before it is closed: 4 heartbeat
   * periods (a healthy client always accepts the heartbeats), at least {@link #minIdleTimeout()}.
   */
  public Duration idleTimeout() {
    Duration idle = heartbeatInterval.multipliedBy(4);
    return idle.compareTo(minIdleTimeout) > 0 ? idle : minIdleTimeout;
  }

  /**
   * Like the record's own, with secrets masked, since configs end up in logs: the token and key
   * store password ({@code none} when empty, else {@value #MASK}), any component whose name looks
   * secret, and every {@link #kafkaOverrides()} value whose property Kafka types as a password or
   * whose name looks secret ({@code sasl.jaas.config}, {@code *password*}, {@code *secret*}...).
   */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("GatewayConfig[");
    RecordComponent[] components = GatewayConfig.class.getRecordComponents();
    for (int i = 0; i < components.length; i++) {
      String name = components[i].getName();
      Object value;
      try {
        value = components[i].getAccessor().invoke(this);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read component " + name, e);
      }
      out.append(i == 0 ? "" : ", ").append(name).append('=');
      if (KafkaSecrets.looksSecret(name)) {
        out.append(value == null || value.toString().isEmpty() ? "none" : MASK);
      } else if (value instanceof Map<?, ?> map) {
        Map<String, String> shown = new TreeMap<>();
        map.forEach((k, v) -> shown.put(String.valueOf(k),
            KafkaSecrets.isSecret(String.valueOf(k)) ? MASK : String.valueOf(v)));
        out.append(shown);
      } else {
        out.append(value);
      }
    }
    return out.append(']').toString();
  }

  /** All defaults: {@code ws://127.0.0.1:28257/} fed from {@code 127.0.0.1:9092}. */
  public static GatewayConfig defaults() {
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
   * Why {@link #listen()} is unsafe as configured, or null: a non-loopback address (the wildcard
   * 0.0.0.0 / :: included) with neither a token nor TLS, and {@link #insecureListen()} not set.
   */
  public String unsafeListenReason() {
    if (insecureListen || !token.isEmpty() || tlsKeyStore != null) {
      return null;
    }
    java.net.InetAddress address = listen.getAddress();
    boolean loopback = address != null ? address.isLoopbackAddress()
        : listen.getHostString().equalsIgnoreCase("localhost");
    if (loopback) {
      return null;
    }
    return "refusing to listen on " + listen.getHostString() + ":" + listen.getPort()
        + " (not loopback) without --token-file or --tls-keystore: anyone reaching it would read the"
        + " captured plaintext; add --insecure-listen to do it anyway";
  }

  /** Whether a Kafka consumer feeds the gateway. */
  public boolean kafkaEnabled() {
    return !bootstrapServers.isEmpty();
  }

  private static void requireAtLeast(long value, long min, String name) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + ", was " + value);
    }
  }

  private static void requirePositive(Duration value, String name) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be a positive duration, was " + value);
    }
  }

  /** Mutable builder starting from the defaults; {@link #build()} validates. */
  public static final class Builder {
    private InetSocketAddress listen = new InetSocketAddress(DEFAULT_HOST, DEFAULT_PORT);
    private String bootstrapServers = DEFAULT_BOOTSTRAP;
    private int replayLogs = DEFAULT_REPLAY_LOGS;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT;
    private int maxQueuedFrames = DEFAULT_MAX_QUEUED_FRAMES;
    private long maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
    private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
    private int maxInboundFrameBytes = DEFAULT_MAX_INBOUND_FRAME_BYTES;
    private int socketSendBufferBytes = DEFAULT_SOCKET_SEND_BUFFER_BYTES;
    private Duration minIdleTimeout = DEFAULT_MIN_IDLE_TIMEOUT;
    private int maxHttpThreads = DEFAULT_MAX_HTTP_THREADS;
    private List<String> allowedOriginHosts = DEFAULT_ORIGIN_HOSTS;
    private boolean allowMissingOrigin = DEFAULT_ALLOW_MISSING_ORIGIN;
    private boolean startFromLatest = DEFAULT_START_FROM_LATEST;
    private Duration pollTimeout = DEFAULT_POLL_TIMEOUT;
    private Duration assignmentRefresh = DEFAULT_ASSIGNMENT_REFRESH;
    private Duration missingTopicRetry = DEFAULT_MISSING_TOPIC_RETRY;
    private Duration metadataTimeout = DEFAULT_METADATA_TIMEOUT;
    private Map<String, String> kafkaOverrides = Map.of();
    private int maxReplayEvents = DEFAULT_MAX_REPLAY_EVENTS;
    private Duration maxReplayAge = DEFAULT_MAX_REPLAY_AGE;
    private Duration replayReadBudget = DEFAULT_REPLAY_READ_BUDGET;
    private int maxQueuedReplays = DEFAULT_MAX_QUEUED_REPLAYS;
    private Path tlsKeyStore;
    private String tlsKeyStorePassword = "";
    private String token = "";
    private boolean insecureListen;
    private String hostId;
    private TopicNames topics = TopicNames.DEFAULT;

    private Builder() {}

    private Builder(GatewayConfig c) {
      listen = c.listen;
      bootstrapServers = c.bootstrapServers;
      replayLogs = c.replayLogs;
      heartbeatInterval = c.heartbeatInterval;
      maxQueuedFrames = c.maxQueuedFrames;
      maxQueuedBytes = c.maxQueuedBytes;
      maxPayloadBytes = c.maxPayloadBytes;
      maxInboundFrameBytes = c.maxInboundFrameBytes;
      socketSendBufferBytes = c.socketSendBufferBytes;
      minIdleTimeout = c.minIdleTimeout;
      maxHttpThreads = c.maxHttpThreads;
      allowedOriginHosts = c.allowedOriginHosts;
      allowMissingOrigin = c.allowMissingOrigin;
      startFromLatest = c.startFromLatest;
      pollTimeout = c.pollTimeout;
      assignmentRefresh = c.assignmentRefresh;
      missingTopicRetry = c.missingTopicRetry;
      metadataTimeout = c.metadataTimeout;
      kafkaOverrides = c.kafkaOverrides;
      maxReplayEvents = c.maxReplayEvents;
      maxReplayAge = c.maxReplayAge;
      replayReadBudget = c.replayReadBudget;
      maxQueuedReplays = c.maxQueuedReplays;
      tlsKeyStore = c.tlsKeyStore;
      tlsKeyStorePassword = c.tlsKeyStorePassword;
      token = c.token;
      insecureListen = c.insecureListen;
      hostId = c.hostId;
      topics = c.topics;
    }

    public Builder listen(InetSocketAddress v) {
      listen = v;
      return this;
    }

    /** {@code HOST:PORT}, {@code [v6]:PORT} or {@code :PORT}. */
    public Builder listen(String hostPort) {
      listen = HostPort.parse(hostPort);
      return this;
    }

    public Builder bootstrapServers(String v) {
      bootstrapServers = v;
      return this;
    }

    public Builder replayLogs(int v) {
      replayLogs = v;
      return this;
    }

    public Builder heartbeatInterval(Duration v) {
      heartbeatInterval = v;
      return this;
    }

    public Builder maxQueuedFrames(int v) {
      maxQueuedFrames = v;
      return this;
    }

    public Builder maxQueuedBytes(long v) {
      maxQueuedBytes = v;
      return this;
    }

    public Builder maxPayloadBytes(int v) {
      maxPayloadBytes = v;
      return this;
    }

    public Builder maxInboundFrameBytes(int v) {
      maxInboundFrameBytes = v;
      return this;
    }

    public Builder socketSendBufferBytes(int v) {
      socketSendBufferBytes = v;
      return this;
    }

    public Builder minIdleTimeout(Duration v) {
      minIdleTimeout = v;
      return this;
    }

    public Builder maxHttpThreads(int v) {
      maxHttpThreads = v;
      return this;
    }

    public Builder allowedOriginHosts(List<String> v) {
      allowedOriginHosts = v;
      return this;
    }

    public Builder allowMissingOrigin(boolean v) {
      allowMissingOrigin = v;
      return this;
    }

    public Builder startFromLatest(boolean v) {
      startFromLatest = v;
      return this;
    }

    public Builder pollTimeout(Duration v) {
      pollTimeout = v;
      return this;
    }

    public Builder assignmentRefresh(Duration v) {
      assignmentRefresh = v;
      return this;
    }

    public Builder missingTopicRetry(Duration v) {
      missingTopicRetry = v;
      return this;
    }

    public Builder metadataTimeout(Duration v) {
      metadataTimeout = v;
      return this;
    }

    public Builder kafkaOverrides(Map<String, String> v) {
      kafkaOverrides = v;
      return this;
    }

    public Builder maxReplayEvents(int v) {
      maxReplayEvents = v;
      return this;
    }

    public Builder maxReplayAge(Duration v) {
      maxReplayAge = v;
      return this;
    }

    public Builder replayReadBudget(Duration v) {
      replayReadBudget = v;
      return this;
    }

    public Builder maxQueuedReplays(int v) {
      maxQueuedReplays = v;
      return this;
    }

    /** Serve TLS only, with this key store and password; null path for plain. */
    public Builder tls(Path keyStore, String password) {
      tlsKeyStore = keyStore;
      tlsKeyStorePassword = password;
      return this;
    }

    public Builder token(String v) {
      token = v;
      return this;
    }

    public Builder insecureListen(boolean v) {
      insecureListen = v;
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

    public GatewayConfig build() {
      return new GatewayConfig(
          listen,
          bootstrapServers,
          replayLogs,
          heartbeatInterval,
          maxQueuedFrames,
          maxQueuedBytes,
          maxPayloadBytes,
          maxInboundFrameBytes,
          socketSendBufferBytes,
          minIdleTimeout,
          maxHttpThreads,
          allowedOriginHosts,
          allowMissingOrigin,
          startFromLatest,
          pollTimeout,
          assignmentRefresh,
          missingTopicRetry,
          metadataTimeout,
          kafkaOverrides,
          maxReplayEvents,
          maxReplayAge,
          replayReadBudget,
          maxQueuedReplays,
          tlsKeyStore,
          tlsKeyStorePassword,
          token,
          insecureListen,
          hostId,
          topics);
    }
  }
}
