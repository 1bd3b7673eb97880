package io.ecapture.kafka.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker in KRaft combined mode (broker and controller in one process),
 * started from the Maven artifacts, with no ZooKeeper and no Docker.
 *
 * <p>The storage directory is formatted on first start and reused afterwards, so data survives a
 * restart on the same directory. Kafka's own fatal-error path calls {@code System.exit}; a broker
 * started here traps it (see {@link #trapKafkaExit()}) so a broker failure cannot kill a JVM that
 * also hosts other components or tests. A JVM that exists to run the broker ({@link
 * #runUntilStopped}: the child of {@link BrokerProcess}, the {@code broker} command) keeps Kafka's
 * exit and ends when the broker fails to start, so its parent hears of it at once. Run it in a
 * child JVM when killing it must be honest.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final AtomicBoolean EXIT_TRAPPED = new AtomicBoolean();
  /** The Kafka log (and metadata) directory inside a broker's data directory. */
  public static final String LOG_DIR = "kraft-logs";

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final Path dataDir;

  private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers, Path dataDir) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.dataDir = dataDir;
  }

  /** Starts a broker on free ephemeral ports of 127.0.0.1 (tests). */
  public static EmbeddedKafka start(Path dataDir) {
    return start(new Settings(dataDir, "127.0.0.1", freePort(), freePort(), Map.of()));
  }

  /**
   * Where the broker lives and listens.
   *
   * @param host address to bind and advertise (127.0.0.1 keeps it private to this machine)
   * @param overrides extra broker properties, applied last
   */
  public record Settings(
      Path dataDir, String host, int port, int controllerPort, Map<String, String> overrides) {}

  /** Formats the storage if needed, starts the broker and waits until it answers clients. */
  public static EmbeddedKafka start(Settings settings) {
    return start(settings, null);
  }

  /**
   * Like {@link #start(Settings)}, with a {@code SASL_SSL} client listener, SCRAM users and ACLs
   * when {@code security} is not null (see {@link BrokerSecurity}); the settings' overrides still
   * come last.
   */
  public static EmbeddedKafka start(Settings settings, BrokerSecurity security) {
    trapKafkaExit();
    Path logDir = settings.dataDir().resolve(LOG_DIR).toAbsolutePath();
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create broker data directory " + logDir, e);
    }
    Map<String, String> props = brokerProperties(settings, logDir, security);
    KafkaConfig config = new KafkaConfig(props, false);
    format(logDir, security == null ? List.of() : security.scramArguments());
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    String bootstrap = settings.host() + ":" + settings.port();
    EmbeddedKafka kafka = new EmbeddedKafka(server, bootstrap, settings.dataDir());
    try {
      kafka.awaitReady(60_000,
          security == null ? Map.of() : security.clientProperties(BrokerSecurity.BROKER_USER));
    } catch (RuntimeException e) {
      kafka.close();
      throw e;
    }
    LOG.info("Kafka broker up at {} (data in {})", bootstrap, logDir);
    return kafka;
  }

  static Map<String, String> brokerProperties(Settings s, Path logDir) {
    return brokerProperties(s, logDir, null);
  }

  static Map<String, String> brokerProperties(Settings s, Path logDir, BrokerSecurity security) {
    String controller = s.host() + ":" + s.controllerPort();
    Map<String, String> p = new HashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@" + controller);
    p.put("listeners", "PLAINTEXT://" + s.host() + ":" + s.port() + ",CONTROLLER://" + controller);
    p.put("advertised.listeners", "PLAINTEXT://" + s.host() + ":" + s.port());
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", logDir.toString());
    // a single node: every internal topic has one replica
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    // the controller writes a no-op record to the metadata log this often (default 500 ms) so
    // followers can tell it is alive; a single node has none, and each one costs an append, a
    // commit and a metadata publication: idle CPU
    p.put("metadata.max.idle.interval.ms", "5000");
    // thread pools sized for one local node on a small machine, not a cluster member: every idle
    // request handler and network thread wakes about three times a second (a 300 ms wait), and
    // the controller listener gets pools of the same sizes (Kafka's defaults: 8 and 3). 2 and 1
    // took 0.2-0.45 % of a core off the idle broker (bench/idle-cpu-compare.sh, root README
    // "Start, restart, ..."); a single node's clients are the host's own pipeline
    p.put("num.io.threads", "2");
    p.put("num.network.threads", "1");
    p.put("group.coordinator.threads", "1");
    // topics are created explicitly (the common module's TopicSetup) so a typo in a topic name fails loudly
    p.put("auto.create.topics.enable", "false");
    p.put("num.partitions", "1");
    if (security != null) {
      p.putAll(security.brokerProperties(s.host(), s.port(), s.controllerPort()));
    }
    p.putAll(s.overrides());
    return p;
  }

  private static void format(Path logDir, List<String> scramArguments) {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return;
    }
    try {
      Formatter formatter =
          new Formatter()
              .setPrintStream(System.err)
              .setNodeId(1)
              .setClusterId(Uuid.randomUuid().toString())
              .setDirectories(List.of(logDir.toString()))
              .setReleaseVersion(MetadataVersion.latestProduction())
              .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
              .setControllerListenerName("CONTROLLER")
              .setMetadataLogDirectory(logDir.toString());
      if (!scramArguments.isEmpty()) {
        formatter.setScramArguments(scramArguments); // SCRAM users as bootstrap records
      }
      formatter.run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format Kafka storage in " + logDir, e);
    }
  }

  private void awaitReady(long timeoutMs, Map<String, String> clientProperties) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    Properties p = new Properties();
    p.putAll(clientProperties);
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    try (Admin admin = Admin.create(p)) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get().isEmpty()) {
            return;
          }
        } catch (Exception e) {
          if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException("Kafka broker at " + bootstrapServers + " not ready", e);
          }
        }
        sleep(100);
      }
    }
  }

  /**
   * Replaces Kafka's {@code Exit} procedures so a fatal broker error throws instead of ending the
   * whole JVM. Installed once per JVM.
   */
  public static void trapKafkaExit() {
    if (EXIT_TRAPPED.compareAndSet(false, true)) {
      Exit.setExitProcedure(
          (code, message) -> {
            LOG.error("Kafka asked to exit with status {}: {}", code, message);
            throw new IllegalStateException("Kafka exit(" + code + "): " + message);
          });
      Exit.setHaltProcedure(
          (code, message) -> {
            LOG.error("Kafka asked to halt with status {}: {}", code, message);
            throw new IllegalStateException("Kafka halt(" + code + "): " + message);
          });
    }
  }

  /**
   * For a JVM that exists to run a broker (a child, the {@code broker} command): Kafka's fatal
   * errors end it as Kafka intends, since a broker that stopped working must not linger as a live
   * process that serves nothing. Later {@link #trapKafkaExit()} calls then change nothing.
   */
  static void keepKafkaExit() {
    EXIT_TRAPPED.set(true);
  }

  /**
   * Ends a JVM whose broker failed to start (a port taken, a damaged log directory). Kafka's
   * threads that did start (the controller's, its timers) are not daemons and would keep a
   * broker that serves nothing alive until a parent gives up on it; halting skips shutdown
   * hooks that would wait for them.
   */
  static void exitAfterFailedStart(Throwable failure) {
    LOG.error("the Kafka broker failed to start", failure);
    System.err.println("the Kafka broker failed to start: " + failure);
    failure.printStackTrace();
    System.err.flush();
    Runtime.getRuntime().halt(1);
  }

  /**
   * Runs a broker until the JVM is asked to stop (SIGTERM, Ctrl-C), closing it cleanly then.
   *
   * @param readyFile if not null, written with the bootstrap address once clients are served
   * @param exitWithParent stop when the parent process ends (a parent killed with SIGKILL cannot
   *     stop its child, so the child watches it)
   */
  public static void runUntilStopped(Settings settings, Path readyFile, boolean exitWithParent)
      throws IOException, InterruptedException {
    keepKafkaExit();
    EmbeddedKafka kafka;
    try {
      kafka = start(settings);
    } catch (RuntimeException e) {
      exitAfterFailedStart(e);
      return;
    }
    java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  kafka.close();
                  stopped.countDown();
                },
                "broker-shutdown"));
    if (exitWithParent) {
      ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> System.exit(0)));
    }
    if (readyFile != null) {
      Path tmp = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
      Files.writeString(tmp, kafka.bootstrapServers());
      Files.move(tmp, readyFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    System.out.println(
        "Kafka broker ready at " + kafka.bootstrapServers() + " (data in "
            + settings.dataDir().toAbsolutePath() + ")");
    stopped.await();
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public Path dataDir() {
    return dataDir;
  }

  @Override
  public void close() {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      LOG.warn("Kafka broker shutdown failed: {}", e.toString());
    }
  }

  /** A port that was free a moment ago on 127.0.0.1. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress("127.0.0.1", 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Kafka", e);
    }
  }
}
