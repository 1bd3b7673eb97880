package io.ecapture.kafka.launcher;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.identity.IdentityConfig;
import io.ecapture.kafka.collector.sink.SpoolConfig;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.gateway.Gateway;
import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.gateway.GatewayStats;
import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.StreamsProcessor;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every component on one host: a Kafka broker (or an external cluster), the topics, the streams
 * processor, the eCaptureQ gateway and the collector.
 *
 * <p>Start: the data directory is taken ({@link DataDirectory}: one fleet at a time, {@code
 * 0700}), then the broker (a supervised child JVM by default, {@link BrokerSupervisor}) and the
 * topics; then, at the same time, the collector (on its own thread) and the gateway, then the
 * processor, without waiting for it to be RUNNING (it starts once the gateway has fixed its start
 * positions, so nothing it produces is missed). The collector captures from then on while the
 * processor is still joining its group and restoring its state: the spool and {@code
 * ecapture.raw} hold what is captured meanwhile and the processor catches up.
 *
 * <p>A restart after a crash is quick: the processor is a static group member ({@code
 * group.instance.id} kept in the data directory), so it takes its partitions back at once
 * instead of waiting out the old member's session timeout, and its transactional id (Kafka
 * Streams keeps its process id in the state directory) fences the killed instance's open
 * transaction at once instead of after its timeout.
 *
 * <p>Close, in this order: the collector (probes detached, spool flushed, bounded), the
 * processor, the gateway, the broker, the data directory.
 */
