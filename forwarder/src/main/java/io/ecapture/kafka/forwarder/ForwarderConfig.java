package io.ecapture.kafka.forwarder;

import io.ecapture.kafka.common.TopicNames;
import io.ecapture.kafka.common.KafkaSecrets;
import io.ecapture.kafka.forwarder.format.Format;
import io.ecapture.kafka.forwarder.sink.HttpPushSink;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One forwarder, immutable: what it reads, where it writes, how. Start from {@link #builder()};
 * every limit has its documented default in a {@code DEFAULT_*} constant, which the command's
 * defaults are. {@link #toString()} masks the HTTP headers' values and secret Kafka overrides.
 *
 * @param name names the forwarder in logs, threads and status ({@code forward} for the command,
 *     the {@code event_forward} name inside the gateway)
 * @param topics names of the topics read ({@code --topic-prefix}); default {@link TopicNames#DEFAULT}
 * @param bootstrapServers Kafka
 * @param kafkaOverrides consumer properties applied last (security settings...)
 * @param groupId the consumer group; null: {@code ecapture-forwarder-} and a digest of the targets
 *     and format, so the same command line resumes where it stopped
 * @param events where {@code ecapture.parsed} goes ({@code --events}, {@code --eventaddr}); null:
 *     not read
 * @param logs where {@code ecapture.logs} goes ({@code --logs}, {@code --logaddr}); null: not read
 * @param format text, json, protobuf or http_proxy; default text
 * @param filter which events go; default all
 * @param from where a group without committed offsets starts: {@code latest} (default), {@code
 *     earliest} or an ISO-8601 instant ({@code 2026-12-06T07:00:00Z})
 * @param hex text format: payloads as hex dumps
 * @param truncateBytes payload bytes written at most (text: the payload; json: each byte field);
 *     0 (default) = all
 * @param rotateBytes file targets rotate before exceeding this size; 0 = never; default {@link
 *     #DEFAULT_ROTATE_BYTES}
 * @param rotateKeep rotated files kept; default {@value #DEFAULT_ROTATE_KEEP}
 * @param rotateInterval file targets also rotate after this long; zero (default) = never
 * @param bufferBytes TCP, WebSocket and proxy targets: bytes waiting while the peer is away,
 *     beyond which records are dropped and counted (overflow); default {@link
 *     #DEFAULT_BUFFER_BYTES}
 * @param resendWindow TCP and WebSocket: records sent this long before a broken connection was
 *     noticed are sent again; default {@link #DEFAULT_RESEND_WINDOW}
 * @param reconnectBackoff first wait before reconnecting (doubles); default {@link
 *     #DEFAULT_RECONNECT_BACKOFF}
 * @param reconnectMaxBackoff longest wait; default {@link #DEFAULT_RECONNECT_MAX_BACKOFF}
 * @param connectTimeout connect and request timeout of network targets; default {@link
 *     #DEFAULT_CONNECT_TIMEOUT}
 * @param batchSize HTTP push: records per POST at most; default {@value #DEFAULT_BATCH_SIZE}
 * @param batchTimeout HTTP push: a batch is sent once its oldest record waited this long; default
 *     {@link #DEFAULT_BATCH_TIMEOUT}
 * @param headers HTTP push and WebSocket: extra request headers (e.g. an API key); masked in
 *     {@code toString} and status
 * @param httpRetries HTTP push: retries of a failed batch; default {@value #DEFAULT_HTTP_RETRIES}
 *     (the proxy target: tries per request = this + 1)
 * @param httpRetryBackoff HTTP push: first wait between retries (doubles); default {@link
 *     #DEFAULT_HTTP_RETRY_BACKOFF}
 * @param maxPendingBatches HTTP push: sealed batches waiting at most; default {@value
 *     #DEFAULT_MAX_PENDING_BATCHES}
 * @param commitInterval how often offsets of delivered records are committed; default {@link
 *     #DEFAULT_COMMIT_INTERVAL}
 * @param shutdownTimeout how long a clean stop waits for the targets to take what was read;
 *     default {@link #DEFAULT_SHUTDOWN_TIMEOUT}
 * @param statusPort the {@code /status} and {@code /metrics} port on 127.0.0.1; 0 = any free
 *     port, -1 = none; default {@value #DEFAULT_STATUS_PORT}
 */
public record ForwarderConfig(
    String name,
    String bootstrapServers,
    Map<String, String> kafkaOverrides,
    String groupId,
    Target events,
    Target logs,
    Format format,
    EventFilter filter,
    String from,
    boolean hex,
    int truncateBytes,
    long rotateBytes,
    int rotateKeep,
    Duration rotateInterval,
    long bufferBytes,
    Duration resendWindow,
    Duration reconnectBackoff,
    Duration reconnectMaxBackoff,
    Duration connectTimeout,
    int batchSize,
    Duration batchTimeout,
    Map<String, String> headers,
    int httpRetries,
    Duration httpRetryBackoff,
    int maxPendingBatches,
    Duration commitInterval,
    Duration shutdownTimeout,
    int statusPort,
    TopicNames topics) {

  public static final String DEFAULT_NAME = "forward";
  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
  public static final String DEFAULT_FROM = "latest";
  public static final long DEFAULT_ROTATE_BYTES = 100L << 20;
  public static final int DEFAULT_ROTATE_KEEP = 5;
  public static final long DEFAULT_BUFFER_BYTES = 16L << 20;
  public static final Duration DEFAULT_RESEND_WINDOW = Duration.ofSeconds(1);
  public static final Duration DEFAULT_RECONNECT_BACKOFF = Duration.ofMillis(200);
  public static final Duration DEFAULT_RECONNECT_MAX_BACKOFF = Duration.ofSeconds(30);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** eCapture's event forwarding default. */
  public static final int DEFAULT_BATCH_SIZE = 100;
  /** eCapture's event forwarding default. */
  public static final Duration DEFAULT_BATCH_TIMEOUT = Duration.ofSeconds(1);
  public static final int DEFAULT_HTTP_RETRIES = 3;
  public static final Duration DEFAULT_HTTP_RETRY_BACKOFF = Duration.ofMillis(500);
  public static final int DEFAULT_MAX_PENDING_BATCHES = 64;
  public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofSeconds(1);
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
  public static final int DEFAULT_STATUS_PORT = 28260;
  public static final int STATUS_PORT_OFF = -1;

  public ForwarderConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topics, "topics");
    kafkaOverrides = Map.copyOf(kafkaOverrides);
    headers = Map.copyOf(headers);
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(filter, "filter");
    if (events == null && logs == null) {
      throw new IllegalArgumentException("nothing to forward: give --events (--eventaddr) and/or --logs (--logaddr)");
    }
    if (format == Format.HTTP_PROXY) {
      if (events == null || events.kind() != Target.Kind.HTTP || !events.uri().getScheme().equalsIgnoreCase("http")) {
        throw new IllegalArgumentException("--format http_proxy needs --events http://PROXY_HOST:PORT (the proxy)");
      }
      if (logs != null) {
        throw new IllegalArgumentException("--format http_proxy re-sends HTTP requests: it has no use for --logs");
      }
    } else {
      for (Target t : new Target[] {events, logs}) {
        if (t != null && t.kind() == Target.Kind.HTTP && format == Format.TEXT) {
          throw new IllegalArgumentException("HTTP push (" + t.display() + ") sends json or protobuf: add --format json");
        }
      }
    }
    startInstant(from);
    if (truncateBytes < 0 || rotateBytes < 0 || bufferBytes < 1 || batchSize < 1 || httpRetries < 0
        || maxPendingBatches < 1 || rotateKeep < 1) {
      throw new IllegalArgumentException("limits out of range: truncate and rotate size >= 0, buffer, batch size, "
          + "pending batches and files kept >= 1, retries >= 0");
    }
    if (batchTimeout.isNegative() || batchTimeout.isZero() || commitInterval.isNegative() || commitInterval.isZero()
        || rotateInterval.isNegative()) {
      throw new IllegalArgumentException("batch timeout and commit interval must be > 0, rotate interval >= 0");
    }
    if (statusPort < -1 || statusPort > 65535) {
      throw new IllegalArgumentException("status port must be -1..65535");
    }
  }

  /**
   * The instant {@code from} names, or null for {@code latest}/{@code earliest}.
   *
   * @throws IllegalArgumentException when it is none of the three
   */
  public static Instant startInstant(String from) {
    String f = from.strip().toLowerCase(Locale.ROOT);
    if (f.equals("latest") || f.equals("earliest")) {
      return null;
    }
    try {
      return Instant.parse(from.strip());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("--from " + from + ": latest, earliest or an ISO-8601 instant such as "
          + "2026-12-06T07:00:00Z");
    }
  }

  /** The consumer group: {@link #groupId()} or one derived from the targets and format. */
  public String effectiveGroupId() {
    if (groupId != null && !groupId.isBlank()) {
      return groupId;
    }
    String key = (events == null ? "" : events.spec()) + "|" + (logs == null ? "" : logs.spec()) + "|" + format;
    return "ecapture-forwarder-" + Integer.toHexString(key.hashCode());
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  @Override
  public String toString() {
    return "ForwarderConfig[name=" + name + ", bootstrapServers=" + bootstrapServers + ", kafkaOverrides="
        + KafkaSecrets.masked(kafkaOverrides) + ", groupId=" + effectiveGroupId() + ", events=" + events + ", logs="
        + logs + ", format=" + format.spelling() + ", filter=" + filter + ", from=" + from + ", hex=" + hex
        + ", truncateBytes=" + truncateBytes + ", rotateBytes=" + rotateBytes + ", rotateKeep=" + rotateKeep
        + ", rotateInterval=" + rotateInterval + ", bufferBytes=" + bufferBytes + ", batchSize=" + batchSize
        + ", batchTimeout=" + batchTimeout + ", headers=" + HttpPushSink.maskedHeaders(headers) + ", httpRetries="
        + httpRetries + ", statusPort=" + statusPort + "]";
  }

  /** Builds a {@link ForwarderConfig}; every field starts at its documented default. */
  public static final class Builder {
    private String name = DEFAULT_NAME;
    private String bootstrapServers = DEFAULT_BOOTSTRAP;
    private Map<String, String> kafkaOverrides = Map.of();
    private TopicNames topics = TopicNames.DEFAULT;
    private String groupId;
    private Target events;
    private Target logs;
    private Format format = Format.TEXT;
    private EventFilter filter = EventFilter.ALL;
    private String from = DEFAULT_FROM;
    private boolean hex;
    private int truncateBytes;
    private long rotateBytes = DEFAULT_ROTATE_BYTES;
    private int rotateKeep = DEFAULT_ROTATE_KEEP;
    private Duration rotateInterval = Duration.ZERO;
    private long bufferBytes = DEFAULT_BUFFER_BYTES;
    private Duration resendWindow = DEFAULT_RESEND_WINDOW;
    private Duration reconnectBackoff = DEFAULT_RECONNECT_BACKOFF;
    private Duration reconnectMaxBackoff = DEFAULT_RECONNECT_MAX_BACKOFF;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private Duration batchTimeout = DEFAULT_BATCH_TIMEOUT;
    private Map<String, String> headers = Map.of();
    private int httpRetries = DEFAULT_HTTP_RETRIES;
    private Duration httpRetryBackoff = DEFAULT_HTTP_RETRY_BACKOFF;
    private int maxPendingBatches = DEFAULT_MAX_PENDING_BATCHES;
    private Duration commitInterval = DEFAULT_COMMIT_INTERVAL;
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    private int statusPort = DEFAULT_STATUS_PORT;

    private Builder() {}

    private Builder(ForwarderConfig c) {
      name = c.name;
      bootstrapServers = c.bootstrapServers;
      kafkaOverrides = c.kafkaOverrides;
      topics = c.topics;
      groupId = c.groupId;
      events = c.events;
      logs = c.logs;
      format = c.format;
      filter = c.filter;
      from = c.from;
      hex = c.hex;
      truncateBytes = c.truncateBytes;
      rotateBytes = c.rotateBytes;
      rotateKeep = c.rotateKeep;
      rotateInterval = c.rotateInterval;
      bufferBytes = c.bufferBytes;
      resendWindow = c.resendWindow;
      reconnectBackoff = c.reconnectBackoff;
      reconnectMaxBackoff = c.reconnectMaxBackoff;
      connectTimeout = c.connectTimeout;
      batchSize = c.batchSize;
      batchTimeout = c.batchTimeout;
      headers = c.headers;
      httpRetries = c.httpRetries;
      httpRetryBackoff = c.httpRetryBackoff;
      maxPendingBatches = c.maxPendingBatches;
      commitInterval = c.commitInterval;
      shutdownTimeout = c.shutdownTimeout;
      statusPort = c.statusPort;
    }

    public Builder name(String v) { name = v; return this; }
    public Builder bootstrapServers(String v) { bootstrapServers = v; return this; }
    public Builder kafkaOverrides(Map<String, String> v) { kafkaOverrides = new LinkedHashMap<>(v); return this; }
    public Builder groupId(String v) { groupId = v; return this; }
    public Builder events(String v) { events = v == null ? null : Target.parse(v); return this; }
    public Builder logs(String v) { logs = v == null ? null : Target.parse(v); return this; }
    public Builder format(Format v) { format = v; return this; }
    public Builder filter(EventFilter v) { filter = v; return this; }
    public Builder from(String v) { from = v; return this; }
    public Builder hex(boolean v) { hex = v; return this; }
    public Builder truncateBytes(int v) { truncateBytes = v; return this; }
    public Builder rotateBytes(long v) { rotateBytes = v; return this; }
    public Builder rotateKeep(int v) { rotateKeep = v; return this; }
    public Builder rotateInterval(Duration v) { rotateInterval = v; return this; }
    public Builder bufferBytes(long v) { bufferBytes = v; return this; }
    public Builder resendWindow(Duration v) { resendWindow = v; return this; }
    public Builder reconnectBackoff(Duration v) { reconnectBackoff = v; return this; }
    public Builder reconnectMaxBackoff(Duration v) { reconnectMaxBackoff = v; return this; }
    public Builder connectTimeout(Duration v) { connectTimeout = v; return this; }
    public Builder batchSize(int v) { batchSize = v; return this; }
    public Builder batchTimeout(Duration v) { batchTimeout = v; return this; }
    public Builder headers(Map<String, String> v) { headers = new LinkedHashMap<>(v); return this; }
    public Builder httpRetries(int v) { httpRetries = v; return this; }
    public Builder httpRetryBackoff(Duration v) { httpRetryBackoff = v; return this; }
    public Builder maxPendingBatches(int v) { maxPendingBatches = v; return this; }
    public Builder commitInterval(Duration v) { commitInterval = v; return this; }
    public Builder shutdownTimeout(Duration v) { shutdownTimeout = v; return this; }
    public Builder statusPort(int v) { statusPort = v; return this; }

    /** The topics' names ({@code --topic-prefix}). */
    public Builder topics(TopicNames v) { topics = v; return this; }

    public ForwarderConfig build() {
      return new ForwarderConfig(name, bootstrapServers, kafkaOverrides, groupId, events, logs, format, filter, from,
          hex, truncateBytes, rotateBytes, rotateKeep, rotateInterval, bufferBytes, resendWindow, reconnectBackoff,
          reconnectMaxBackoff, connectTimeout, batchSize, batchTimeout, headers, httpRetries, httpRetryBackoff,
          maxPendingBatches, commitInterval, shutdownTimeout, statusPort, topics);
    }
  }
}
