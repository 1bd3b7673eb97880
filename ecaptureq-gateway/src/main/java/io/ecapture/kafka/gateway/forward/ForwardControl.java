package io.ecapture.kafka.gateway.forward;

import com.fasterxml.jackson.databind.JsonNode;
import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.forwarder.EventFilter;
import io.ecapture.kafka.forwarder.Forwarder;
import io.ecapture.kafka.forwarder.ForwarderConfig;
import io.ecapture.kafka.forwarder.format.Format;
import io.ecapture.kafka.forwarder.sink.HttpPushSink;
import io.ecapture.kafka.forwarder.sink.Sink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's runtime control of event forwarders, as eCapture's {@code event_forward}
 * configuration: {@code POST /config} with
 *
 * <pre>{@code
 * {"event_forward": {"name": "siem", "enabled": true, "url": "https://siem.example/ingest",
 *   "format": "json", "modules": ["http1", "http2"], "batch_size": 100, "batch_timeout_ms": 1000,
 *   "headers": {"X-Api-Key": "..."}, "filter": {"host": ["web-1"], "pid": [42], "port": [443]},
 *   "from": "latest"}}
 * }</pre>
 *
 * starts the forwarder {@code name} (default {@code default}), replaces it when it runs already
 * (same consumer group {@code ecapture-gateway-forward-NAME}: it resumes where the old one
 * stopped), or stops it with {@code "enabled": false}. {@code event_forward} may also be an array
 * of such objects. {@code url} is a network target ({@code tcp://}, {@code ws(s)://}, {@code
 * http(s)://}): a file path is refused, so the token does not let a client write files where the
 * gateway may; {@code format} {@code json} (default), {@code text}, {@code protobuf} or
 * {@code http_proxy}; {@code modules} the protocols forwarded ({@code http1}, {@code http2},
 * {@code grpc}, {@code websocket}, {@code unknown}; empty = all); {@code filter} the gateway's
 * client filters ({@code host}, {@code pid}, {@code pname}, {@code type}, {@code port}; a value
 * or a list). Unknown keys are refused: a misspelt filter must never widen what leaves.
 *
 * <p>{@link #view()} ({@code GET /config}) lists the forwarders with their counters; header values
 * and URL credentials are masked. Thread-safe; changes are serialised.
 */
public final class ForwardControl implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ForwardControl.class);
  public static final String DEFAULT_NAME = "default";
  /** The keys an {@code event_forward} object may have. */
  public static final Set<String> KEYS = Set.of("name", "enabled", "url", "format", "modules", "batch_size",
      "batch_timeout_ms", "headers", "filter", "from");
  public static final Set<String> FILTER_KEYS = Set.of("host", "pid", "pname", "type", "port");

  private final String bootstrapServers;
  private final Map<String, String> kafkaOverrides;
  private final Map<String, Forwarder> running = new TreeMap<>();
  private final Function<ForwarderConfig, Forwarder> starter;

  public ForwardControl(String bootstrapServers, Map<String, String> kafkaOverrides) {
    this(bootstrapServers, kafkaOverrides, Forwarder::start);
  }

  ForwardControl(String bootstrapServers, Map<String, String> kafkaOverrides,
      Function<ForwarderConfig, Forwarder> starter) {
    this.bootstrapServers = bootstrapServers;
    this.kafkaOverrides = Map.copyOf(kafkaOverrides);
    this.starter = starter;
  }

  /** An answer: HTTP status and the JSON (or text) body. */
  public record Reply(int status, String body) {}

  /** Applies the {@code POST /config} body. */
  public synchronized Reply handle(String body) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      return new Reply(409, "this gateway has no Kafka feed: forwarders need --bootstrap\n");
    }
    List<ForwarderConfig> starts = new ArrayList<>();
    List<String> stops = new ArrayList<>();
    try {
      JsonNode root = Json.tree(body);
      if (root == null || !root.isObject() || !root.has("event_forward") || root.size() != 1) {
        throw new IllegalArgumentException("expected {\"event_forward\": {...}} (or an array of such objects)");
      }
      JsonNode forward = root.get("event_forward");
      List<JsonNode> items = new ArrayList<>();
      if (forward.isArray()) {
        forward.forEach(items::add);
      } else {
        items.add(forward);
      }
      for (JsonNode item : items) {
        String name = parse(item, starts);
        if (name != null) {
          stops.add(name);
        }
      }
    } catch (IllegalArgumentException e) {
      return new Reply(400, e.getMessage() + "\n");
    }
    for (String name : stops) {
      Forwarder old = running.remove(name);
      if (old != null) {
        old.close();
        log.info("event forwarder {} stopped by POST /config", name);
      }
    }
    for (ForwarderConfig config : starts) {
      String name = config.name().substring("gateway-".length());
      Forwarder old = running.remove(name);
      if (old != null) {
        old.close(); // delivers what it read and commits: the new one resumes after it
      }
      try {
        running.put(name, starter.apply(config));
        log.info("event forwarder {} started by POST /config: {}", name, config);
      } catch (RuntimeException e) {
        return new Reply(500, "event forwarder " + name + " not started: " + e.getMessage() + "\n");
      }
    }
    return new Reply(200, Json.write(view()) + "\n");
  }

  /**
   * Reads one {@code event_forward} object: a config to start (added to {@code starts}), or the
   * name to stop (returned).
   */
  private String parse(JsonNode item, List<ForwarderConfig> starts) {
    if (!item.isObject()) {
      throw new IllegalArgumentException("event_forward must be an object, got " + item);
    }
    for (Iterator<String> it = item.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("unknown key event_forward." + key + "; known: " + new TreeSet<>(KEYS));
      }
    }
    String name = text(item, "name", DEFAULT_NAME);
    if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("event_forward.name must be 1-64 letters, digits, '.', '_' or '-'");
    }
    JsonNode enabled = item.get("enabled");
    if (enabled != null && !enabled.isBoolean()) {
      throw new IllegalArgumentException("event_forward.enabled must be true or false");
    }
    if (enabled != null && !enabled.booleanValue()) {
      return name;
    }
    String url = text(item, "url", null);
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("event_forward.url is required to start a forwarder");
    }
    ForwarderConfig.Builder b = ForwarderConfig.builder()
        .name("gateway-" + name)
        .bootstrapServers(bootstrapServers)
        .kafkaOverrides(kafkaOverrides)
        .groupId("ecapture-gateway-forward-" + name)
        .statusPort(ForwarderConfig.STATUS_PORT_OFF)
        .format(Format.parse(text(item, "format", "json")))
        .from(text(item, "from", ForwarderConfig.DEFAULT_FROM))
        .events(url);
    if (item.has("batch_size")) {
      b.batchSize(positiveInt(item, "batch_size"));
    }
    if (item.has("batch_timeout_ms")) {
      b.batchTimeout(Duration.ofMillis(positiveInt(item, "batch_timeout_ms")));
    }
    Map<String, String> headers = new LinkedHashMap<>();
    JsonNode h = item.get("headers");
    if (h != null && !h.isNull()) {
      if (!h.isObject()) {
        throw new IllegalArgumentException("event_forward.headers must be an object of strings");
      }
      h.properties().forEach(e -> {
        if (!e.getValue().isTextual()) {
          throw new IllegalArgumentException("event_forward.headers." + e.getKey() + " must be a string");
        }
        headers.put(e.getKey(), e.getValue().textValue());
      });
    }
    b.headers(headers);
    List<String> modules = strings(item.get("modules"), "modules");
    JsonNode filter = item.get("filter");
    List<String> hosts = List.of();
    List<Long> pids = List.of();
    List<String> pnames = List.of();
    List<Integer> types = List.of();
    List<Integer> ports = List.of();
    if (filter != null && !filter.isNull()) {
      if (!filter.isObject()) {
        throw new IllegalArgumentException("event_forward.filter must be an object");
      }
      for (Iterator<String> it = filter.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!FILTER_KEYS.contains(key)) {
          throw new IllegalArgumentException("unknown key event_forward.filter." + key + "; known: "
              + new TreeSet<>(FILTER_KEYS));
        }
      }
      hosts = strings(filter.get("host"), "filter.host");
      pnames = strings(filter.get("pname"), "filter.pname");
      pids = numbers(filter.get("pid"), "filter.pid").stream().toList();
      types = numbers(filter.get("type"), "filter.type").stream().map(Long::intValue).toList();
      ports = numbers(filter.get("port"), "filter.port").stream().map(Long::intValue).toList();
    }
    b.filter(EventFilter.of(hosts, pids, pnames, types, ports, modules));
    ForwarderConfig config = b.build();
    if (config.events().kind() == io.ecapture.kafka.forwarder.Target.Kind.FILE) {
      // a token holder must not make the gateway write files where it may write
      throw new IllegalArgumentException("event_forward.url must be tcp://, ws://, wss://, http:// or https://: "
          + "files are written only by the forward command and up --eventaddr");
    }
    starts.add(config);
    return null;
  }

  private static String text(JsonNode item, String key, String fallback) {
    JsonNode v = item.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isTextual()) {
      throw new IllegalArgumentException("event_forward." + key + " must be a string");
    }
    return v.textValue();
  }

  private static int positiveInt(JsonNode item, String key) {
    JsonNode v = item.get(key);
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 1) {
      throw new IllegalArgumentException("event_forward." + key + " must be a positive integer");
    }
    return v.intValue();
  }

  private static List<String> strings(JsonNode v, String key) {
    List<String> out = new ArrayList<>();
    if (v == null || v.isNull()) {
      return out;
    }
    for (JsonNode e : v.isArray() ? v : List.of(v)) {
      if (!e.isTextual()) {
        throw new IllegalArgumentException("event_forward." + key + " must be strings");
      }
      out.add(e.textValue());
    }
    return out;
  }

  private static List<Long> numbers(JsonNode v, String key) {
    List<Long> out = new ArrayList<>();
    if (v == null || v.isNull()) {
      return out;
    }
    for (JsonNode e : v.isArray() ? v : List.of(v)) {
      if (!e.isIntegralNumber() || !e.canConvertToLong()) {
        throw new IllegalArgumentException("event_forward." + key + " must be integers");
      }
      out.add(e.longValue());
    }
    return out;
  }

  /** {@code GET /config}: the forwarders, their settings (secrets masked) and counters. */
  public synchronized Map<String, Object> view() {
    List<Map<String, Object>> list = new ArrayList<>();
    running.forEach((name, f) -> {
      ForwarderConfig c = f.config();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", name);
      m.put("enabled", true);
      m.put("running", f.running());
      m.put("url", c.events().display());
      m.put("format", c.format().spelling());
      m.put("modules", new TreeSet<>(c.filter().modules()));
      m.put("batch_size", c.batchSize());
      m.put("batch_timeout_ms", c.batchTimeout().toMillis());
      m.put("headers", HttpPushSink.maskedHeaders(c.headers()));
      Map<String, Object> filter = new LinkedHashMap<>();
      filter.put("host", new TreeSet<>(c.filter().hosts()));
      filter.put("pid", new TreeSet<>(c.filter().pids()));
      filter.put("pname", new TreeSet<>(c.filter().pnames()));
      filter.put("type", new TreeSet<>(c.filter().types()));
      filter.put("port", new TreeSet<>(c.filter().ports()));
      m.put("filter", filter);
      m.put("group", c.effectiveGroupId());
      Sink sink = f.eventsSink();
      m.put("counters", sink.counters().snapshot());
      m.put("malformed", f.malformedRecords());
      list.add(m);
    });
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("event_forward", list);
    return view;
  }

  @Override
  public synchronized void close() {
    running.values().forEach(Forwarder::close);
    running.clear();
  }
}
