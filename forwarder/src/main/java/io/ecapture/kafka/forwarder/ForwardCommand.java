package io.ecapture.kafka.forwarder;

import io.ecapture.kafka.common.KafkaClientOptions;
import io.ecapture.kafka.common.ByteSize;
import io.ecapture.kafka.common.RunUntilSignal;
import io.ecapture.kafka.forwarder.format.Format;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ecapture-kafka forward}: events and/or process logs of the whole fleet to a file, a TCP
 * log pipeline, a WebSocket, an HTTP endpoint or an HTTP proxy, until Ctrl-C / SIGTERM (then the
 * targets get what was read and the offsets are committed). Exit 0 after a clean stop, 2 for a
 * bad option, 1 when it cannot start.
 */
@Command(
    name = "forward",
    mixinStandardHelpOptions = true,
    description = {
      "Forward captured events (ecapture.parsed) and process logs (ecapture.logs) of every host to a file,",
      "tcp://HOST:PORT, ws(s)://URL or http(s)://URL, as text, json (NDJSON), protobuf, or http_proxy (re-send",
      "each HTTP request through a proxy such as Burp). Its own consumer group: a restart resumes, delivery is",
      "at least once. eCapture's spellings work: --eventaddr, --logaddr, --hex, --tsize, --eventroratesize,",
      "--eventroratetime."
    })
public final class ForwardCommand implements Callable<Integer> {
  @Option(names = "--bootstrap", description = "Kafka bootstrap servers (default: $ECAPTURE_KAFKA_BOOTSTRAP, else ${DEFAULT-VALUE}).")
  String bootstrap = KafkaClientOptions.defaultBootstrap(ForwarderConfig.DEFAULT_BOOTSTRAP);

  @Option(names = {"--events", "--eventaddr"}, paramLabel = "TARGET",
      description = "Where events go: a file path, tcp://HOST:PORT, ws://URL, wss://URL, http(s)://URL.")
  String events;

  @Option(names = {"--logs", "--logaddr", "-l"}, paramLabel = "TARGET", description = "Where process logs go (same forms).")
  String logs;

  @Option(names = "--format", paramLabel = "FORMAT", description = "text, json, protobuf or http_proxy. Default: text")
  String format = "text";

  @Option(names = "--host", description = "Only events of this host id (repeatable; also filters logs).")
  List<String> hosts = new ArrayList<>();

  @Option(names = {"--pid", "-p"}, description = "Only events of this pid (repeatable).")
  List<Long> pids = new ArrayList<>();

  @Option(names = "--pname", description = "Only events of this process name (repeatable).")
  List<String> pnames = new ArrayList<>();

  @Option(names = "--type", description = "Only events of this eCaptureQ type 0..5 (repeatable).")
  List<Integer> types = new ArrayList<>();

  @Option(names = "--port", description = "Only events with this port on either side (repeatable).")
  List<Integer> ports = new ArrayList<>();

  @Option(names = "--module", description = "Only events of this protocol: http1, http2, grpc, websocket, unknown (repeatable).")
  List<String> modules = new ArrayList<>();

  @Option(names = "--from", description = "Where a new group starts: latest, earliest or an ISO time (2026-12-06T07:00:00Z). Default: ${DEFAULT-VALUE}")
  String from = ForwarderConfig.DEFAULT_FROM;

  @Option(names = "--group", description = "Consumer group. Default: ecapture-forwarder- and a digest of the targets and format")
  String group;

  @Option(names = "--hex", description = "Text format: payloads as hex dumps.")
  boolean hex;

  @Option(names = {"--truncate", "--tsize", "-t"}, paramLabel = "SIZE", converter = SizeConverter.class,
      description = "Payload bytes written at most (0 = all); the cut is said. Default: 0")
  ByteSize truncate = ByteSize.of(0);

  @Option(names = "--rotate-size", paramLabel = "SIZE", converter = SizeConverter.class,
      description = "File targets rotate before this size (0 = never). Default: ${DEFAULT-VALUE}")
  ByteSize rotateSize = ByteSize.of(ForwarderConfig.DEFAULT_ROTATE_BYTES);

  @Option(names = "--eventroratesize", paramLabel = "MB", description = "eCapture's spelling of --rotate-size, in MB.")
  Long rotateSizeMb;

  @Option(names = {"--rotate-interval", "--eventroratetime"}, paramLabel = "SECONDS",
      description = "File targets also rotate after this many seconds (0 = never). Default: 0")
  long rotateSeconds;

  @Option(names = "--rotate-keep", description = "Rotated files kept. Default: ${DEFAULT-VALUE}")
  int rotateKeep = ForwarderConfig.DEFAULT_ROTATE_KEEP;

