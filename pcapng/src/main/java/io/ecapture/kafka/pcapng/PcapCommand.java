package io.ecapture.kafka.pcapng;

import io.ecapture.kafka.common.KafkaClientOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pcap}: the fleet's captured frames ({@code ecapture.packets}) with their TLS keys
 * ({@code ecapture.keylog}) as one PCAPNG file Wireshark decrypts without a key file. Defaults
 * from {@link PcapExportConfig}.
 */
@Command(
    name = "pcap",
    mixinStandardHelpOptions = true,
    description = {
      "Write the packets the collectors' packets module captured (--packets-iface)",
      "to a PCAPNG file, with the TLS key-log lines of the sessions written in",
      "Decryption Secrets Blocks: Wireshark and tshark decrypt it as it is.",
      "One interface block per host and interface; kernel timestamps in ns."
    })
public final class PcapCommand implements Callable<Integer> {
  private static final Pattern AGO = Pattern.compile("(\\d+)([smhd])");

  @Option(names = "--out", required = true, paramLabel = "FILE.pcapng", description = "The file to write (replaced).")
  Path out;

  @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
      description = "Kafka bootstrap servers (default: $ECAPTURE_KAFKA_BOOTSTRAP, else ${DEFAULT-VALUE}).")
  String bootstrap = KafkaClientOptions.defaultBootstrap(PcapExportConfig.DEFAULT_BOOTSTRAP);

  /** --command-config FILE, --kafka-property KEY=VALUE, --topic-prefix: as every command. */
  @Mixin
  KafkaClientOptions kafka = new KafkaClientOptions();

  @Option(names = "--host", paramLabel = "H", description = "Only this host id (default: every host).")
  String host;

  @Option(names = "--port", paramLabel = "P", description = "Only packets with this TCP port at either end.")
  Integer port;

  @Option(names = "--since", paramLabel = "T", description = "Only packets captured at or after T: an ISO time "
      + "(2026-01-31T12:00:00Z, or with an offset) or an age (30s, 10m, 2h, 1d).")
  String since;

  @Option(names = "--until", paramLabel = "T", description = "Only packets captured at or before T (same forms).")
  String until;

  @Option(names = "--follow", description = "Keep writing as packets arrive, until Ctrl-C / SIGTERM.")
  boolean follow;

  @Option(names = "--key-wait-ms", paramLabel = "MS", description = "With --follow: how long a new TLS session's packets wait for its "
      + "keys so the secrets block comes first (default: ${DEFAULT-VALUE}).")
  long keyWaitMs = PcapExportConfig.DEFAULT_KEY_WAIT.toMillis();

  @Override
  public Integer call() {
    PcapExportConfig config;
    try {
      config = PcapExportConfig.builder(out).bootstrapServers(bootstrap).host(host).port(port)
          .since(time(since, "--since")).until(time(until, "--until")).follow(follow)
          .keyWait(Duration.ofMillis(keyWaitMs)).consumerOverrides(new HashMap<>(kafka.properties(System.err)))
          .topics(kafka.topics()).build();
    } catch (IllegalArgumentException | UncheckedIOException e) {
      System.err.println("pcap: " + e.getMessage());
      return CommandLine.ExitCode.USAGE;
    }
    PcapExport export;
    try {
      export = new PcapExport(config);
    } catch (IOException e) {
      System.err.println("pcap: cannot write " + out + ": " + e.getMessage());
      return 1;
    }
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      export.close();
      try {
        finished.await(30, TimeUnit.SECONDS); // the file is closed with what was held
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "pcap-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      PcapExport.Summary summary = export.run();
      System.err.println("pcap: wrote " + out + ": " + summary);
      return 0;
    } catch (IOException | RuntimeException e) {
      System.err.println("pcap: " + e.getMessage());
      return 1;
    } finally {
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it waited for us
      }
    }
  }

  /** An ISO instant, an ISO time with offset, or an age before now; null for null. */
  static Instant time(String text, String option) {
    if (text == null) {
      return null;
    }
    Matcher ago = AGO.matcher(text.strip());
    if (ago.matches()) {
      long n = Long.parseLong(ago.group(1));
      Duration d = switch (ago.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
      return Instant.now().minus(d);
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      try {
        return OffsetDateTime.parse(text).toInstant();
      } catch (DateTimeParseException e2) {
        throw new IllegalArgumentException(option + " " + text + ": not an ISO time (2026-01-31T12:00:00Z) or an age (10m)");
      }
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new PcapCommand()).execute(args));
  }
}
