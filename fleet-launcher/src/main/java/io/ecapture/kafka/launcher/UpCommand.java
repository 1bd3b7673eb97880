package io.ecapture.kafka.launcher;

import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.common.RunUntilSignal;
import io.ecapture.kafka.proto.Topic;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.processor.ProcessorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
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
  int kafkaPort = FleetConfig.DEFAULT_KAFKA_PORT;

  @Option(names = "--bootstrap", description = "Use this external cluster instead of the embedded broker.")
  String bootstrap;

  @Option(names = "--partitions", description = "Partitions per topic. Default: ${DEFAULT-VALUE}")
  int partitions = FleetConfig.DEFAULT_PARTITIONS;

  @Option(names = "--listen", description = "eCaptureQ WebSocket address. Default: ${DEFAULT-VALUE}")
  String listen = FleetConfig.DEFAULT_GATEWAY_LISTEN;

  @Option(names = "--host-id", description = "Host id on every record. Default: the hostname")
  String hostId = CollectorConfig.defaultHostId();

  @Option(names = "--libssl", description = "TLS library to probe (repeatable). Default: the system libssl.so.3")
  List<Path> libssl = new ArrayList<>();

  @Option(names = "--no-capture", description = "Run everything but the collector (no eBPF).")
  boolean noCapture;

  @Option(names = "--collector-status-port", description = "Collector HTTP status port (-1 = off). Default: ${DEFAULT-VALUE}")
  int collectorStatusPort = CollectorConfig.DEFAULT_STATUS_PORT;

  @Option(names = "--idle-flush-ms", description = "Processor idle flush per connection direction. Default: ${DEFAULT-VALUE}")
  long idleFlushMs = ProcessorConfig.DEFAULT_IDLE_FLUSH.toMillis();

  @Option(names = "--processing-guarantee", description = "exactly_once_v2 or at_least_once. Default: ${DEFAULT-VALUE}")
  String processingGuarantee = ProcessorConfig.DEFAULT_PROCESSING_GUARANTEE;

  @Option(names = "--status-interval-s", description = "Seconds between status lines (0 = none). Default: ${DEFAULT-VALUE}")
  int statusIntervalSeconds = 10;

  @Override
  public Integer call() throws Exception {
    FleetConfig.Builder builder = FleetConfig.builder(dataDir.toAbsolutePath())
        .partitions(partitions)
        .gatewayListen(listen)
        .capture(!noCapture)
        .hostId(hostId)
        .libsslPaths(libssl)
        .collectorStatusPort(collectorStatusPort)
        .idleFlush(Duration.ofMillis(idleFlushMs))
        .processingGuarantee(processingGuarantee);
    FleetConfig config = (bootstrap == null
        ? builder.embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, kafkaPort)
        : builder.externalBroker(bootstrap)).build();
    System.err.println("ecapture-kafka: starting (data in " + config.dataDir() + ")");
    Fleet fleet = Fleet.start(config);
    printWhereToConnect(fleet, config);
    RunUntilSignal.await("up", fleet, Duration.ofSeconds(Math.max(1, statusIntervalSeconds)),
        () -> {
          if (statusIntervalSeconds > 0) {
            System.err.println("status: " + fleet.statusLine());
          }
        },
        () -> System.err.println("ecapture-kafka: stopping (collector, gateway, processor, broker)"));
    return 0;
  }

  private static void printWhereToConnect(Fleet fleet, FleetConfig config) {
    String host = fleet.gateway().config().listen().getHostString();
    System.out.println();
    System.out.println("ecapture-kafka is up");
    System.out.println("  Kafka bootstrap    " + fleet.bootstrapServers());
    System.out.println("  topics             "
        + Topics.ALL.stream().map(Topic::name).collect(java.util.stream.Collectors.joining(" ")));
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
