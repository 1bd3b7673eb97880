package io.ecapture.kafka.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real multi-node Kafka cluster in KRaft mode from the Maven artifacts, no Docker: every node is
 * a combined broker and controller in its own child JVM ({@link KafkaClusterNode}), all nodes are
 * the voters of the controller quorum (static voters, one cluster id, storage formatted once per
 * node and reused afterwards). Each node can be killed with SIGKILL (a crash), stopped cleanly
 * (SIGTERM, a controlled shutdown) and started again on its own data and ports, so tests can fail
 * brokers for real.
 *
 * <p>Replication defaults suit the size: with 3 nodes or more, internal topics and topics created
 * without a replication factor get 3 replicas and {@code min.insync.replicas} 2 (a write with
 * {@code acks=all} survives one node down); with fewer, every node. A node that stops
 * heartbeating is fenced after {@value #BROKER_SESSION_TIMEOUT_MS} ms. {@link Settings#overrides()}
 * are applied last. Nodes listen on {@link Settings#host()} (any local address: a test that puts
 * clients in network namespaces binds the cluster to an address those can route to).
 *
 * <p>Children never outlive this JVM (each watches its stdin, a pipe only this JVM holds). Their
 * output goes to {@code node.log} in each node's directory; directories are {@code 0700} and the
 * nodes run under {@code umask 077}, as {@link BrokerProcess} does.
 */
public final class KafkaCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaCluster.class);
  /** Nodes of a cluster unless told otherwise: the smallest with a quorum that survives one loss. */
  public static final int DEFAULT_NODES = 3;
  /**
   * JVM flags of every node: Kafka's use of sun.misc.Unsafe on JDK 25, and a small heap, a
   * single-threaded collector and no C2 compiler, so three nodes fit a small test machine next to
   * the pipeline (a test broker's traffic needs neither).
   */
  public static final List<String> DEFAULT_NODE_JVM_FLAGS = List.of(
      "--sun-misc-unsafe-memory-access=allow", "-Xms64m", "-Xmx384m", "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1", "-XX:MaxDirectMemorySize=128m");
  /** How long a node may take to start and be listed by the cluster. */
  public static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  /** How long a clean stop of a node may take before it is killed. */
  public static final Duration STOP_TIMEOUT = Duration.ofSeconds(40);
  /** How long a node may miss heartbeats before the controller fences it (Kafka's default: 9 s). */
  public static final int BROKER_SESSION_TIMEOUT_MS = 3_000;
  /** The cluster id, written once in the cluster directory and reused by every later start. */
  static final String CLUSTER_ID_FILE = "cluster.id";

  /**
   * What to start.
   *
   * @param dataDir the cluster's directory: {@code node-<id>/} per node; reused when it exists
   * @param host the address every node binds and advertises (127.0.0.1 keeps it to this machine)
   * @param nodes how many nodes (node ids 1..nodes), each broker and controller
   * @param overrides broker properties applied last to every node
   * @param jvmFlags flags of every node's JVM ({@link #DEFAULT_NODE_JVM_FLAGS})
   */
  public record Settings(
      Path dataDir, String host, int nodes, Map<String, String> overrides, List<String> jvmFlags) {
    public Settings {
      Objects.requireNonNull(dataDir, "dataDir");
      Objects.requireNonNull(host, "host");
      if (nodes < 1) {
        throw new IllegalArgumentException("a cluster needs at least one node: " + nodes);
      }
      overrides = Map.copyOf(overrides);
      jvmFlags = List.copyOf(jvmFlags);
    }

    /** {@code nodes} nodes on {@code host} with the defaults. */
    public static Settings of(Path dataDir, String host, int nodes) {
      return new Settings(dataDir, host, nodes, Map.of(), DEFAULT_NODE_JVM_FLAGS);
    }

    public Settings withOverrides(Map<String, String> more) {
      Map<String, String> all = new LinkedHashMap<>(overrides);
      all.putAll(more);
      return new Settings(dataDir, host, nodes, all, jvmFlags);
    }
  }

  private final Settings settings;
  private final String clusterId;
  private final List<ClusterNode> nodes;

  private KafkaCluster(Settings settings, String clusterId, List<ClusterNode> nodes) {
    this.settings = settings;
    this.clusterId = clusterId;
    this.nodes = nodes;
  }

  /** A cluster of {@value #DEFAULT_NODES} nodes on 127.0.0.1 with the defaults. */
  public static KafkaCluster start(Path dataDir) {
    return start(Settings.of(dataDir, "127.0.0.1", DEFAULT_NODES));
  }

  /**
   * Starts every node at once (a controller quorum needs a majority to elect a leader, so they
   * cannot start one after the other) and returns once the cluster lists all of them.
   *
   * @throws IllegalStateException a node did not start (its log named)
   */
  public static KafkaCluster start(Settings settings) {
    try {
      BrokerProcess.privateDirectory(settings.dataDir());
      String clusterId = clusterId(settings.dataDir());
      List<int[]> ports = new ArrayList<>();
      Set<Integer> taken = new HashSet<>();
      for (int i = 0; i < settings.nodes(); i++) {
        ports.add(new int[] {freePort(settings.host(), taken), freePort(settings.host(), taken)});
      }
      String voters = "";
      for (int i = 0; i < settings.nodes(); i++) {
        voters += (i == 0 ? "" : ",") + (i + 1) + "@" + settings.host() + ":" + ports.get(i)[1];
      }
      List<ClusterNode> nodes = new ArrayList<>();
      for (int i = 0; i < settings.nodes(); i++) {
        int id = i + 1;
        Path dir = settings.dataDir().resolve("node-" + id);
        BrokerProcess.privateDirectory(dir);
        Map<String, String> props = nodeProperties(settings, id, ports.get(i)[0], ports.get(i)[1], voters,
            dir.resolve(EmbeddedKafka.LOG_DIR).toAbsolutePath());
        nodes.add(new ClusterNode(id, ports.get(i)[0], dir, writeProperties(dir, props), settings, clusterId));
      }
      KafkaCluster cluster = new KafkaCluster(settings, clusterId, nodes);
      try {
        for (ClusterNode node : nodes) {
          node.launch();
        }
        for (ClusterNode node : nodes) {
          node.awaitReady();
        }
        cluster.awaitNodes(settings.nodes(), START_TIMEOUT);
      } catch (RuntimeException e) {
        nodes.forEach(ClusterNode::destroyNow);
        throw e;
      }
      LOG.info("Kafka cluster {} of {} nodes up at {}", clusterId, nodes.size(), cluster.bootstrapServers());
      return cluster;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the cluster directory " + settings.dataDir(), e);
    }
  }

  /** Broker and controller properties of node {@code id}; the overrides come last. */
  static Map<String, String> nodeProperties(
      Settings s, int id, int port, int controllerPort, String voters, Path logDir) {
    int replicas = Math.min(3, s.nodes());
    int minIsr = replicas >= 3 ? 2 : 1;
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", Integer.toString(id));
    p.put("controller.quorum.voters", voters);
    p.put("listeners", "PLAINTEXT://" + s.host() + ":" + port + ",CONTROLLER://" + s.host() + ":" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + s.host() + ":" + port);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", logDir.toString());
    String r = Integer.toString(replicas);
    String isr = Integer.toString(minIsr);
    p.put("default.replication.factor", r);
    p.put("min.insync.replicas", isr);
    p.put("offsets.topic.replication.factor", r);
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", r);
    p.put("transaction.state.log.min.isr", isr);
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", r);
    p.put("share.coordinator.state.topic.min.isr", isr);
    p.put("group.initial.rebalance.delay.ms", "0");
    // a dead node is fenced (dropped from every ISR, its leaderships moved) after 3 s without a
    // heartbeat instead of Kafka's 9 s: acks=all writes to its partitions stall that long (the
    // collector's spool once gave records up after 12 s and re-sent records the cluster had
    // stored; its producer no longer fails records for time, but a failover stays short)
    p.put("broker.session.timeout.ms", Integer.toString(BROKER_SESSION_TIMEOUT_MS));
    p.put("broker.heartbeat.interval.ms", "500");
    // a test cluster on a small machine: few threads per node (Kafka's defaults: 8 I/O, 3 network,
    // 10 background, 4 coordinator threads), each of which wakes up while idle
    p.put("num.io.threads", "2");
    p.put("num.network.threads", "2");
    p.put("background.threads", "2");
    p.put("group.coordinator.threads", "1");
    p.put("share.coordinator.threads", "1");
    p.put("num.recovery.threads.per.data.dir", "1");
    p.put("auto.create.topics.enable", "false");
    p.put("num.partitions", "1");
    p.putAll(s.overrides());
    return p;
  }

  /** Every node's client address, comma-separated: any live one answers. */
  public String bootstrapServers() {
    return nodes.stream().map(ClusterNode::address).collect(Collectors.joining(","));
  }

  public String clusterId() {
    return clusterId;
  }

  /** Node ids, 1..n. */
  public List<Integer> nodeIds() {
    return nodes.stream().map(n -> n.id).toList();
  }

  /** Client address of node {@code id} (host:port). */
  public String address(int id) {
    return node(id).address();
  }

  /** Pid of node {@code id}'s JVM, or -1 when it is not running. */
  public long pid(int id) {
    ClusterNode n = node(id);
    Process p = n.process;
    return p != null && p.isAlive() ? p.pid() : -1;
  }

  public boolean isRunning(int id) {
    Process p = node(id).process;
    return p != null && p.isAlive();
  }

  /** The log of node {@code id}'s JVM (every start appends). */
  public Path logFile(int id) {
    return node(id).logFile;
  }

  /** Kills node {@code id} at once (SIGKILL), as a crash or a pulled plug would; waits until it is gone. */
  public void kill(int id) {
    node(id).kill();
  }

  /** Stops node {@code id} cleanly (SIGTERM: a controlled shutdown), killing it after {@link #STOP_TIMEOUT}. */
  public void stop(int id) {
    node(id).stop();
  }

  /**
   * Starts node {@code id} again on its data and ports (stopping it first if it runs) and returns
   * once the cluster lists it. Its replicas catch up afterwards: {@link #awaitFullyReplicated}.
   */
  public void restart(int id) {
    ClusterNode n = node(id);
    n.stop();
    n.launch();
    n.awaitReady();
    awaitNodes(nodes.size(), START_TIMEOUT);
  }

  /** The current leader of the controller quorum (the active controller), or -1 when unknown. */
  public int activeController() {
    try (Admin admin = admin()) {
      return admin.describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS).leaderId();
    } catch (Exception e) {
      return -1;
    }
  }

  /**
   * Waits until every partition of every topic (internal ones included) has a leader and all its
   * replicas in sync: after a restart, the node has caught up.
   *
   * @throws IllegalStateException after {@code timeout}, naming the partitions still behind
   */
  public void awaitFullyReplicated(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String behind = "unknown";
    try (Admin admin = admin()) {
      while (System.nanoTime() < deadline) {
        try {
          Set<String> topics = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions()
              .listInternal(true)).names().get(10, TimeUnit.SECONDS);
          Collection<TopicDescription> descriptions =
              admin.describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS).values();
          List<String> lagging = new ArrayList<>();
          for (TopicDescription d : descriptions) {
            for (TopicPartitionInfo p : d.partitions()) {
              if (p.leader() == null || p.leader().isEmpty() || p.isr().size() < p.replicas().size()) {
                lagging.add(d.name() + "-" + p.partition() + " isr " + ids(p.isr()) + " of " + ids(p.replicas()));
              }
            }
          }
          if (lagging.isEmpty()) {
            return;
          }
          behind = lagging.size() + " partitions, e.g. " + lagging.subList(0, Math.min(5, lagging.size()));
        } catch (Exception e) {
          behind = e.toString();
        }
        sleep(200);
      }
    }
    throw new IllegalStateException("cluster not fully replicated after " + timeout + ": " + behind);
  }

  /** An admin client for this cluster; the caller closes it. */
  public Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    return Admin.create(p);
  }

  /**
   * Stops every node cleanly and at once (in parallel), killing any that takes longer than {@link
   * #STOP_TIMEOUT}.
   */
  @Override
  public void close() {
    for (ClusterNode n : nodes) {
      Process p = n.process;
      if (p != null) {
        p.destroy();
      }
    }
    for (ClusterNode n : nodes) {
      n.stop();
    }
  }

  @Override
  public String toString() {
    return "KafkaCluster[" + clusterId + ", " + bootstrapServers() + "]";
  }

  private void awaitNodes(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    try (Admin admin = admin()) {
      while (System.nanoTime() < deadline) {
        try {
          Collection<Node> listed = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
          if (listed.size() >= count) {
            return;
          }
          last = "listed " + ids(listed);
        } catch (Exception e) {
          last = e.toString();
        }
        sleep(200);
      }
    }
    throw new IllegalStateException("the cluster did not list " + count + " nodes within " + timeout + ": " + last);
  }

  private ClusterNode node(int id) {
    if (id < 1 || id > nodes.size()) {
      throw new IllegalArgumentException("no node " + id + " in a cluster of " + nodes.size());
    }
    return nodes.get(id - 1);
  }

  private static String ids(Collection<Node> nodes) {
    return nodes.stream().map(n -> Integer.toString(n.id())).collect(Collectors.joining(",", "[", "]"));
  }

  private static String clusterId(Path dataDir) throws IOException {
    Path file = dataDir.resolve(CLUSTER_ID_FILE);
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return Files.readString(file).strip();
    }
    String id = Uuid.randomUuid().toString();
    Files.writeString(file, id);
    return id;
  }

  private static Path writeProperties(Path dir, Map<String, String> props) throws IOException {
    Path file = dir.resolve("node.properties");
    if (!Files.exists(file)) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    StringBuilder text = new StringBuilder();
    props.forEach((k, v) -> text.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
    Files.writeString(file, text);
    return file;
  }

  /** A port of {@code host} that was free a moment ago and is not in {@code taken} (then added). */
  private static int freePort(String host, Set<Integer> taken) {
    while (true) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
        if (taken.add(socket.getLocalPort())) {
          return socket.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot bind a port on " + host, e);
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the Kafka cluster", e);
    }
  }

  /** One node: its child JVM (replaced at each start), ports and directory. */
  private static final class ClusterNode {
    final int id;
    final int port;
    final Path dir;
    final Path propertiesFile;
    final Path logFile;
    final Path readyFile;
    final Settings settings;
    final String clusterId;
    volatile Process process;

    ClusterNode(int id, int port, Path dir, Path propertiesFile, Settings settings, String clusterId) {
      this.id = id;
      this.port = port;
      this.dir = dir;
      this.propertiesFile = propertiesFile;
      this.logFile = dir.resolve("node.log");
      this.readyFile = dir.resolve("node.ready");
      this.settings = settings;
      this.clusterId = clusterId;
    }

    String address() {
      return settings.host() + ":" + port;
    }

    void launch() {
      try {
        Files.deleteIfExists(readyFile);
        if (!Files.exists(logFile)) {
          Files.createFile(logFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        List<String> command = new ArrayList<>();
        // umask 077 before the JVM starts: every file the node creates is its owner's only
        command.addAll(List.of("/bin/sh", "-c", "umask 077 && exec \"$0\" \"$@\""));
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(settings.jvmFlags());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(KafkaClusterNode.class.getName());
        command.addAll(List.of(propertiesFile.toString(), clusterId, readyFile.toString()));
        // stdin stays an open pipe: the child ends when it reads end-of-file (this JVM is gone)
        process = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
            .start();
        LOG.info("Kafka node {} starting (pid {}) on {}", id, process.pid(), address());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start Kafka node " + id, e);
      }
    }

    void awaitReady() {
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      Process p = process;
      while (!Files.exists(readyFile)) {
        if (!p.isAlive()) {
          throw new IllegalStateException("Kafka node " + id + " exited with status " + p.exitValue()
              + " during start; see " + logFile + BrokerProcess.logTail(logFile));
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("Kafka node " + id + " did not start within " + START_TIMEOUT + "; see "
              + logFile + BrokerProcess.logTail(logFile));
        }
        sleep(100);
      }
    }

    void kill() {
      Process p = process;
      if (p == null) {
        return;
      }
      try {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while killing Kafka node " + id, e);
      }
      LOG.info("Kafka node {} killed (SIGKILL, pid {})", id, p.pid());
    }

    void stop() {
      Process p = process;
      if (p == null || !p.isAlive()) {
        return;
      }
      p.destroy();
      try {
        if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          LOG.warn("Kafka node {} did not stop within {}; killing it", id, STOP_TIMEOUT);
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }

    void destroyNow() {
      Process p = process;
      if (p != null) {
        p.destroyForcibly();
      }
    }
  }
}
