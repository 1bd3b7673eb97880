package io.ecapture.kafka.pcapng;

import io.ecapture.kafka.common.TopicNames;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link PcapExport} writes, immutable.
 *
 * @param bootstrapServers Kafka bootstrap servers. Default {@value #DEFAULT_BOOTSTRAP}.
 * @param out the PCAPNG file (replaced; without {@code follow} it appears complete, written to a
 *     temporary file first)
 * @param host only packets and keys of this host id; empty: every host. Default empty.
 * @param port only packets with this TCP port at either end; empty: every port. Default empty.
 * @param since only packets captured at or after this time (their kernel timestamp on the wall
 *     clock); empty: from the oldest the topic keeps. Default empty.
 * @param until only packets captured at or before this time; empty: no bound. Default empty.
 * @param follow keep writing as packets arrive, until stopped. Default false.
 * @param keyWait with {@code follow}, how long the packets of a new TLS session are held back
 *     waiting for its keys (which the collector publishes after the handshake), so the secrets
 *     block precedes them and one reading pass decrypts; after it they are written anyway and
 *     keys arriving later are appended (Wireshark then decrypts after a reload). Default {@link
 *     #DEFAULT_KEY_WAIT}.
 * @param consumerOverrides Kafka consumer properties applied last (security settings). Default none.
 */
public record PcapExportConfig(
    String bootstrapServers, Path out, Optional<String> host, Optional<Integer> port, Optional<Instant> since,
    Optional<Instant> until, boolean follow, Duration keyWait, Map<String, Object> consumerOverrides,
    TopicNames topics) {

  public static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
  public static final Duration DEFAULT_KEY_WAIT = Duration.ofSeconds(5);
  /** Flows whose client random is remembered while following, at most. */
  public static final int MAX_TRACKED_FLOWS = 100_000;

  public PcapExportConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(port, "port");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(until, "until");
    Objects.requireNonNull(keyWait, "keyWait");
    consumerOverrides = Map.copyOf(consumerOverrides);
    if (port.isPresent() && (port.get() < 1 || port.get() > 65535)) {
      throw new IllegalArgumentException("port out of range: " + port.get());
    }
    if (since.isPresent() && until.isPresent() && until.get().isBefore(since.get())) {
      throw new IllegalArgumentException("--until " + until.get() + " is before --since " + since.get());
    }
    if (keyWait.isNegative()) {
      throw new IllegalArgumentException("keyWait must be >= 0");
    }
  }

  public static Builder builder(Path out) {
    return new Builder(out);
  }

  /** Consumer overrides masked: they may hold passwords. */
  @Override
  public String toString() {
    return "PcapExportConfig[bootstrapServers=" + bootstrapServers + ", out=" + out + ", host=" + host
        + ", port=" + port + ", since=" + since + ", until=" + until + ", follow=" + follow + ", keyWait=" + keyWait
        + ", consumerOverrides=" + consumerOverrides.keySet() + ", topics=" + topics + "]";
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private final Path out;
    private String bootstrapServers = DEFAULT_BOOTSTRAP;
    private String host;
    private Integer port;
    private Instant since;
    private Instant until;
    private boolean follow;
    private Duration keyWait = DEFAULT_KEY_WAIT;
    private Map<String, Object> consumerOverrides = Map.of();
    private TopicNames topics = TopicNames.DEFAULT;

    private Builder(Path out) {
      this.out = out;
    }

    public Builder bootstrapServers(String v) {
      bootstrapServers = v;
      return this;
    }

    /** Null: every host. */
    public Builder host(String v) {
      host = v;
      return this;
    }

    /** Null: every port. */
    public Builder port(Integer v) {
      port = v;
      return this;
    }

    public Builder since(Instant v) {
      since = v;
      return this;
    }

    public Builder until(Instant v) {
      until = v;
      return this;
    }

    public Builder follow(boolean v) {
      follow = v;
      return this;
    }

    public Builder keyWait(Duration v) {
      keyWait = v;
      return this;
    }

    public Builder consumerOverrides(Map<String, Object> v) {
      consumerOverrides = v;
      return this;
    }

    /** The topics' names ({@code --topic-prefix}). */
    public Builder topics(TopicNames v) {
      topics = v;
      return this;
    }

    public PcapExportConfig build() {
      return new PcapExportConfig(bootstrapServers, out, Optional.ofNullable(host), Optional.ofNullable(port),
          Optional.ofNullable(since), Optional.ofNullable(until), follow, keyWait, consumerOverrides, topics);
    }
  }
}
