package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.embedded.KafkaCluster;
import io.ecapture.kafka.proto.Topic;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The fleet on a real 3-node Kafka cluster, with faults, one at a time.
 *
 * <p>Shape: a {@link KafkaCluster} of three KRaft nodes (child JVMs, a 3-voter quorum) on an
 * address of its own; the pipeline's topics created by the {@code topics} command with replication
 * factor 3, {@code min.insync.replicas} 2 (the cluster's default for 3 nodes); three simulated hosts
 * (network namespaces, {@link NetnsHost}), each with an HTTPS server, curl and its own collector
 * (a child JVM inside the namespace, so cutting the host's link cuts its collector off the
 * cluster); two processors of one application id and two gateways, each a child JVM.
 *
 * <p>Traffic: every batch is one curl per host making {@value #REQUESTS} requests over one kept-alive
 * TLS connection, each path a unique marker. A WebSocket client on each gateway ({@code
 * ?annotate=host}) must see, for every batch sent while it was connected, each marker's request and
 * response exactly once, annotated with the host that sent it, and each connection's messages in
 * the order they were exchanged.
 *
 * <p>Faults: (1) SIGKILL of the active controller's node, then its restart; (2) SIGKILL of one
 * processor, then its restart; (3) a gateway restarted; (4) one host's link taken down while it
 * sends (its collector's spool holds the events), then brought back. The figures (records,
 * markers, time to recover after each fault) are printed as a table.
 */
class ClusterFaultToleranceTest {
  private static final int REQUESTS = 4;
  private static final int PARTITIONS = 4;
  private static final short REPLICATION = 3;
  private static final int COLLECTOR_STATUS_PORT = 28258;
  private static final Duration DELIVERY = Duration.ofSeconds(120);
  private static final Duration READY = Duration.ofSeconds(150);
  private final String run = UUID.randomUUID().toString().replace("-", "").substring(0, 6);
  private final int net = 100 + ThreadLocalRandom.current().nextInt(120);
  private final String kafkaAddress = "10." + net + ".0.1";
  private final String kafkaLink = "ekc" + run + "k";
  private final List<NetnsHost> hosts = new ArrayList<>();
  private final List<ComponentProcess> components = new ArrayList<>();
  private final List<Watcher> watchers = new ArrayList<>();
  /** Watchers still connected: a batch sent now must reach each of them. */
  private final List<Watcher> connected = new ArrayList<>();
  private final List<Batch> batches = new ArrayList<>();
  private final List<String[]> figures = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private KafkaCluster cluster;
  private boolean linkCreated;

  // kept when the test fails: every component's log is there (the path is in the failure message)
  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS) Path dir;

  /** A client on a gateway and the batches it must have seen in full. */
  private record Watcher(String name, EcaptureqTestClient client, List<Batch> expected) {}

  /** One curl per host; {@code sentUnixNs} is when the first curl started. */
  private record Batch(String label, Map<Integer, List<String>> markersByHost, long sentUnixNs) {
    List<String> markers() {
      return markersByHost.values().stream().flatMap(List::stream).toList();
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Watcher w : List.copyOf(connected)) {
      disconnect(w);
    }
    for (ComponentProcess c : components) {
      c.terminate(); // all at once, then wait for each
    }
    for (ComponentProcess c : components) {
      c.stop();
    }
    if (cluster != null) {
      cluster.close();
    }
    for (NetnsHost h : hosts) {
      h.close();
    }
    if (linkCreated) {
      new ProcessBuilder("ip", "link", "del", kafkaLink + "0").start().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void everyMarkerReachesEveryGatewayExactlyOnceThroughBrokerProcessorGatewayAndCollectorFaults()
      throws Exception {
    EbpfEnvironment.requireEbpf();
    for (String tool : List.of("ip", "nsenter", "setpriv", "curl", "python3", "openssl")) {
      EbpfEnvironment.requireTool(tool);
    }
    long testStart = System.nanoTime();

    // the cluster's own address (a veth pair whose ends both stay here): routable from every host
    NetnsHost.run(List.of("ip", "link", "add", kafkaLink + "0", "type", "veth", "peer", "name", kafkaLink + "1"));
    linkCreated = true;
    NetnsHost.run(List.of("ip", "addr", "add", kafkaAddress + "/32", "dev", kafkaLink + "0"));
    NetnsHost.run(List.of("ip", "link", "set", kafkaLink + "0", "up"));
    NetnsHost.run(List.of("ip", "link", "set", kafkaLink + "1", "up"));
    long t = System.nanoTime();
    cluster = KafkaCluster.start(KafkaCluster.Settings.of(dir.resolve("kafka"), kafkaAddress, 3)
        // a processor killed inside a transaction blocks read_committed readers of its partitions
        // until the coordinator aborts it: look for timed-out transactions every 2 s, not 10 s
        .withOverrides(Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "2000")));
    figure("setup", "3-node cluster up", "", "", seconds(System.nanoTime() - t));
    String bootstrap = cluster.bootstrapServers();

    // no replication flags: `topics` lays the topics out for the 3 brokers it finds (RF 3,
    // min.insync.replicas 2 set on each topic, checked below against the cluster's default)
    int topicsExit = new CommandLine(new TopicsCommand()).execute("--bootstrap", bootstrap,
        "--partitions", Integer.toString(PARTITIONS));
    assertEquals(0, topicsExit, "topics command");
    assertReplicated();

    TlsTestServer.Certificate cert = TlsTestServer.Certificate.create(dir);
    for (int i = 1; i <= 3; i++) {
      NetnsHost host = NetnsHost.create("ekc-" + run + "-h" + i, "host-" + i + "-" + run, "ekc" + run + "h" + i,
          "10." + net + "." + i);
      hosts.add(host);
      host.startServer(cert.cert(), cert.key());
    }

    t = System.nanoTime();
    String appId = "ecapture-processor-" + run;
    int[] processorPorts = {EmbeddedKafka.freePort(), EmbeddedKafka.freePort()};
    List<ComponentProcess> processors = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      processors.add(component("processor-" + (i + 1), List.of(), List.of("-Xmx320m"), List.of(
          "processor", "--bootstrap", bootstrap, "--application-id", appId,
          "--state-dir", dir.resolve("processor-" + (i + 1)).toString(),
          "--status-port", Integer.toString(processorPorts[i]),
          // a crashed member's partitions move after 10 s, not Kafka's 45 s
          "--streams-property", "consumer.session.timeout.ms=10000",
          "--streams-property", "consumer.heartbeat.interval.ms=2000",
          "--streams-property", "statestore.cache.max.bytes=" + (16 << 20))));
    }
    int[] gatewayPorts = {EmbeddedKafka.freePort(), EmbeddedKafka.freePort()};
    List<ComponentProcess> gateways = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      gateways.add(component("gateway-" + (i + 1), List.of(), List.of(), List.of(
          "gateway", "--bootstrap", bootstrap, "--listen", "127.0.0.1:" + gatewayPorts[i], "--heartbeat", "5")));
    }
    List<ComponentProcess> collectors = new ArrayList<>();
    for (NetnsHost host : hosts) {
      collectors.add(component("collector-" + host.hostId, host.inside(), List.of(), List.of(
          "collector", "--bootstrap", bootstrap, "--host-id", host.hostId, "--netns", host.path().toString(),
          "--comm", "curl", "--status-port", Integer.toString(COLLECTOR_STATUS_PORT),
          "--data-dir", dir.resolve("collector-" + host.hostId).toString(),
          "--discover-interval-s", "0", "--stats-interval-s", "600")));
    }
    for (int i = 0; i < 2; i++) {
      awaitGatewayReady(gateways.get(i), gatewayPorts[i]);
      awaitProcessorRunning(processors.get(i), processorPorts[i]);
    }
    for (int i = 0; i < 3; i++) {
      awaitCollector(collectors.get(i), hosts.get(i));
    }
    figure("setup", "2 processors, 2 gateways, 3 collectors ready", "", "", seconds(System.nanoTime() - t));

    Watcher[] onGateway = {watch("gateway-1 client", gatewayPorts[0]), watch("gateway-2 client", gatewayPorts[1])};
    t = System.nanoTime();
    warmUp();
    figure("setup", "first capture through the whole pipeline", "", "", seconds(System.nanoTime() - t));

    Batch baseline = send("baseline");
    awaitDelivered(baseline, List.of(onGateway));
    figure("none", "baseline", Integer.toString(baseline.markers().size()), "", sinceSent(baseline, baseline, onGateway));

    // 1. SIGKILL of a broker: the active controller, the harshest node to lose
    int victim = cluster.activeController();
    assertTrue(victim >= 1, "no active controller");
    long killed = nowUnixNs();
    cluster.kill(victim);
    Batch duringBroker = send("broker-down");
    awaitDelivered(duringBroker, List.of(onGateway));
    figure("SIGKILL broker " + victim + " (active controller)", "markers sent while it is down",
        Integer.toString(duringBroker.markers().size()), "", secondsSince(killed, lastArrival(duringBroker, onGateway)));
    t = System.nanoTime();
    cluster.restart(victim);
    cluster.awaitFullyReplicated(READY);
    figure("restart broker " + victim, "every partition's ISR full again", "", "", seconds(System.nanoTime() - t));
    Batch afterBroker = send("broker-back");
    awaitDelivered(afterBroker, List.of(onGateway));

    // 2. SIGKILL of one processor: the other takes its partitions over (after the session timeout)
    long killedProcessor = nowUnixNs();
    processors.get(0).kill();
    Batch duringProcessor = send("processor-down");
    awaitDelivered(duringProcessor, List.of(onGateway));
    figure("SIGKILL processor-1", "markers sent while it is down", Integer.toString(duringProcessor.markers().size()),
        "", secondsSince(killedProcessor, lastArrival(duringProcessor, onGateway)));
    t = System.nanoTime();
    processors.get(0).restart();
    awaitProcessorRunning(processors.get(0), processorPorts[0]);
    awaitProcessorRunning(processors.get(1), processorPorts[1]);
    figure("restart processor-1", "both RUNNING again", "", "", seconds(System.nanoTime() - t));
    Batch afterProcessor = send("processor-back");
    awaitDelivered(afterProcessor, List.of(onGateway));

    // 3. a gateway restarted: the other one serves everything meanwhile; the restarted one serves
    // new clients from the end of the topics (its live view)
    long stoppedGateway = nowUnixNs();
    gateways.get(1).stop();
    disconnect(onGateway[1]);
    Batch duringGateway = send("gateway-down");
    gateways.get(1).restart();
    awaitGatewayReady(gateways.get(1), gatewayPorts[1]);
    long gatewayBack = nowUnixNs();
    awaitDelivered(duringGateway, List.of(onGateway[0]));
    onGateway[1] = watch("gateway-2 client (after restart)", gatewayPorts[1]);
    Batch afterGateway = send("gateway-back");
    awaitDelivered(afterGateway, List.of(onGateway));
    figure("restart gateway-2", "stop to serving again; markers sent meanwhile on gateway-1",
        Integer.toString(duringGateway.markers().size()), "", secondsSince(stoppedGateway, gatewayBack));

    // 4. one host cut off the cluster while it sends: its collector spools, then replays
    NetnsHost cutHost = hosts.get(2);
    Map<String, Long> before = collectorStatus(cutHost);
    long cut = nowUnixNs();
    cutHost.cut();
    Batch duringCut = send("host-3-cut");
    Batch othersOnly = new Batch(duringCut.label(), Map.of(1, duringCut.markersByHost().get(1), 2,
        duringCut.markersByHost().get(2)), duringCut.sentUnixNs());
    awaitDelivered(othersOnly, List.of(onGateway));
    // the cut host's collector captured its requests but cannot deliver them: they wait in its
    // spool, and its producer retries them (never failing them for time, which broke a partition's
    // order) until they have gone unanswered for two request timeouts (2 x 5 s)
    Map<String, Long> held = awaitCollector(cutHost, s -> s.get("captured") >= before.get("captured") + 2 * REQUESTS
        && s.get("spoolBytes") > 0 && s.get("oldestUnacknowledgedMs") >= 10_000, "holding unacknowledged records for 10 s");
    assertTrue(List.of(onGateway).stream().allMatch(w -> markersSeen(w, duringCut.markersByHost().get(3)).isEmpty()),
        "host 3's markers arrived while it was cut off");
    long healed = nowUnixNs();
    cutHost.heal();
    awaitDelivered(duringCut, List.of(onGateway));
    Map<String, Long> after = collectorStatus(cutHost);
    figure("cut host-3 off the cluster for " + secondsSince(cut, healed) + " s",
        "heal to its spooled markers delivered", Integer.toString(duringCut.markersByHost().get(3).size()),
        "spooled " + (held.get("spooled") - before.get("spooled")) + " records, " + held.get("spoolBytes")
            + " B held; resent " + (after.get("resent") - before.get("resent")),
        secondsSince(healed, lastArrival(duringCut, onGateway)));
    Batch afterCut = send("host-3-back");
    awaitDelivered(afterCut, List.of(onGateway));

    // every client, every batch it was connected for: exactly once, right host, in order
    for (Watcher w : watchers) {
      verify(w);
    }
    assertEquals(0, collectorStatus(hosts.get(0)).get("droppedInKernel"));
    // the idle flush ran with its default (1 s) and held messages in progress on progress marks
    long marksSent = 0;
    for (NetnsHost host : hosts) {
      marksSent += collectorStatus(host).get("progressMarksSent");
    }
    long marksRead = processorCounter(processorPorts, "progress_marks");
    assertTrue(marksSent > 0 && marksRead > 0, "progress marks sent " + marksSent + ", read " + marksRead);
    figure("progress marks", "sent by the collectors / read by the processors (since their start)",
        "", marksSent + " sent, " + marksRead + " read; idle flushes held "
            + processorCounter(processorPorts, "idle_flushes_held") + ", stalled flushes "
            + processorCounter(processorPorts, "stalled_flushes"), "");
    Map<String, Long> records = endOffsets(List.of(Topics.RAW, Topics.PARSED));
    int markers = batches.stream().mapToInt(b -> b.markers().size()).sum();
    figure("total", "markers sent / records in ecapture.raw / ecapture.parsed",
        Integer.toString(markers), records.get(Topics.RAW.name()) + " raw, " + records.get(Topics.PARSED.name())
            + " parsed; each client saw " + 2 * REQUESTS + " events per connection", seconds(System.nanoTime() - testStart));
    printFigures();
  }

  // ---- setup helpers

  private ComponentProcess component(String name, List<String> prefix, List<String> jvm, List<String> args)
      throws Exception {
    ComponentProcess c = ComponentProcess.start(name, dir.resolve(name + ".log"), prefix, jvm, args);
    components.add(c);
    return c;
  }

  private void assertReplicated() throws Exception {
    // a creation is acknowledged before every node's metadata has the topic: ask until all answer
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        checkReplicated();
        return;
      } catch (java.util.concurrent.ExecutionException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(250);
      }
    }
  }

  private void checkReplicated() throws Exception {
    try (Admin admin = cluster.admin()) {
      List<String> names = Topics.ALL.stream().map(Topic::name).toList();
      Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
      List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
      var configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
      for (String name : names) {
        TopicDescription d = topics.get(name);
        assertEquals(PARTITIONS, d.partitions().size(), name);
        d.partitions().forEach(p -> assertEquals(REPLICATION, p.replicas().size(), name + " replicas"));
        var minInsync = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name)).get("min.insync.replicas");
        assertEquals("2", minInsync.value(), name + " min.insync.replicas");
        assertEquals(org.apache.kafka.clients.admin.ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, minInsync.source(),
            name + ": min.insync.replicas chosen by `topics`, not the cluster default");
      }
    }
  }

  private void awaitGatewayReady(ComponentProcess gateway, int port) throws Exception {
    // ready = both topics' partitions assigned and their start positions fixed
    awaitTrue(gateway, () -> httpGet(port, "/status").contains("\"assignedPartitions\":" + 2 * PARTITIONS),
        "gateway serving with all partitions");
  }

  private void awaitProcessorRunning(ComponentProcess processor, int port) throws Exception {
    awaitTrue(processor, () -> httpGet(port, "/status").contains("\"state\":\"RUNNING\""), "processor RUNNING");
  }

  private void awaitCollector(ComponentProcess collector, NetnsHost host) throws Exception {
    awaitTrue(collector, () -> {
      try {
        return !collectorStatusText(host).isEmpty();
      } catch (Exception e) {
        return false;
      }
    }, "collector status answering");
  }

  private void awaitTrue(ComponentProcess c, BooleanSupplier ready, String what) throws InterruptedException {
    long deadline = System.nanoTime() + READY.toNanos();
    while (System.nanoTime() < deadline) {
      if (!c.isAlive()) {
        fail(c.name() + " exited before " + what + ":\n" + c.tail(40));
      }
      if (ready.getAsBoolean()) {
        return;
      }
      Thread.sleep(250);
    }
    fail(c.name() + " not " + what + " within " + READY + ":\n" + c.tail(40));
  }

  private Map<String, Long> awaitCollector(NetnsHost host, java.util.function.Predicate<Map<String, Long>> condition,
      String what) throws Exception {
    long deadline = System.nanoTime() + DELIVERY.toNanos();
    Map<String, Long> status = Map.of();
    while (System.nanoTime() < deadline) {
      status = collectorStatus(host);
      if (condition.test(status)) {
        return status;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("collector of " + host.hostId + " not " + what + " within " + DELIVERY + ": " + status);
  }

  private String collectorStatusText(NetnsHost host) throws Exception {
    return host.runInside(List.of("curl", "-sf", "-m", "5", "http://127.0.0.1:" + COLLECTOR_STATUS_PORT + "/status"));
  }

  private static final Pattern NUMBER_FIELD = Pattern.compile("\"(\\w+)\":(-?\\d+)[,}]");

  /** The collector's numeric /status fields (read inside its namespace, where it listens). */
  private Map<String, Long> collectorStatus(NetnsHost host) throws Exception {
    Map<String, Long> fields = new HashMap<>();
    Matcher m = NUMBER_FIELD.matcher(collectorStatusText(host));
    while (m.find()) {
      fields.putIfAbsent(m.group(1), Long.parseLong(m.group(2)));
    }
    return fields;
  }

  /** One of the processors' own counters ({@code ecapture_processor_<name>_total}), summed over them. */
  private long processorCounter(int[] ports, String name) {
    Pattern line = Pattern.compile("(?m)^ecapture_processor_" + name + "_total(?:\\{[^}]*\\})? ([0-9.Ee+]+)$");
    long sum = 0;
    for (int port : ports) {
      Matcher m = line.matcher(httpGet(port, "/metrics"));
      while (m.find()) {
        sum += (long) Double.parseDouble(m.group(1));
      }
    }
    return sum;
  }

  private String httpGet(int port, String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      return "";
    }
  }

  private Watcher watch(String name, int port) throws InterruptedException {
    EcaptureqTestClient client = new EcaptureqTestClient(port, "/?annotate=host");
    if (client.await(e -> e.getLogType() == LogType.HEARTBEAT, Duration.ofSeconds(30)) == null) {
      fail(name + " got no heartbeat at connect");
    }
    Watcher w = new Watcher(name, client, new ArrayList<>());
    watchers.add(w);
    connected.add(w);
    return w;
  }

  /** Closes a watcher's connection (if its gateway has not) and stops expecting batches from it. */
  private void disconnect(Watcher w) {
    connected.remove(w);
    try {
      w.client().close();
    } catch (RuntimeException e) {
      // already closed by the gateway that went away
    }
  }

  /**
   * Sends a warm-up request from every host until each shows up on every client: probes attached,
   * processors assigned, gateways reading. Warm-up markers are not part of the checks.
   */
  private void warmUp() throws Exception {
    long deadline = System.nanoTime() + READY.toNanos();
    Set<Integer> pending = new java.util.HashSet<>(Set.of(1, 2, 3));
    int round = 0;
    while (!pending.isEmpty()) {
      if (System.nanoTime() > deadline) {
        fail("hosts " + pending + " never came through the pipeline");
      }
      round++;
      Map<Integer, String> sent = new HashMap<>();
      for (int h : pending) {
        String marker = "warm" + run + "-" + round + "-h" + h;
        hosts.get(h - 1).curl(List.of(marker));
        sent.put(h, marker);
      }
      long roundEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (System.nanoTime() < roundEnd && !pending.isEmpty()) {
        for (var e : sent.entrySet()) {
          if (watchers.stream().allMatch(w -> !markersSeen(w, List.of(e.getValue())).isEmpty())) {
            pending.remove(e.getKey());
          }
        }
        Thread.sleep(200);
      }
    }
  }

  // ---- traffic and checks

  /** One curl per host, {@value #REQUESTS} requests on one connection; every watcher must see it. */
  private Batch send(String label) throws Exception {
    int index = batches.size() + 1;
    long sent = nowUnixNs();
    Map<Integer, List<String>> byHost = new LinkedHashMap<>();
    for (int h = 1; h <= hosts.size(); h++) {
      List<String> markers = new ArrayList<>();
      for (int i = 1; i <= REQUESTS; i++) {
        markers.add("ck" + run + "-b" + index + "-h" + h + "-" + i);
      }
      hosts.get(h - 1).curl(markers);
      byHost.put(h, markers);
    }
    Batch batch = new Batch(index + ":" + label, byHost, sent);
    batches.add(batch);
    for (Watcher w : connected) {
      w.expected().add(batch);
    }
    return batch;
  }

  /** Waits until each watcher saw each marker's request and response; fails with what is missing. */
  private void awaitDelivered(Batch batch, List<Watcher> on) throws InterruptedException {
    long deadline = System.nanoTime() + DELIVERY.toNanos();
    while (true) {
      Map<String, List<String>> missing = new LinkedHashMap<>();
      for (Watcher w : on) {
        List<String> lacking = new ArrayList<>();
        Map<String, int[]> seen = counts(w);
        for (String m : batch.markers()) {
          int[] c = seen.get(m);
          if (c == null || c[0] == 0 || c[1] == 0) {
            lacking.add(m);
          }
        }
        if (!lacking.isEmpty()) {
          missing.put(w.name(), lacking);
        }
      }
      if (missing.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        fail("batch " + batch.label() + " not delivered within " + DELIVERY + "; missing " + missing
            + "; " + diagnose(missing.values().stream().flatMap(List::stream).distinct().toList())
            + "; logs in " + dir);
      }
      Thread.sleep(200);
    }
  }

  /**
   * Where the missing markers are: what each client saw of them, and how many records of each
   * topic carry them (read from the beginning), to tell a capture, processing or delivery loss.
   */
  private String diagnose(List<String> markers) {
    StringBuilder s = new StringBuilder();
    for (Watcher w : watchers) {
      Map<String, int[]> counts = counts(w);
      s.append(w.name()).append(" saw (requests, responses): ");
      markers.forEach(m -> s.append(m).append('=')
          .append(java.util.Arrays.toString(counts.getOrDefault(m, new int[2]))).append(' '));
    }
    Map<String, Object> props = Map.of("bootstrap.servers", cluster.bootstrapServers(),
        "isolation.level", "read_committed");
    for (Topic<?, ?> topic : List.of(Topics.RAW, Topics.PARSED, Topics.DLQ)) {
      Map<String, Integer> found = new LinkedHashMap<>();
      markers.forEach(m -> found.put(m, 0));
      List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
      try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(props,
          new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
          new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
        List<TopicPartition> parts = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
          parts.add(new TopicPartition(topic.name(), p));
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        Map<TopicPartition, Long> end = consumer.endOffsets(parts);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
          for (var r : consumer.poll(Duration.ofMillis(500))) {
            all.add(r);
            String text = new String(r.value(), StandardCharsets.ISO_8859_1);
            markers.forEach(m -> found.merge(m, text.contains(m) ? 1 : 0, Integer::sum));
          }
        }
      } catch (RuntimeException e) {
        s.append(topic.name()).append(": ").append(e).append(' ');
        continue;
      }
      s.append("records in ").append(topic.name()).append(" carrying each: ").append(found).append(' ');
      if (topic == Topics.RAW) {
        // every raw record of the connections concerned, in partition order: which arrived when
        Set<String> keys = new java.util.HashSet<>();
        for (var r : all) {
          String text = new String(r.value(), StandardCharsets.ISO_8859_1);
          if (markers.stream().anyMatch(text::contains)) {
            keys.add(new String(r.key(), StandardCharsets.UTF_8));
          }
        }
        for (var r : all) {
          if (keys.contains(new String(r.key(), StandardCharsets.UTF_8))) {
            try {
              var e = io.ecapture.kafka.proto.capture.RawEvent.parseFrom(r.value());
              s.append("\n  raw ").append(r.partition()).append('@').append(r.offset()).append(" t=")
                  .append(r.timestamp()).append(' ').append(e.getBodyCase());
              if (e.hasData()) {
                String text = e.getData().getPayload().toString(StandardCharsets.ISO_8859_1);
                s.append(' ').append(e.getData().getDirection()).append(" off=").append(e.getData().getOffset())
                    .append(" len=").append(e.getData().getPayload().size()).append(" '")
                    .append(text.substring(0, Math.min(40, text.length())).replace("\r\n", "|")).append('\'');
              }
            } catch (Exception ex) {
              s.append("\n  raw ").append(r.offset()).append(" undecodable");
            }
          }
        }
      }
    }
    return s.toString();
  }

  /** Markers of {@code markers} of which {@code w} has seen any event. */
  private static List<String> markersSeen(Watcher w, List<String> markers) {
    List<String> seen = new ArrayList<>();
    for (LogEntry e : w.client().received()) {
      if (e.getLogType() == LogType.EVENT) {
        String payload = e.getEventPayload().getPayload().toString(StandardCharsets.UTF_8);
        markers.stream().filter(m -> payload.contains("/" + m + " ") || payload.endsWith("path=/" + m)).forEach(seen::add);
      }
    }
    return seen;
  }

  /** One event of ours as a client saw it. */
  private record Seen(String marker, int type, String host, long receivedUnixNs) {}

  private Pattern markerPattern() {
    return Pattern.compile("/(ck" + run + "-b\\d+-h(\\d)-(\\d+))(?:\\s|$)");
  }

  private List<Seen> events(Watcher w) {
    Pattern pattern = markerPattern();
    List<Seen> out = new ArrayList<>();
    for (EcaptureqTestClient.Received r : w.client().frames()) {
      LogEntry e = r.entry();
      if (e.getLogType() != LogType.EVENT) {
        continue;
      }
      Matcher m = pattern.matcher(e.getEventPayload().getPayload().toString(StandardCharsets.UTF_8));
      if (!m.find()) {
        continue;
      }
      var hostField = e.getUnknownFields().getField(15);
      String host = hostField == null || hostField.getLengthDelimitedList().isEmpty() ? ""
          : hostField.getLengthDelimitedList().get(0).toStringUtf8();
      out.add(new Seen(m.group(1), e.getEventPayload().getType(), host, r.receivedUnixNs()));
    }
    return out;
  }

  /** Per marker: {requests, responses} a watcher has seen. */
  private Map<String, int[]> counts(Watcher w) {
    Map<String, int[]> counts = new HashMap<>();
    for (Seen s : events(w)) {
      int[] c = counts.computeIfAbsent(s.marker(), k -> new int[2]);
      if (s.type() == 1) {
        c[0]++;
      } else if (s.type() == 3) {
        c[1]++;
      }
    }
    return counts;
  }

  /** When the last event of {@code batch} arrived at any of the watchers (Unix ns). */
  private long lastArrival(Batch batch, Watcher... on) {
    Set<String> markers = Set.copyOf(batch.markers());
    long last = 0;
    for (Watcher w : on) {
      for (Seen s : events(w)) {
        if (markers.contains(s.marker())) {
          last = Math.max(last, s.receivedUnixNs());
        }
      }
    }
    return last;
  }

  private String sinceSent(Batch batch, Batch of, Watcher... on) {
    return secondsSince(batch.sentUnixNs(), lastArrival(of, on));
  }

  /**
   * Exactly once: each marker of every batch the watcher was connected for has one request and one
   * response, no marker of ours shows more; each carries its host's id; each connection's events
   * come request 1, response 1, request 2, ... as curl exchanged them.
   */
  private void verify(Watcher w) {
    List<Seen> events = events(w);
    Map<String, List<Seen>> byMarker = events.stream().collect(Collectors.groupingBy(Seen::marker));
    List<String> problems = new ArrayList<>();
    for (var e : byMarker.entrySet()) {
      long requests = e.getValue().stream().filter(s -> s.type() == 1).count();
      long responses = e.getValue().stream().filter(s -> s.type() == 3).count();
      if (requests > 1 || responses > 1 || requests + responses != e.getValue().size()) {
        problems.add(e.getKey() + " seen " + e.getValue().size() + " times (" + requests + " requests, "
            + responses + " responses)");
      }
    }
    for (Batch b : w.expected()) {
      for (var h : b.markersByHost().entrySet()) {
        String hostId = hosts.get(h.getKey() - 1).hostId;
        List<String> sequence = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (String m : h.getValue()) {
          expected.add("request " + m);
          expected.add("response " + m);
        }
        Set<String> mine = Set.copyOf(h.getValue());
        for (Seen s : events) {
          if (mine.contains(s.marker())) {
            sequence.add((s.type() == 1 ? "request " : s.type() == 3 ? "response " : "type " + s.type() + " ")
                + s.marker());
            if (!hostId.equals(s.host())) {
              problems.add(s.marker() + " annotated with host '" + s.host() + "', sent by " + hostId);
            }
          }
        }
        if (!sequence.equals(expected)) {
          problems.add("batch " + b.label() + " host " + h.getKey() + ": got " + sequence);
        }
      }
    }
    assertTrue(problems.isEmpty(), w.name() + ": " + problems);
    assertTrue(w.client().errors().isEmpty(), w.name() + ": " + w.client().errors());
  }

  private Map<String, Long> endOffsets(List<Topic<?, ?>> topics) throws Exception {
    Map<String, Long> totals = new HashMap<>();
    try (Admin admin = cluster.admin()) {
      Map<TopicPartition, OffsetSpec> request = new HashMap<>();
      for (Topic<?, ?> topic : topics) {
        for (int p = 0; p < PARTITIONS; p++) {
          request.put(new TopicPartition(topic.name(), p), OffsetSpec.latest());
        }
      }
      admin.listOffsets(request).all().get(30, TimeUnit.SECONDS)
          .forEach((tp, info) -> totals.merge(tp.topic(), info.offset(), Long::sum));
    }
    return totals;
  }

  // ---- figures

  private void figure(String fault, String measure, String markers, String detail, String seconds) {
    figures.add(new String[] {fault, measure, markers, detail, seconds});
  }

  private void printFigures() {
    StringBuilder s = new StringBuilder("\nClusterFaultToleranceTest figures (run " + run + ", " + Instant.now()
        + "; 3 KRaft nodes, RF 3, min.insync.replicas 2, " + PARTITIONS + " partitions; 3 hosts, 2 processors, 2 gateways)\n");
    String format = "| %-42s | %-58s | %7s | %-60s | %8s |%n";
    s.append(String.format(format, "fault", "measured", "markers", "detail", "seconds"));
    s.append(String.format(format, "-".repeat(42), "-".repeat(58), "-".repeat(7), "-".repeat(60), "-".repeat(8)));
    for (String[] f : figures) {
      s.append(String.format(format, (Object[]) f));
    }
    System.out.println(s);
  }

  private static long nowUnixNs() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private static String secondsSince(long fromUnixNs, long toUnixNs) {
    return seconds(toUnixNs - fromUnixNs);
  }

  private static String seconds(long ns) {
    return String.format("%.1f", ns / 1e9);
  }
}
