package io.ecapture.kafka.launcher;

import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.processor.ProcessorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ecapture-kafka up}: the whole pipeline on this host with an embedded broker. */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = {
      "Run everything on this host: Kafka broker, topics, processor, gateway, collector.",
      "The broker is an embedded KRaft node in a child JVM unless --bootstrap names a cluster;",
      "Ctrl-C stops everything."
    })
public final class UpCommand implements Callable<Integer> {
  @Option(names = "--data-dir", description = "Broker data and streams state. Default: ${DEFAULT-VALUE}")
  Path dataDir = Path.of(".ecapture-kafka");

  @Option(names = "--kafka-port", description = "Embedded broker client port (controller: +1). Default: ${DEFAULT-VALUE}")
  int kafkaPort = 9092;

  @Option(names = "--bootstrap", description = "Use this external cluster instead of the embedded broker.")
  String bootstrap;

  @Option(names = "--partitions", description = "Partitions per topic. Default: ${DEFAULT-VALUE}")
  int partitions = 4;

  @Option(names = "--listen", description = "eCaptureQ WebSocket address. Default: ${DEFAULT-VALUE}")
  String listen = "127.0.0.1:28257";

  @Option(names = "--host-id", description = "Host id on every record. Default: the hostname")
  String hostId = CollectorConfig.defaultHostId();

  @Option(names = "--libssl", description = "TLS library to probe (repeatable). Default: the system libssl.so.3")
  List<Path> libssl = new ArrayList<>();

  @Option(names = "--no-capture", description = "Run everything but the collector (no eBPF).")
  boolean noCapture;

  @Option(names = "--collector-status-port", description = "Collector HTTP status port (-1 = off). Default: ${DEFAULT-VALUE}")
  int collectorStatusPort = CollectorConfig.DEFAULT_STATUS_PORT;

  @Option(names = "--idle-flush-ms", description = "Processor idle flush per connection direction. Default: ${DEFAULT-VALUE}")
  long idleFlushMs = 1000;

  @Option(names = "--processing-guarantee", description = "exactly_once_v2 or at_least_once. Default: ${DEFAULT-VALUE}")
  String processingGuarantee = ProcessorConfig.DEFAULT_PROCESSING_GUARANTEE;

  @Option(names = "--status-interval-s", description = "Seconds between status lines (0 = none). Default: ${DEFAULT-VALUE}")
  int statusIntervalSeconds = 10;

  @Override
  public Integer call() throws Exception {
    FleetConfig config =
        FleetConfig.defaults(dataDir.toAbsolutePath())
            .withPartitions(partitions)
            .withGatewayListen(listen)
            .withCapture(!noCapture, hostId, libssl, collectorStatusPort)
            .withIdleFlush(Duration.ofMillis(idleFlushMs))
            .withProcessingGuarantee(processingGuarantee);
    config = bootstrap == null
        ? config.withEmbeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, kafkaPort)
        : config.withExternalBroker(bootstrap);
    System.err.println("ecapture-kafka: starting (data in " + config.dataDir() + ")");
    Fleet fleet = Fleet.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean stopping = new AtomicBoolean();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopping.set(true);
                  System.err.println("ecapture-kafka: stopping (collector, gateway, processor, broker)");
                  fleet.close();
                  stopped.countDown();
                },
                "up-shutdown"));
    printWhereToConnect(fleet, config);
    while (!stopped.await(Math.max(1, statusIntervalSeconds), java.util.concurrent.TimeUnit.SECONDS)) {
      if (statusIntervalSeconds > 0 && !stopping.get()) {
        System.err.println("status: " + fleet.statusLine());
      }
    }
    return 0;
  }

  private static void printWhereToConnect(Fleet fleet, FleetConfig config) {
    String host = fleet.gateway().config().listen().getHostString();
    System.out.println();
    System.out.println("ecapture-kafka is up");
    System.out.println("  Kafka bootstrap    " + fleet.bootstrapServers());
    System.out.println("  topics             ecapture.raw ecapture.parsed ecapture.logs ecapture.dlq ecapture.keylog");
    String hostPort = host + ":" + fleet.gatewayPort();
    System.out.println("  eCaptureQ          ws://" + hostPort + "/");
    System.out.println("  browser view       http://" + hostPort + "/ui/");
    System.out.println("  gateway status     http://" + hostPort + "/status  (Prometheus: /metrics)");
    if (fleet.capturing()) {
      System.out.println("  capture            ON, host id " + config.hostId()
          + (fleet.collector().statusPort() > 0
              ? ", status http://127.0.0.1:" + fleet.collector().statusPort() + "/status"
              : ""));
    } else if (fleet.captureError() != null) {
      System.out.println("  capture            OFF: " + fleet.captureError());
    } else {
      System.out.println("  capture            OFF (--no-capture)");
    }
    System.out.println("  stop               Ctrl-C");
    System.out.println();
  }
}
