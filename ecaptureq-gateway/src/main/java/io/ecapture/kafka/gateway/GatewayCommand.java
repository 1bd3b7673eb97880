package io.ecapture.kafka.gateway;

import io.ecapture.kafka.common.KafkaClientOptions;
import io.ecapture.kafka.common.KafkaPreflight;
import io.ecapture.kafka.common.RunUntilSignal;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code gateway}: runs an eCaptureQ-compatible WebSocket gateway until stopped (Ctrl-C, SIGTERM,
 * or the calling thread interrupted), then closes it gracefully. Exit code 0 after a clean stop, 2
 * when the address cannot be bound or an option is wrong. Every option's default is the {@link
 * GatewayConfig} constant of the same limit.
 */
@Command(
    name = "gateway",
    mixinStandardHelpOptions = true,
    description = "Serve eCaptureQ clients from the ecapture.parsed and ecapture.logs topics.")
public final class GatewayCommand implements Callable<Integer> {

  @Option(
      names = "--bootstrap",
      paramLabel = "HOST:PORT",
      description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}); $ECAPTURE_KAFKA_BOOTSTRAP sets the default.")
  String bootstrap = KafkaClientOptions.defaultBootstrap(GatewayConfig.DEFAULT_BOOTSTRAP);

  /** --command-config FILE, --kafka-property KEY=VALUE: the consumer's and the process log's settings. */
  @Mixin
  KafkaClientOptions kafka = new KafkaClientOptions();

  @Option(
      names = "--host-id",
      description = "Host id on the gateway's own lines in ecapture.logs (default: the hostname).")
  String hostId;

  @Option(
      names = "--listen",
      paramLabel = "HOST:PORT",
      description = "WebSocket address, port 0 for any free port (default: ${DEFAULT-VALUE}).")
  String listen = GatewayConfig.DEFAULT_HOST + ":" + GatewayConfig.DEFAULT_PORT;

  @Option(
      names = "--replay-logs",
      paramLabel = "N",
      description = "Most recent process-log lines sent to each new client (default: ${DEFAULT-VALUE}).")
  int replayLogs = GatewayConfig.DEFAULT_REPLAY_LOGS;

  @Option(
      names = "--heartbeat",
      paramLabel = "DURATION",
      description = "Heartbeat period, ISO-8601 or seconds (default: ${DEFAULT-VALUE}).")
  String heartbeat = String.valueOf(GatewayConfig.DEFAULT_HEARTBEAT.toSeconds());

  @Option(
      names = "--max-queued-frames",
      paramLabel = "N",
      description = "Frames a client may have waiting before more are dropped (default: ${DEFAULT-VALUE}).")
  int maxQueuedFrames = GatewayConfig.DEFAULT_MAX_QUEUED_FRAMES;

  @Option(
      names = "--max-queued-bytes",
      paramLabel = "BYTES",
      description = "Bytes a client may have waiting before more are dropped (default: ${DEFAULT-VALUE}).")
  long maxQueuedBytes = GatewayConfig.DEFAULT_MAX_QUEUED_BYTES;

  @Option(
      names = "--max-payload",
      paramLabel = "SIZE",
      converter = SizeConverter.class,
      description = "Longest event payload sent; longer ones are cut and end with a notice of their "
          + "size in total, at most 30MiB (Go clients read 32 MiB frames). Sizes: bytes, 512k, "
          + "16MiB (default: ${DEFAULT-VALUE}).")
  io.ecapture.kafka.common.ByteSize maxPayload =
      io.ecapture.kafka.common.ByteSize.of(GatewayConfig.DEFAULT_MAX_PAYLOAD_BYTES);

  @Option(
      names = "--from-beginning",
      description = "Show parsed messages retained in Kafka, not only new ones.")
  boolean fromBeginning;

  @Option(
      names = "--allow-origin",
      paramLabel = "HOST",
      split = ",",
      description = "Hosts an Origin header may name, * for any (default: ${DEFAULT-VALUE}).")
  java.util.List<String> allowedOrigins = GatewayConfig.DEFAULT_ORIGIN_HOSTS;

  @Option(
      names = "--tls-keystore",
      paramLabel = "PATH",
      description = "Serve TLS only (wss://, https://) with this PKCS#12 or JKS key store.")
  java.nio.file.Path tlsKeyStore;

  @Option(
      names = "--tls-keystore-password-file",
      paramLabel = "PATH",
      description = "File whose first line is the key store password (required with --tls-keystore).")
  java.nio.file.Path tlsPasswordFile;

  @Option(
      names = "--max-replay-events",
      paramLabel = "N",
      description = "Most past events one client may ask for with ?since= or ?last=, 0 disables (default: ${DEFAULT-VALUE}).")
  int maxReplayEvents = GatewayConfig.DEFAULT_MAX_REPLAY_EVENTS;

  @Option(
      names = "--token-file",
      paramLabel = "PATH",
      description = "Require the token in this file's first line (?token= or Authorization: Bearer).")
  java.nio.file.Path tokenFile;

  @Option(
      names = "--insecure-listen",
      description = "Allow --listen on a non-loopback address without --token-file or --tls-keystore "
          + "(anyone reaching the port reads the captured plaintext).")
  boolean insecureListen;

  /** The configuration these options describe. */
  GatewayConfig config() {
    return GatewayConfig.builder()
        .bootstrapServers(bootstrap)
        .listen(listen)
        .replayLogs(replayLogs)
        .heartbeatInterval(parseDuration(heartbeat))
        .maxQueuedFrames(maxQueuedFrames)
        .maxQueuedBytes(maxQueuedBytes)
        .maxPayloadBytes((int) Math.min(Integer.MAX_VALUE, maxPayload.bytes()))
        .startFromLatest(!fromBeginning)
        .allowedOriginHosts(allowedOrigins)
        .maxReplayEvents(maxReplayEvents)
        .tls(tlsKeyStore, tlsPassword())
        .token(readToken())
        .insecureListen(insecureListen)
        .kafkaOverrides(kafka.properties(System.err))
        .hostId(hostId)
        .topics(kafka.topics())
        .build();
  }

  @Override
  public Integer call() {
    GatewayConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException e) {
      System.err.println("gateway: " + e.getMessage());
      return CommandLine.ExitCode.USAGE;
    }
    if (config.kafkaEnabled()
        && !KafkaPreflight.atStart("gateway", config.bootstrapServers(), config.kafkaOverrides(), System.err)) {
      return 1;
    }
    Gateway gateway;
    try {
      gateway = Gateway.start(config);
    } catch (GatewayStartException e) {
      System.err.println("gateway: " + e.getMessage());
      return CommandLine.ExitCode.USAGE;
    }
    // closes the gateway (clients get 1001 going away) before returning, signal or interrupt
    RunUntilSignal.await("gateway", gateway);
    return CommandLine.ExitCode.OK;
  }

  private String tlsPassword() {
    if (tlsKeyStore == null) {
      if (tlsPasswordFile != null) {
        throw new IllegalArgumentException("--tls-keystore-password-file needs --tls-keystore");
      }
      return "";
    }
    if (tlsPasswordFile == null) {
      throw new IllegalArgumentException("--tls-keystore needs --tls-keystore-password-file");
    }
    try {
      return java.nio.file.Files.readAllLines(tlsPasswordFile).stream().findFirst().orElse("").strip();
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(
          "cannot read key store password file " + tlsPasswordFile + ": " + e.getMessage(), e);
    }
  }

  private String readToken() {
    if (tokenFile == null) {
      return "";
    }
    try {
      String token = java.nio.file.Files.readAllLines(tokenFile).stream().findFirst().orElse("").strip();
      if (token.isEmpty()) {
        throw new IllegalArgumentException("token file " + tokenFile + " is empty");
      }
      return token;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot read token file " + tokenFile + ": " + e.getMessage(), e);
    }
  }

  /** Picocli converter for size options ({@code 16MiB}, {@code 512k}, bytes). */
  static final class SizeConverter implements CommandLine.ITypeConverter<io.ecapture.kafka.common.ByteSize> {
    @Override
    public io.ecapture.kafka.common.ByteSize convert(String value) {
      return io.ecapture.kafka.common.ByteSize.parse(value);
    }
  }

  static Duration parseDuration(String text) {
    String s = text.strip();
    try {
      return s.chars().allMatch(Character::isDigit)
          ? Duration.ofSeconds(Long.parseLong(s))
          : Duration.parse(s.startsWith("P") || s.startsWith("p") ? s : "PT" + s);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("bad duration '" + text + "', use seconds or e.g. PT15S", e);
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new GatewayCommand()).execute(args));
  }
}