  @Option(names = "--buffer", paramLabel = "SIZE", converter = SizeConverter.class,
      description = "TCP/WebSocket/proxy: bytes buffered while the peer is away; beyond, records are dropped and counted. Default: ${DEFAULT-VALUE}")
  ByteSize buffer = ByteSize.of(ForwarderConfig.DEFAULT_BUFFER_BYTES);

  @Option(names = "--batch-size", description = "HTTP push: records per POST. Default: ${DEFAULT-VALUE}")
  int batchSize = ForwarderConfig.DEFAULT_BATCH_SIZE;

  @Option(names = "--batch-timeout-ms", description = "HTTP push: send a batch once its oldest record waited this long. Default: ${DEFAULT-VALUE}")
  long batchTimeoutMs = ForwarderConfig.DEFAULT_BATCH_TIMEOUT.toMillis();

  @Option(names = "--header", paramLabel = "'NAME: VALUE'",
      description = "HTTP push / WebSocket: extra header (repeatable). Visible to local users in the process list: put secrets in --header-file.")
  List<String> headers = new ArrayList<>();

  @Option(names = "--header-file", paramLabel = "PATH", description = "File of 'NAME: VALUE' lines (e.g. an API key).")
  Path headerFile;

  @Option(names = "--retries", description = "HTTP push / proxy: retries of a failed delivery. Default: ${DEFAULT-VALUE}")
  int retries = ForwarderConfig.DEFAULT_HTTP_RETRIES;

  @Option(names = "--status-port", description = "/status and /metrics on 127.0.0.1 (0 = any, -1 = off). Default: ${DEFAULT-VALUE}")
  int statusPort = ForwarderConfig.DEFAULT_STATUS_PORT;

  /** --command-config FILE, --kafka-property KEY=VALUE, --topic-prefix: as every command. */
  @Mixin
  KafkaClientOptions kafka = new KafkaClientOptions();

  @Override
  public Integer call() {
    ForwarderConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException | IOException e) {
      System.err.println("ecapture-kafka forward: " + e.getMessage());
      return CommandLine.ExitCode.USAGE;
    }
    Forwarder forwarder;
    try {
      forwarder = Forwarder.start(config);
    } catch (RuntimeException e) {
      System.err.println("ecapture-kafka forward: cannot start: " + e.getMessage());
      return 1;
    }
    System.err.println("ecapture-kafka forward: " + describe(config)
        + (forwarder.statusPort() > 0 ? "; status http://127.0.0.1:" + forwarder.statusPort() + "/status" : ""));
    RunUntilSignal.await("forward", forwarder);
    return 0;
  }

  static String describe(ForwarderConfig c) {
    return (c.events() == null ? "" : "events -> " + c.events().display() + " ")
        + (c.logs() == null ? "" : "logs -> " + c.logs().display() + " ")
        + "(" + c.format().spelling() + ", group " + c.effectiveGroupId() + ")";
  }

  ForwarderConfig config() throws IOException {
    Map<String, String> h = new LinkedHashMap<>();
    for (String header : headers) {
      putHeader(h, header);
    }
    if (headerFile != null) {
      for (String line : Files.readAllLines(headerFile, StandardCharsets.UTF_8)) {
        if (!line.isBlank() && !line.startsWith("#")) {
          putHeader(h, line);
        }
      }
    }
    long rotateBytes = rotateSizeMb != null ? rotateSizeMb * (1L << 20) : rotateSize.bytes();
    return ForwarderConfig.builder()
        .bootstrapServers(bootstrap)
        .kafkaOverrides(kafka.properties(System.err))
        .topics(kafka.topics())
        .groupId(group)
        .events(events)
        .logs(logs)
        .format(Format.parse(format))
        .filter(EventFilter.of(hosts, pids, pnames, types, ports, modules))
        .from(from)
        .hex(hex)
        .truncateBytes(truncate.toIntExact("--truncate"))
        .rotateBytes(rotateBytes)
        .rotateKeep(rotateKeep)
        .rotateInterval(Duration.ofSeconds(rotateSeconds))
        .bufferBytes(buffer.bytes())
        .batchSize(batchSize)
        .batchTimeout(Duration.ofMillis(batchTimeoutMs))
        .headers(h)
        .httpRetries(retries)
        .statusPort(statusPort)
        .build();
  }

  static void putHeader(Map<String, String> into, String header) {
    int colon = header.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("header '" + header.replaceAll(":.*", ": ***") + "' is not NAME: VALUE");
    }
    into.put(header.substring(0, colon).strip(), header.substring(colon + 1).strip());
  }

  /** Sizes as {@code 512}, {@code 64k}, {@code 16MiB}. */
  public static final class SizeConverter implements CommandLine.ITypeConverter<ByteSize> {
    @Override
    public ByteSize convert(String value) {
      return ByteSize.parse(value);
    }
  }
}
