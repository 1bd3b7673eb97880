package io.ecapture.kafka.common;

import io.ecapture.kafka.proto.Topic;
import io.ecapture.kafka.proto.Topics;
import java.util.List;
import java.util.Objects;

/**
 * The names of the pipeline's topics on one cluster, in one place for every component. By default
 * those of {@link Topics} ({@code ecapture.raw}, ...), the public contract; {@link #withPrefix}
 * puts the same names under a prefix ({@code --topic-prefix team-a.} gives {@code
 * team-a.ecapture.raw}), so several pipelines can share a cluster and ACLs can follow the prefix.
 * The serdes stay those of {@link Topics}: only names change.
 */
public record TopicNames(String raw, String parsed, String logs, String dlq, String keylog,
    String packets) {
  /** The contract's names. */
  public static final TopicNames DEFAULT = withPrefix("");

  public TopicNames {
    for (String name : List.of(raw, parsed, logs, dlq, keylog, packets)) {
      if (!Objects.requireNonNull(name, "topic name").matches("[A-Za-z0-9._-]{1,249}")) {
        throw new IllegalArgumentException("not a Kafka topic name: '" + name + "'");
      }
    }
  }

  /** The contract's names, each preceded by {@code prefix} (empty: the names themselves). */
  public static TopicNames withPrefix(String prefix) {
    String p = prefix == null ? "" : prefix.strip();
    return new TopicNames(p + Topics.RAW.name(), p + Topics.PARSED.name(), p + Topics.LOGS.name(),
        p + Topics.DLQ.name(), p + Topics.KEYLOG.name(), p + Topics.PACKETS.name());
  }

  /** The name {@code topic} (one of {@link Topics#ALL}) has here. */
  public String nameOf(Topic<?, ?> topic) {
    if (topic == Topics.RAW) {
      return raw;
    } else if (topic == Topics.PARSED) {
      return parsed;
    } else if (topic == Topics.LOGS) {
      return logs;
    } else if (topic == Topics.DLQ) {
      return dlq;
    } else if (topic == Topics.KEYLOG) {
      return keylog;
    } else if (topic == Topics.PACKETS) {
      return packets;
    }
    throw new IllegalArgumentException("not a pipeline topic: " + topic.name());
  }

  /** Every name, in the order of {@link Topics#ALL}. */
  public List<String> all() {
    return Topics.ALL.stream().map(this::nameOf).toList();
  }
}
