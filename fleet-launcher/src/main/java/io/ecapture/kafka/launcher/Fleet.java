package io.ecapture.kafka.launcher;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.sink.SpoolConfig;
import io.ecapture.kafka.embedded.BrokerProcess;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.gateway.Gateway;
import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.gateway.GatewayStats;
import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.StreamsProcessor;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every component on one host: a Kafka broker (or an external cluster), the topics, the streams
 * processor, the eCaptureQ gateway and the collector. Started in dependency order, closed in
 * reverse: the collector first (probes detached, producer flushed), the broker last.
 */
public final class Fleet implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Fleet.class);

  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final FleetConfig config;
  private String bootstrapServers;
  private StreamsProcessor.Handle processor;
  private Gateway gateway;
  private Collector collector;
  private String captureError;

  private Fleet(FleetConfig config) {
    this.config = config;
  }

  /**
   * Starts everything. When {@link FleetConfig#capture()} is on and eBPF cannot load, the
   * collector's error is kept ({@link #captureError()}) and the rest keeps running, so the
   * operator still gets a working pipeline and a clear reason.
   */
  public static Fleet start(FleetConfig config) throws Exception {
    Fleet fleet = new Fleet(config);
    try {
      fleet.startAll();
      return fleet;
    } catch (Exception | Error e) {
      fleet.close();
      throw e;
    }
  }

  private void startAll() throws Exception {
    bootstrapServers = startBroker();
    TopicSetup.ensureTopics(bootstrapServers, config.partitions());
    ProcessorConfig processorConfig = ProcessorConfig.builder()
        .bootstrapServers(bootstrapServers)
        .stateDir(config.dataDir().resolve("streams"))
        .idleFlush(config.idleFlush())
        .processingGuarantee(config.processingGuarantee())
        .streamsOverrides(config.processorStreamsOverrides())
        .statusPort(ProcessorConfig.STATUS_PORT_OFF)
        .build();
    processor = remember(StreamsProcessor.start(processorConfig));
    gateway =
        remember(
            Gateway.start(
                GatewayConfig.builder()
                    .bootstrapServers(bootstrapServers)
                    .listen(config.gatewayListen())
                    .build()));
    if (config.capture()) {
      try {
        collector = remember(Collector.start(collectorConfig()));
      } catch (RuntimeException e) {
        captureError = e.getMessage();
        LOG.error("capture is OFF: the collector could not start: {}", e.getMessage());
      }
    }
  }

  private String startBroker() throws Exception {
    if (config.broker() == FleetConfig.BrokerMode.EXTERNAL) {
      return config.externalBootstrap();
    }
    // a fixed client port takes the next one for the controller (9092/9093); a free one, any
    boolean anyPort = config.kafkaPort() == 0;
    int port = anyPort ? EmbeddedKafka.freePort() : config.kafkaPort();
    int controllerPort = anyPort ? EmbeddedKafka.freePort() : port + 1;
    Path brokerDir = config.dataDir().resolve("broker");
    if (config.broker() == FleetConfig.BrokerMode.IN_PROCESS) {
      return remember(EmbeddedKafka.start(
              new EmbeddedKafka.Settings(brokerDir, "127.0.0.1", port, controllerPort, Map.of())))
          .bootstrapServers();
    }
    return remember(BrokerProcess.start(brokerDir, "127.0.0.1", port, controllerPort))
        .bootstrapServers();
  }

  private CollectorConfig collectorConfig() {
    // the spool belongs to this fleet's data: a leftover of another run never replays into it
    CollectorConfig.Builder c =
        CollectorConfig.builder()
            .bootstrapServers(bootstrapServers)
            .hostId(config.hostId())
            .statusPort(config.collectorStatusPort())
            .drainInterval(config.collectorDrainInterval())
            .spool(SpoolConfig.builder()
                .directory(spoolDirectory(config, config.hostId())).build());
    return (config.libsslPaths().isEmpty() ? c : c.libsslPaths(config.libsslPaths())).build();
  }

  /** Where a collector of this fleet with the given host id spools while Kafka is away. */
  public static Path spoolDirectory(FleetConfig config, String hostId) {
    return config.dataDir().resolve("spool").resolve(hostId);
  }

  private <T extends AutoCloseable> T remember(T component) {
    started.push(component);
    return component;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public int gatewayPort() {
    return gateway.port();
  }

  /** Why capture is off, or null when the collector runs (or was not asked for). */
  public String captureError() {
    return captureError;
  }

  public boolean capturing() {
    return collector != null;
  }

  public Collector collector() {
    return collector;
  }

  public Gateway gateway() {
    return gateway;
  }

  /** One line for an operator: what flows through each stage. */
  public String statusLine() {
    StringBuilder line = new StringBuilder();
    if (collector != null) {
      line.append("collector[").append(collector.stats().summary()).append("] ");
    } else {
      line.append("collector[off] ");
    }
    ProcessorMetrics m = processor.metrics();
    line.append("processor[")
        .append(processor.state())
        .append(" in=").append(m.recordsIn())
        .append(" out=").append(m.messagesOut())
        .append(" dlq=").append(m.deadLettered())
        .append(" gaps=").append(m.gaps())
        .append("] ");
    GatewayStats g = gateway.stats();
    line.append("gateway[clients=").append(g.clients().size())
        .append(" sent=").append(g.framesSent())
        .append(" dropped=").append(g.framesDropped())
        .append(" lag=").append(g.consumerLag())
        .append(']');
    return line.toString();
  }

  @Override
  public void close() {
    while (!started.isEmpty()) {
      AutoCloseable component = started.pop();
      try {
        component.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed: {}", component.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
