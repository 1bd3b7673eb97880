package io.ecapture.kafka.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * Entry point of one {@link KafkaCluster} node's child JVM: PROPERTIES_FILE CLUSTER_ID READY_FILE.
 *
 * <p>Formats the node's storage with the cluster's id on first start (a static voter set, so every
 * node formats alone), starts the combined broker and controller, waits until its own broker is
 * listed by the cluster, then writes its bootstrap address to READY_FILE. SIGTERM shuts it down
 * cleanly (a controlled shutdown: its partition leaderships move first); it is halted if that takes
 * longer than {@link #STOP_TIMEOUT_S} s. Like {@link EmbeddedKafkaMain}, it stops when its parent
 * goes away (its stdin reaches end-of-file). A fatal Kafka error ends this JVM: the node fails
 * as a real one would.
 */
public final class KafkaClusterNode {
  /** Longest a clean stop may take before the JVM is halted. */
  static final int STOP_TIMEOUT_S = 30;

  private KafkaClusterNode() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: KafkaClusterNode PROPERTIES_FILE CLUSTER_ID READY_FILE");
      System.exit(2);
    }
    EmbeddedKafkaMain.exitWhenParentGoes(System.in);
    Map<String, String> props = read(Path.of(args[0]));
    String clusterId = args[1];
    Path readyFile = Path.of(args[2]);
    int nodeId = Integer.parseInt(props.get("node.id"));
    Path logDir = Path.of(props.get("log.dirs"));
    Files.createDirectories(logDir);
    format(logDir, nodeId, clusterId);
    KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Thread.ofPlatform().daemon().start(() -> {
        sleepSeconds(STOP_TIMEOUT_S);
        System.err.println("node " + nodeId + " did not stop within " + STOP_TIMEOUT_S + " s: halting");
        Runtime.getRuntime().halt(1);
      });
      server.shutdown();
      server.awaitShutdown();
      stopped.countDown();
    }, "node-shutdown"));
    String bootstrap = advertised(props);
    try {
      server.startup();
      awaitListed(bootstrap, nodeId);
    } catch (RuntimeException e) {
      EmbeddedKafka.exitAfterFailedStart(e);
    }
    Path tmp = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
    Files.writeString(tmp, bootstrap);
    Files.move(tmp, readyFile, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("Kafka node " + nodeId + " of cluster " + clusterId + " ready at " + bootstrap);
    stopped.await();
  }

  static Map<String, String> read(Path file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    Map<String, String> map = new HashMap<>();
    p.stringPropertyNames().forEach(k -> map.put(k, p.getProperty(k)));
    return map;
  }

  /** The PLAINTEXT address of {@code advertised.listeners}. */
  static String advertised(Map<String, String> props) {
    for (String listener : props.get("advertised.listeners").split(",")) {
      if (listener.startsWith("PLAINTEXT://")) {
        return listener.substring("PLAINTEXT://".length());
      }
    }
    throw new IllegalArgumentException("no PLAINTEXT advertised listener: " + props.get("advertised.listeners"));
  }

  private static void format(Path logDir, int nodeId, String clusterId) {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return;
    }
    try {
      new Formatter()
          .setPrintStream(System.err)
          .setNodeId(nodeId)
          .setClusterId(clusterId)
          .setDirectories(List.of(logDir.toString()))
          .setReleaseVersion(MetadataVersion.latestProduction())
          .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
          .setControllerListenerName("CONTROLLER")
          .setMetadataLogDirectory(logDir.toString())
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format Kafka storage in " + logDir, e);
    }
  }

  /** Waits until the cluster, asked through this node, lists this node's broker. */
  private static void awaitListed(String bootstrap, int nodeId) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    try (Admin admin = Admin.create(p)) {
      while (true) {
        try {
          if (admin.describeCluster().nodes().get().stream().mapToInt(Node::id).anyMatch(id -> id == nodeId)) {
            return;
          }
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("node " + nodeId + " at " + bootstrap + " not ready", e);
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("node " + nodeId + " at " + bootstrap + " never listed");
        }
        sleepMillis(200);
      }
    }
  }

  private static void sleepSeconds(long s) {
    sleepMillis(s * 1000);
  }

  private static void sleepMillis(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