public final class Fleet implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Fleet.class);
  /** How long the processor's start waits for the gateway's partitions (then starts anyway). */
  static final Duration GATEWAY_ASSIGNMENT_WAIT = Duration.ofSeconds(30);
  /** How long the coordinators' warm-up asks the broker before it gives up (then nothing changes). */
  static final Duration COORDINATOR_WARM_UP = Duration.ofSeconds(15);
  /**
   * How long the processor's start waits for that warm-up (then starts anyway: it would wait for
   * the same coordinators itself).
   */
  static final Duration COORDINATOR_WAIT = Duration.ofSeconds(5);

  private final FleetConfig config;
  private final Consumer<Fleet> onBrokerChange;
  private DataDirectory dataDirectory;
  private BrokerSupervisor supervisor;
  private AutoCloseable otherBroker;
  private String bootstrapServers;
  private volatile StreamsProcessor.Handle processor;
  private volatile Gateway gateway;
  private volatile Collector collector;
  private volatile io.ecapture.kafka.forwarder.Forwarder forwarder;
  private String captureError;
  private boolean closed;

  private Fleet(FleetConfig config, Consumer<Fleet> onBrokerChange) {
    this.config = config;
    this.onBrokerChange = onBrokerChange;
  }

  /**
   * Starts everything. When {@link FleetConfig#capture()} is on and eBPF cannot load, the
   * collector's error is kept ({@link #captureError()}) and the rest keeps running, so the
   * operator still gets a working pipeline and a clear reason.
   */
  public static Fleet start(FleetConfig config) throws Exception {
    return start(config, fleet -> {});
  }

  /**
   * Starts everything; {@code onBrokerChange} runs (on a supervisor thread) when the embedded
   * broker child dies and when it is back ({@code up} prints a status line then).
   *
   * @throws DataDirectory.InUseException another fleet runs on the data directory
   */
  public static Fleet start(FleetConfig config, Consumer<Fleet> onBrokerChange) throws Exception {
    return start(config, DataDirectory.open(config.dataDir()), onBrokerChange);
  }

  /** Starts everything in a data directory the caller opened; the fleet owns (closes) it. */
  static Fleet start(FleetConfig config, DataDirectory data, Consumer<Fleet> onBrokerChange)
      throws Exception {
    Fleet fleet = new Fleet(config, onBrokerChange);
    fleet.dataDirectory = data;
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
    CompletableFuture<Void> coordinators = warmUpCoordinators();
    TopicSetup.Result topics = TopicSetup.ensure(bootstrapServers, config.kafkaProperties(), config.topicLayout(),
        config.topics());
    if (!topics.created().isEmpty()) {
      LOG.info("created topics {} ({}; the cluster has {} brokers)", topics.created(), topics.layout(),
          topics.brokers());
    }
    // the collector's start (BPF load and attach, the slowest part) runs meanwhile on its own
    // thread: it needs only the broker and the topics
    CompletableFuture<Collector> collectorStart = !config.capture()
        ? CompletableFuture.completedFuture(null)
        : CompletableFuture.supplyAsync(() -> Collector.start(collectorConfig()),
            task -> Thread.ofPlatform().name("fleet-collector-start").start(task));
    try {
      startGatewayAndProcessor(coordinators);
    } finally {
      collector = awaitCollector(collectorStart); // joined even on failure, so close() stops it
    }
  }

  /**
   * A new embedded broker creates {@code __consumer_offsets} and {@code __transaction_state} on
   * the first FindCoordinator request, and a client asking meanwhile is told to retry with a
   * growing backoff: left to the processor, its group join and then its first transaction's
   * initialisation each paid that (seconds before the first event reached a client). Asking here,
   * while the topics, the gateway and the collector start, has both created and loaded before the
   * processor starts. An external cluster has them already; nothing is asked there.
   */
  private CompletableFuture<Void> warmUpCoordinators() {
    if (config.broker() == FleetConfig.BrokerMode.EXTERNAL || coordinatorTopicsExist()) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.runAsync(() -> {
      Map<String, Object> props = new LinkedHashMap<>(config.kafkaProperties());
      props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      props.put(AdminClientConfig.CLIENT_ID_CONFIG, "ecapture-fleet-warm-up");
      try (Admin admin = Admin.create(props)) {
        KafkaFuture<?> group = admin.describeConsumerGroups(List.of(ProcessorConfig.DEFAULT_APPLICATION_ID)).all();
        // no such transactional id: the answer is an error, but the coordinator is there then
        KafkaFuture<?> transactions = admin.describeTransactions(List.of("ecapture-fleet-warm-up")).all();
        for (KafkaFuture<?> f : List.of(group, transactions)) {
          try {
            f.get(COORDINATOR_WARM_UP.toMillis(), TimeUnit.MILLISECONDS);
          } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TransactionalIdNotFoundException)) {
              LOG.debug("coordinator warm-up: {}", e.getCause().toString());
            }
          }
        }
      } catch (Exception e) {
        LOG.debug("coordinator warm-up: {}", e.toString()); // the processor then waits as before
      }
    }, task -> Thread.ofPlatform().daemon().name("fleet-coordinator-warm-up").start(task));
  }

  /** Whether the embedded broker's data already holds both coordinators' topics (a restart). */
  private boolean coordinatorTopicsExist() {
    Path logs = config.dataDir().resolve("broker").resolve(EmbeddedKafka.LOG_DIR);
    return java.nio.file.Files.isDirectory(logs.resolve("__consumer_offsets-0"))
        && java.nio.file.Files.isDirectory(logs.resolve("__transaction_state-0"));
  }

  private void startGatewayAndProcessor(CompletableFuture<Void> coordinators) throws Exception {
    gateway =
        Gateway.start(
            GatewayConfig.builder()
                .bootstrapServers(bootstrapServers)
                .kafkaOverrides(config.kafkaProperties())
                .hostId(config.hostId())
                .topics(config.topics())
                .listen(config.gatewayListen())
                .insecureListen(config.gatewayInsecureListen())
                .maxPayloadBytes(config.gatewayMaxPayloadBytes())
                .build());
    // the gateway starts at the end of ecapture.parsed: the processor's first output must come
    // after that position is fixed
    if (!gateway.awaitKafkaAssignment(GATEWAY_ASSIGNMENT_WAIT)) {
      LOG.warn("the gateway has no partitions after {}; starting the processor anyway",
          GATEWAY_ASSIGNMENT_WAIT);
    }
    try {
      coordinators.get(COORDINATOR_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      LOG.debug("coordinator warm-up not done: {}", e.toString());
    }
    // returns at once: it joins its group and restores its state in the background
    Path stateDir = config.dataDir().resolve("streams");
    DataDirectory.privateDirectory(stateDir);
    processor = StreamsProcessor.start(processorConfig(stateDir));
    if (config.forwarder() != null) {
      // its own group: it resumes after what it delivered, across restarts of up
      forwarder = io.ecapture.kafka.forwarder.Forwarder.start(
          config.forwarder().toBuilder().bootstrapServers(bootstrapServers)
              .kafkaOverrides(config.kafkaProperties()).topics(config.topics()).build());
    }
    // Kafka Streams makes its state directories group-readable (0750): take that back
    DataDirectory.tightenDirectory(stateDir);
    DataDirectory.tightenDirectory(stateDir.resolve(ProcessorConfig.DEFAULT_APPLICATION_ID));
  }

  /** The started collector, or null with {@link #captureError} set when it could not start. */
  private Collector awaitCollector(CompletableFuture<Collector> start) {
    try {
      return start.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      captureError = e.getCause().getMessage();
      LOG.error("capture is OFF: the collector could not start: {}", captureError);
      return null;
    }
  }

  /**
   * The processor as {@code up} runs it: state in the data directory, no status port, RUNNING in
   * the background (start timeout zero) and a static group member whose id the data directory
   * keeps. The user's overrides come last.
   */
  private ProcessorConfig processorConfig(Path stateDir) throws IOException {
    Map<String, String> overrides = new LinkedHashMap<>(config.kafkaProperties());
    overrides.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
        dataDirectory.processorInstanceId(config.hostId()));
    overrides.putAll(config.processorStreamsOverrides());
    return ProcessorConfig.builder()
        .bootstrapServers(bootstrapServers)
        .stateDir(stateDir)
        .idleFlush(config.idleFlush())
        .processingGuarantee(config.processingGuarantee())
        .limits(config.processorLimits())
        .commitPacing(config.processorCommitPacing())
        .redaction(config.redaction())
        .streamsOverrides(overrides)
        .hostId(config.hostId())
        .topics(config.topics())
        .statusPort(ProcessorConfig.STATUS_PORT_OFF)
        .startTimeout(Duration.ZERO)
        .build();
  }

  private String startBroker() throws Exception {
    if (config.broker() == FleetConfig.BrokerMode.EXTERNAL) {
      return config.externalBootstrap();
    }
    // a fixed client port takes the next one for the controller (9092/9093); a free one, any.
    // A restarted broker reuses them: clients reconnect with the address they have
    boolean anyPort = config.kafkaPort() == 0;
    int port = anyPort ? EmbeddedKafka.freePort() : config.kafkaPort();
    int controllerPort = anyPort ? EmbeddedKafka.freePort() : port + 1;
    Path brokerDir = config.dataDir().resolve("broker");
    if (config.broker() == FleetConfig.BrokerMode.IN_PROCESS) {
      EmbeddedKafka kafka = EmbeddedKafka.start(
          new EmbeddedKafka.Settings(brokerDir, "127.0.0.1", port, controllerPort, Map.of()));
      otherBroker = kafka;
      return kafka.bootstrapServers();
    }
    supervisor = BrokerSupervisor.start(brokerDir, "127.0.0.1", port, controllerPort,
        config.brokerRestartBackoff(), config.brokerRestartMaxBackoff(),
        () -> onBrokerChange.accept(this));
    return supervisor.bootstrapServers();
  }

  private CollectorConfig collectorConfig() {
    // the spool belongs to this fleet's data: a leftover of another run never replays into it
    CollectorConfig.Builder c =
        CollectorConfig.builder()
            .bootstrapServers(bootstrapServers)
            .producerOverrides(new LinkedHashMap<String, Object>(config.kafkaProperties()))
            .topics(config.topics())
            .hostId(config.hostId())
            .statusPort(config.collectorStatusPort())
            // the fleet's data directory: the control token lands in <data dir>/collector.token
            .dataDir(config.dataDir())
            .drainInterval(config.collectorDrainInterval())
            .filter(new CaptureFilter(Set.of(), Set.of(), Set.of(), Set.copyOf(config.collectorCgroups())))
            .identity(IdentityConfig.builder().podLogRoot(config.podLogRoot()).build())
            .packets(config.collectorPackets())
            .gotls(config.collectorGoTls())
            .modules(config.collectorModules())
            .spool(SpoolConfig.builder()
                .directory(spoolDirectory(config, config.hostId())).build());
    return (config.libsslPaths().isEmpty() ? c : c.libsslPaths(config.libsslPaths())).build();
  }

  /** Where a collector of this fleet with the given host id spools while Kafka is away. */
  public static Path spoolDirectory(FleetConfig config, String hostId) {
    return config.dataDir().resolve("spool").resolve(hostId);
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

  /** The forwarder {@code up --eventaddr/--logaddr} runs, or null. */
  public io.ecapture.kafka.forwarder.Forwarder forwarder() {
    return forwarder;
  }

  /**
   * Waits until the processor is RUNNING (its group joined, its first transaction initialised,
   * its state restored): from then on a captured event reaches a client at once.
   *
   * @return whether it is RUNNING; false after the timeout
   */
  public boolean awaitProcessorRunning(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      StreamsProcessor.Handle p = processor;
      if (p != null && p.state() == org.apache.kafka.streams.KafkaStreams.State.RUNNING) {
        return true;
      }
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      Thread.sleep(20);
    }
  }

  /** The processor's Kafka Streams state (CREATED, REBALANCING, RUNNING...), or "not started". */
  public String processorState() {
    StreamsProcessor.Handle p = processor;
    return p == null ? "not started" : p.state().toString();
  }

  /** The embedded broker child's pid, or -1 (down, in process, external). */
  public long brokerPid() {
    return supervisor == null ? -1 : supervisor.pid();
  }

  /** Embedded broker children that died and restarts after that (0 when not supervised). */
  public long brokerDeaths() {
    return supervisor == null ? 0 : supervisor.deaths();
  }

  public long brokerRestarts() {
    return supervisor == null ? 0 : supervisor.restarts();
  }

  /** Whether the embedded broker child runs (always true when not supervised). */
  public boolean brokerUp() {
    return supervisor == null || supervisor.isUp();
  }

  /** One line for an operator: the broker, then what flows through each stage. */
  public String statusLine() {
    StringBuilder line = new StringBuilder();
    if (supervisor != null) {
      line.append(supervisor.statusLine()).append(' ');
    }
    if (collector != null) {
      line.append("collector[").append(collector.stats().summary()).append("] ");
    } else {
      line.append("collector[off] ");
    }
    StreamsProcessor.Handle processor = this.processor;
    Gateway gateway = this.gateway;
    if (processor == null || gateway == null) {
      return line.append("processor[not started] gateway[").append(gateway == null ? "not started" : "up")
          .append(']').toString(); // a broker change reported while starting
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
    io.ecapture.kafka.forwarder.Forwarder f = forwarder;
    if (f != null) {
      for (var sink : new io.ecapture.kafka.forwarder.sink.Sink[] {f.eventsSink(), f.logsSink()}) {
        if (sink != null) {
          var c = sink.counters();
          line.append(" forward[").append(sink.describe()).append(" sent=").append(c.sent.sum())
              .append(" dropped=").append(c.dropped.sum() + c.overflow.sum()).append(']');
        }
      }
    }
    return line.toString();
  }

  /** Stops what was started: collector, processor, gateway, broker, then frees the directory. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    closeQuietly(collector);
    closeQuietly(processor);
    closeQuietly(forwarder);
    closeQuietly(gateway);
    closeQuietly(supervisor);
    closeQuietly(otherBroker);
    closeQuietly(dataDirectory);
  }

  private static void closeQuietly(AutoCloseable component) {
    if (component == null) {
      return;
    }
    try {
      component.close();
    } catch (Exception e) {
      LOG.warn("closing {} failed: {}", component.getClass().getSimpleName(), e.toString());
    }
  }
}
