package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.processor.ProcessorConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The shipped deployment against the real command tree: every container of {@code
 * docker-compose.yml} and of every manifest under {@code deploy/kubernetes/}, and the {@code
 * Dockerfile}'s entrypoint, user, exposed ports and probe script. Each command line is parsed by
 * picocli with the launcher's {@link Main} (a renamed or removed flag fails here); ports are
 * compared with the components' defaults or the flags that change them; every environment
 * variable must be one the invoked command reads (its options name it) or one the manifest itself
 * expands; every file a flag or variable names must be mounted; the collector must get what its
 * code uses from the host (BTF, the cgroup2 tree, the host's processes, the kubelet's pod logs,
 * the capabilities {@link CollectorCapabilitiesTest} runs it with); probes must ask {@code
 * /status} on the port the component serves it on. Nothing here needs Docker or Kubernetes.
 */
class DeploymentConsistencyTest {
  static final Path ROOT = repositoryRoot();
  static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
  static final Path MANIFESTS = ROOT.resolve("deploy/kubernetes");
  static final Path DOCKERFILE = ROOT.resolve("Dockerfile");
  /** Environment variables the JVM itself (or its C library: malloc) reads, not a command's options. */
  static final Set<String> JVM_ENV = Set.of("JAVA_TOOL_OPTIONS", "MALLOC_ARENA_MAX");
  static final String PROBE = "/opt/ecapture-kafka/bin/status-probe";
  /** The image's user for everything but the collector. */
  static final long APP_UID = 10001;
  /** What the collector needs at least: uprobe perf events, /proc of other processes. */
  static final Set<String> COLLECTOR_REQUIRED_CAPABILITIES = Set.of("SYS_ADMIN", "SYS_PTRACE");
  /** Host paths the collector reads, where its code reads them. */
  static final String BTF = "/sys/kernel/btf";
  static final String CGROUP = "/sys/fs/cgroup";
  static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
  static final Pattern ENV_IN_HELP = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)|\\b(ECAPTURE_[A-Z0-9_]+)\\b");
  static final Pattern COMPOSE_DEFAULT = Pattern.compile("\\$\\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)}");

  /** A volume or file placed into a container: where, whether writable, what provides it. */
  record Mount(String path, boolean readOnly, String hostPath, Set<String> files) {}

  /** One container of an ecapture-kafka service, from compose or a manifest. */
  record Container(
      String where,
      String image,
      List<String> args,
      Map<String, String> env,
      List<Mount> mounts,
      Map<String, List<String>> probes,
      boolean hostPid,
      boolean privileged,
      Long uid,
      Set<String> capabilities,
      List<Integer> containerPorts,
      int replicas) {}

  @Test
  void composeRunsThreeKraftBrokersOfTheBuildsKafkaVersion() throws IOException {
    Map<String, Object> services = map(loadCompose().get("services"));
    List<Map<String, Object>> brokers = new ArrayList<>();
    services.forEach((name, service) -> {
      if (str(map(service).get("image")).startsWith("apache/kafka:")) {
        brokers.add(map(service));
      }
    });
    assertEquals(3, brokers.size(), "a 3-broker KRaft cluster from the official apache/kafka image");
    Set<String> nodeIds = new LinkedHashSet<>();
    Set<String> advertised = new LinkedHashSet<>();
    for (Map<String, Object> broker : brokers) {
      assertEquals("apache/kafka:" + AppInfoParser.getVersion(), broker.get("image"),
          "the brokers run the Kafka release the build uses");
      Map<String, Object> env = map(broker.get("environment"));
      assertEquals("broker,controller", env.get("KAFKA_PROCESS_ROLES"));
      assertEquals(3, str(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS")).split(",").length, env.toString());
      assertEquals("2", str(env.get("KAFKA_MIN_INSYNC_REPLICAS")));
      assertEquals("3", str(env.get("KAFKA_DEFAULT_REPLICATION_FACTOR")));
      assertNotNull(env.get("CLUSTER_ID"), "one cluster id formats every node's storage");
      nodeIds.add(str(env.get("KAFKA_NODE_ID")));
      advertised.add(str(env.get("KAFKA_ADVERTISED_LISTENERS")).replace("PLAINTEXT://", ""));
    }
    assertEquals(3, nodeIds.size(), "distinct node ids");
    for (Container c : composeContainers()) {
      String bootstrap = c.env().get("ECAPTURE_KAFKA_BOOTSTRAP");
      assertNotNull(bootstrap, c.where() + " names the cluster");
      assertEquals(advertised, new LinkedHashSet<>(List.of(bootstrap.split(","))), c.where() + " bootstraps from every broker");
    }
    Container topics = only(composeContainers(), "topics");
    assertEquals((short) 3, option(topics, "--replication-factor").<Short>getValue(), "replication factor 3");
    assertEquals(2, ((Number) option(topics, "--min-insync-replicas").getValue()).intValue(), "min.insync.replicas 2");
  }

  @Test
  void everyComposeAndManifestCommandLineParsesAgainstTheRealCommandTree() throws IOException {
    List<Container> all = allContainers();
    Set<String> seen = new LinkedHashSet<>();
    for (Container c : all) {
      seen.add(c.where().substring(0, c.where().indexOf(':')) + ":" + subcommand(c).name());
    }
    for (String where : List.of("compose", "kubernetes")) {
      for (String sub : List.of("topics", "collector", "processor", "gateway")) {
        assertTrue(seen.contains(where + ":" + sub), where + " runs " + sub + ": " + seen);
      }
    }
  }

  @Test
  void imagesAndUsers() throws IOException {
    String version = new CommandLine(new Main()).getCommandSpec().version()[0].replaceAll(".* ", "");
    for (Container c : allContainers()) {
      assertEquals("ecapture-kafka:" + version, c.image(), c.where() + " runs the project's image");
      if (subcommand(c).name().equals("collector")) {
        continue;
      }
      assertFalse(c.privileged(), c.where() + " is not privileged");
      assertTrue(c.uid() == null || c.uid() == APP_UID, c.where() + " runs as the image's user " + APP_UID + ", not " + c.uid());
      assertTrue(c.capabilities().isEmpty(), c.where() + " adds no capability");
    }
  }

  @Test
  void environmentVariablesAreOnesTheCommandReads() throws IOException {
    for (Container c : allContainers()) {
      Set<String> read = envRead(subcommand(c));
      Set<String> expanded = new LinkedHashSet<>();
      for (String arg : c.args()) {
        Matcher m = ENV_REFERENCE.matcher(arg);
        while (m.find()) {
          expanded.add(m.group(1));
          assertTrue(c.env().containsKey(m.group(1)), c.where() + ": $(" + m.group(1) + ") is not defined");
        }
      }
      for (String name : c.env().keySet()) {
        assertTrue(read.contains(name) || expanded.contains(name) || JVM_ENV.contains(name),
            c.where() + " sets " + name + ", which `" + subcommand(c).qualifiedName()
                + "` does not read (it names " + read + ")");
      }
      String commandConfig = c.env().get("ECAPTURE_KAFKA_COMMAND_CONFIG");
      if (commandConfig != null) {
        assertProvided(c, commandConfig, false);
      }
    }
  }

  @Test
  void filesFlagsNameAreMountedAndWritableWhereWritten() throws IOException {
    String dockerfile = Files.readString(DOCKERFILE);
    for (Container c : allContainers()) {
      CommandSpec sub = subcommand(c);
      for (String flag : List.of("--token-file", "--tls-keystore", "--tls-keystore-password-file", "--command-config")) {
        OptionSpec o = sub.findOption(flag);
        if (o != null && o.getValue() != null) {
          assertProvided(c, o.getValue().toString(), false);
        }
      }
      if (sub.name().equals("processor")) {
        String state = option(c, "--state-dir").getValue().toString();
        boolean mounted = writableMount(c, state) != null;
        assertTrue(mounted || dockerfile.contains("mkdir -p " + state),
            c.where() + ": --state-dir " + state + " is neither a writable mount nor made by the image");
      }
    }
  }

  @Test
  void theCollectorGetsWhatItsCodeUsesFromTheHost() throws IOException {
    for (Container c : allContainers()) {
      if (!subcommand(c).name().equals("collector")) {
        continue;
      }
      assertTrue(c.hostPid(), c.where() + ": the host's PID namespace (its /proc, /proc/1/root)");
      assertEquals(0L, c.uid(), c.where() + ": root (the image's user is " + APP_UID + ")");
      assertTrue(c.privileged() || c.capabilities().containsAll(COLLECTOR_REQUIRED_CAPABILITIES),
          c.where() + ": privileged or " + COLLECTOR_REQUIRED_CAPABILITIES + ", has " + c.capabilities());
      Set<String> needed = new LinkedHashSet<>(List.of(BTF, CGROUP));
      if (c.where().startsWith("kubernetes")) {
        needed.add(option(c, "--pod-log-root").getValue().toString());
      }
      for (String path : needed) {
        Mount m = mountAt(c, path);
        assertNotNull(m, c.where() + " mounts the host's " + path);
        assertEquals(path, m.hostPath(), c.where() + ": " + path + " from the same host path");
      }
      String dataDir = option(c, "--data-dir").getValue().toString();
      assertNotNull(writableMount(c, dataDir), c.where() + ": --data-dir " + dataDir + " (spool, token) is a writable volume");
      for (Mount m : c.mounts()) {
        if (m.hostPath() != null && m.hostPath().startsWith("/")) {
          assertTrue(needed.contains(m.hostPath()) || m.path().equals(dataDir),
              c.where() + " mounts host path " + m.hostPath() + ", which the collector does not use");
        }
      }
      List<?> libssl = option(c, "--libssl").getValue();
      assertNotNull(libssl, c.where() + " names the host's libssl");
      for (Object path : libssl) {
        assertTrue(path.toString().startsWith("/proc/1/root/"),
            c.where() + ": --libssl " + path + " must be the host's file (through /proc/1/root with the host PID namespace)");
      }
      assertEquals(CollectorConfig.DEFAULT_STATUS_PORT, statusPort(c), c.where());
    }
  }

  @Test
  void probesAskStatusOnThePortEachComponentServesItOn() throws IOException {
    for (Container c : allContainers()) {
      String sub = subcommand(c).name();
      if (sub.equals("topics")) {
        assertTrue(c.probes().isEmpty(), c.where() + ": a job has no probes");
        continue;
      }
      Set<String> expected = c.where().startsWith("compose") ? Set.of("healthcheck") : Set.of("liveness", "readiness");
      assertEquals(expected, c.probes().keySet(), c.where() + " probes");
      for (Map.Entry<String, List<String>> probe : c.probes().entrySet()) {
        List<String> cmd = probe.getValue();
        String what = c.where() + " " + probe.getKey() + " probe " + cmd;
        assertEquals(PROBE, cmd.getFirst(), what);
        Map<String, String> flags = probeFlags(cmd.subList(1, cmd.size()), what);
        assertEquals(String.valueOf(statusPort(c)), flags.get("--port"), what + ": the port of " + sub + "'s /status");
        if (sub.equals("gateway")) {
          Object tokenFile = option(c, "--token-file").getValue();
          assertEquals(tokenFile == null ? null : tokenFile.toString(), flags.get("--token-file"), what + ": the gateway's token");
        } else {
          assertFalse(flags.containsKey("--token-file"), what + ": /status of " + sub + " needs no token");
        }
        if (flags.containsKey("--expect")) {
          assertEquals("\"running\":true", flags.get("--expect"), what);
        }
      }
    }
    String dockerfile = Files.readString(DOCKERFILE);
    assertTrue(dockerfile.lines().anyMatch(l -> l.startsWith("COPY ") && l.endsWith(" " + PROBE)),
        "the image holds " + PROBE);
  }

  @Test
  void portsMatchWhereTheComponentsListen() throws IOException {
    for (Container c : allContainers()) {
      String sub = subcommand(c).name();
      if (sub.equals("gateway")) {
        String listen = option(c, "--listen").getValue().toString();
        String host = listen.substring(0, listen.lastIndexOf(':'));
        assertEquals("0.0.0.0", host, c.where() + ": a gateway in a container listens beyond its loopback");
        assertEquals(List.of(GatewayConfig.DEFAULT_PORT), c.containerPorts(), c.where() + " publishes the gateway's port");
        assertEquals(GatewayConfig.DEFAULT_PORT, statusPort(c));
      } else {
        assertTrue(c.containerPorts().isEmpty(), c.where() + ": " + sub + " serves nothing beyond loopback");
      }
      if (sub.equals("processor")) {
        assertEquals(ProcessorConfig.DEFAULT_STATUS_PORT, statusPort(c), c.where());
      }
    }
    // the Service reaches the gateway's container port through the pods its selector picks
    for (Map<String, Object> doc : manifests()) {
      if (!"Service".equals(doc.get("kind"))) {
        continue;
      }
      Map<String, Object> spec = map(doc.get("spec"));
      Map<String, Object> selector = map(spec.get("selector"));
      List<Map<String, Object>> selected = new ArrayList<>();
      for (Map<String, Object> workload : manifests()) {
        Map<String, Object> template = map(map(workload.get("spec")).get("template"));
        if (!template.isEmpty() && map(map(template.get("metadata")).get("labels")).entrySet().containsAll(selector.entrySet())) {
          selected.add(workload);
        }
      }
      assertEquals(1, selected.size(), "Service " + name(doc) + " selects one workload");
      Map<String, Object> container = map(list(map(map(map(selected.getFirst().get("spec")).get("template")).get("spec"))
          .get("containers")).getFirst());
      for (Object p : list(spec.get("ports"))) {
        Object target = map(p).get("targetPort");
        Map<String, Object> port = list(container.get("ports")).stream().map(DeploymentConsistencyTest::map)
            .filter(cp -> target.equals(cp.get("name")) || target.equals(cp.get("containerPort"))).findFirst()
            .orElseThrow(() -> new AssertionError("Service " + name(doc) + " targets port " + target + " the pod does not have"));
        assertEquals(GatewayConfig.DEFAULT_PORT, ((Number) port.get("containerPort")).intValue());
      }
    }
  }

  @Test
  void processorsDoNotOutnumberPartitions() throws IOException {
    for (String where : List.of("compose", "kubernetes")) {
      List<Container> cs = allContainers().stream().filter(c -> c.where().startsWith(where)).toList();
      int partitions = option(only(cs, "topics"), "--partitions").getValue();
      Container processor = only(cs, "processor");
      assertTrue(processor.replicas() >= 2 && processor.replicas() <= partitions,
          where + ": " + processor.replicas() + " processors for " + partitions + " partitions");
    }
  }

  @Test
  void collectorsRunWithTheAgentJvmFlagsOfTheLauncherScript() throws IOException {
    Matcher m = Pattern.compile("(?m)^COLLECTOR_JAVA_OPTS=\"([^\"]+)\"$").matcher(Files.readString(ROOT.resolve("ecapture-kafka")));
    assertTrue(m.find(), "./ecapture-kafka names the collector's JVM flags");
    String agentFlags = m.group(1);
    assertTrue(agentFlags.contains("-Xmx"), "a bounded heap: " + agentFlags);
    Matcher arenas = Pattern.compile("(?m)^COLLECTOR_MALLOC_ARENA_MAX=\"([^\"]+)\"$")
        .matcher(Files.readString(ROOT.resolve("ecapture-kafka")));
    assertTrue(arenas.find(), "./ecapture-kafka names the collector's malloc arena limit");
    for (Container c : allContainers()) {
      String flags = c.env().get("JAVA_TOOL_OPTIONS");
      if (subcommand(c).name().equals("collector")) {
        assertEquals(agentFlags, flags, c.where() + ": the agent flags `./ecapture-kafka collector` uses");
        assertEquals(arenas.group(1), c.env().get("MALLOC_ARENA_MAX"), c.where() + ": the agent's malloc arenas");
      } else {
        assertNull(flags, c.where() + ": only the collector gets the agent's small heap");
        assertNull(c.env().get("MALLOC_ARENA_MAX"), c.where() + ": only the collector limits malloc arenas");
      }
    }
  }

  @Test
  void dockerfileEntrypointRunsTheLauncherAsTheAppUser() throws IOException {
    Dockerfile image = Dockerfile.parse(DOCKERFILE);
    assertEquals(List.of("java", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"),
        image.entrypoint().subList(0, 3), "the JVM flags every component needs (FFM, Kafka on JDK 25)");
    int jar = image.entrypoint().indexOf("-jar");
    assertTrue(jar > 0, "runs the launcher jar: " + image.entrypoint());
    String jarPath = image.entrypoint().get(jar + 1);
    assertEquals("fleet-launcher/target/ecapture-kafka.jar", image.sourceOf(jarPath), "the jar the build packages");
    assertEquals(APP_UID + ":" + APP_UID, image.user());
    assertEquals(Set.of(GatewayConfig.DEFAULT_PORT), image.exposed(),
        "exposed: the gateway's port; the collector's and processor's status ports are loopback only");
    // the default command prints the real command tree's usage
    CommandLine cli = new CommandLine(new Main());
    assertTrue(cli.parseArgs(image.cmd().toArray(String[]::new)).isUsageHelpRequested(), "CMD " + image.cmd());
  }

  // ---- the model --------------------------------------------------------------------------

  static List<Container> allContainers() throws IOException {
    List<Container> all = new ArrayList<>(composeContainers());
    all.addAll(kubernetesContainers());
    return all;
  }

  static Map<String, Object> loadCompose() throws IOException {
    try (Reader reader = Files.newBufferedReader(COMPOSE)) {
      return map(yaml().load(reader));
    }
  }

  static List<Container> composeContainers() throws IOException {
    Map<String, Object> compose = loadCompose();
    Map<String, Object> configs = map(compose.get("configs"));
    Map<String, Object> secrets = map(compose.get("secrets"));
    List<Container> out = new ArrayList<>();
    map(compose.get("services")).forEach((name, value) -> {
      Map<String, Object> s = map(value);
      if (!str(s.get("image")).startsWith("ecapture-kafka:")) {
        return;
      }
      List<String> args = list(s.get("command")).stream().map(a -> interpolate(str(a))).toList();
      Map<String, String> env = new LinkedHashMap<>();
      map(s.get("environment")).forEach((k, v) -> env.put(k, str(v)));
      List<Mount> mounts = new ArrayList<>();
      for (Object v : list(s.get("volumes"))) {
        String[] parts = str(v).split(":");
        boolean bind = parts[0].startsWith("/") || parts[0].startsWith(".");
        mounts.add(new Mount(parts[1], parts.length > 2 && parts[2].contains("ro"), bind ? parts[0] : null, Set.of()));
      }
      for (Object c : list(s.get("configs"))) {
        String source = str(map(c).get("source"));
        assertTrue(configs.containsKey(source), "compose config " + source + " is declared");
        String target = str(map(c).get("target"));
        mounts.add(new Mount(target, true, null, Set.of(target)));
      }
      for (Object secret : list(s.get("secrets"))) {
        String source = secret instanceof Map<?, ?> m ? str(m.get("source")) : str(secret);
        assertTrue(secrets.containsKey(source), "compose secret " + source + " is declared");
        mounts.add(new Mount("/run/secrets/" + source, true, null, Set.of("/run/secrets/" + source)));
      }
      Map<String, List<String>> probes = new LinkedHashMap<>();
      Object health = map(s.get("healthcheck")).get("test");
      if (health != null) {
        List<String> test = list(health).stream().map(DeploymentConsistencyTest::str).toList();
        assertEquals("CMD", test.getFirst(), name + " healthcheck runs the probe directly");
        probes.put("healthcheck", test.subList(1, test.size()));
      }
      List<Integer> ports = new ArrayList<>();
      for (Object p : list(s.get("ports"))) {
        String[] parts = str(p).split(":");
        ports.add(Integer.parseInt(parts[parts.length - 1]));
      }
      String user = s.containsKey("user") ? str(s.get("user")) : null;
      Object replicas = map(s.get("deploy")).get("replicas");
      out.add(new Container("compose:" + name, str(s.get("image")), args, env, mounts, probes,
          "host".equals(s.get("pid")), Boolean.TRUE.equals(s.get("privileged")),
          user == null ? null : Long.parseLong(user.split(":")[0]), Set.of(), ports,
          replicas == null ? 1 : ((Number) replicas).intValue()));
    });
    return out;
  }

  static List<Map<String, Object>> manifests() throws IOException {
    List<Map<String, Object>> docs = new ArrayList<>();
    try (Stream<Path> files = Files.list(MANIFESTS)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        try (Reader reader = Files.newBufferedReader(file)) {
          for (Object doc : yaml().loadAll(reader)) {
            if (doc != null) {
              Map<String, Object> m = new LinkedHashMap<>(map(doc));
              m.put("__file", file.getFileName().toString());
              docs.add(m);
            }
          }
        }
      }
    }
    assertFalse(docs.isEmpty(), "manifests under " + MANIFESTS);
    return docs;
  }

  static List<Container> kubernetesContainers() throws IOException {
    List<Map<String, Object>> docs = manifests();
    Map<String, Map<String, Object>> configMaps = new LinkedHashMap<>();
    Map<String, Map<String, Object>> secrets = new LinkedHashMap<>();
    for (Map<String, Object> doc : docs) {
      if ("ConfigMap".equals(doc.get("kind"))) {
        configMaps.put(name(doc), map(doc.get("data")));
      } else if ("Secret".equals(doc.get("kind"))) {
        Map<String, Object> data = new LinkedHashMap<>(map(doc.get("data")));
        data.putAll(map(doc.get("stringData")));
        secrets.put(name(doc), data);
      }
    }
    List<Container> out = new ArrayList<>();
    for (Map<String, Object> doc : docs) {
      String kind = str(doc.get("kind"));
      if (!Set.of("DaemonSet", "Deployment", "Job", "StatefulSet").contains(kind)) {
        continue;
      }
      Map<String, Object> spec = map(doc.get("spec"));
      Map<String, Object> pod = map(map(spec.get("template")).get("spec"));
      Map<String, Map<String, Object>> volumes = new LinkedHashMap<>();
      for (Object v : list(pod.get("volumes"))) {
        volumes.put(str(map(v).get("name")), map(v));
      }
      Map<String, Object> podSecurity = map(pod.get("securityContext"));
      for (Object co : list(pod.get("containers"))) {
        Map<String, Object> c = map(co);
        String where = "kubernetes:" + doc.get("__file") + "/" + kind + "/" + name(doc) + "/" + c.get("name");
        List<String> args = new ArrayList<>(list(c.get("command")).stream().map(DeploymentConsistencyTest::str).toList());
        args.addAll(list(c.get("args")).stream().map(DeploymentConsistencyTest::str).toList());
        Map<String, String> env = new LinkedHashMap<>();
        for (Object from : list(c.get("envFrom"))) {
          String ref = str(map(map(from).get("configMapRef")).get("name"));
          assertTrue(configMaps.containsKey(ref), where + ": ConfigMap " + ref + " is in the manifests");
          configMaps.get(ref).forEach((k, v) -> env.put(k, str(v)));
        }
        for (Object e : list(c.get("env"))) {
          Map<String, Object> entry = map(e);
          env.put(str(entry.get("name")), entry.containsKey("value") ? str(entry.get("value")) : "(valueFrom)");
        }
        List<Mount> mounts = new ArrayList<>();
        for (Object vm : list(c.get("volumeMounts"))) {
          Map<String, Object> m = map(vm);
          Map<String, Object> volume = volumes.get(str(m.get("name")));
          assertNotNull(volume, where + ": volume " + m.get("name") + " is declared");
          String path = str(m.get("mountPath"));
          String hostPath = volume.containsKey("hostPath") ? str(map(volume.get("hostPath")).get("path")) : null;
          Set<String> files = new LinkedHashSet<>();
          if (volume.containsKey("secret")) {
            String secret = str(map(volume.get("secret")).get("secretName"));
            Map<String, Object> data = secrets.get(secret);
            if (data != null) {
              data.keySet().forEach(k -> files.add(path + "/" + k));
            } else {
              files.add(path + "/*"); // created by the operator (the gateway token): any key
            }
          }
          mounts.add(new Mount(path, Boolean.TRUE.equals(m.get("readOnly")), hostPath, files));
        }
        Map<String, List<String>> probes = new LinkedHashMap<>();
        for (String probe : List.of("liveness", "readiness")) {
          Map<String, Object> p = map(c.get(probe + "Probe"));
          if (!p.isEmpty()) {
            assertTrue(p.containsKey("exec"), where + " " + probe + ": an exec probe (/status is loopback-only or token-checked)");
            probes.put(probe, list(map(p.get("exec")).get("command")).stream().map(DeploymentConsistencyTest::str).toList());
          }
        }
        Map<String, Object> security = map(c.get("securityContext"));
        Object uid = security.containsKey("runAsUser") ? security.get("runAsUser") : podSecurity.get("runAsUser");
        Set<String> caps = new LinkedHashSet<>(
            list(map(security.get("capabilities")).get("add")).stream().map(DeploymentConsistencyTest::str).toList());
        List<Integer> ports = list(c.get("ports")).stream().map(p -> ((Number) map(p).get("containerPort")).intValue()).toList();
        int replicas = kind.equals("Deployment") ? ((Number) spec.getOrDefault("replicas", 1)).intValue() : 1;
        out.add(new Container(where, str(c.get("image")), args, env, mounts, probes,
            Boolean.TRUE.equals(pod.get("hostPID")), Boolean.TRUE.equals(security.get("privileged")),
            uid == null ? null : ((Number) uid).longValue(), caps, ports, replicas));
      }
    }
    return out;
  }

  // ---- what the command tree says ---------------------------------------------------------

  /** The parsed subcommand of this container's arguments; fails on any flag the tree lacks. */
  static CommandSpec subcommand(Container c) {
    CommandLine cli = new CommandLine(new Main());
    ParseResult parsed;
    try {
      parsed = cli.parseArgs(c.args().toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      throw new AssertionError(c.where() + ": `ecapture-kafka " + String.join(" ", c.args())
          + "` is refused by the real command: " + e.getMessage(), e);
    }
    assertTrue(parsed.hasSubcommand(), c.where() + " names a subcommand: " + c.args());
    return parsed.subcommand().commandSpec();
  }

  static OptionSpec option(Container c, String name) {
    OptionSpec o = subcommand(c).findOption(name);
    if (o == null) {
      fail(c.where() + ": `" + subcommand(c).qualifiedName() + "` has no option " + name + " any more");
    }
    return o;
  }

  /** Where the component of this container serves /status. */
  static int statusPort(Container c) {
    CommandSpec sub = subcommand(c);
    return switch (sub.name()) {
      case "gateway" -> {
        String listen = option(c, "--listen").getValue().toString();
        yield Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
      }
      case "collector", "processor" -> option(c, "--status-port").<Integer>getValue();
      default -> throw new AssertionError(c.where() + ": " + sub.name() + " serves no /status");
    };
  }

  /** Environment variables a command's options name (${env:X} defaults, or named in their help). */
  static Set<String> envRead(CommandSpec spec) {
    Set<String> names = new LinkedHashSet<>();
    for (OptionSpec o : spec.options()) {
      List<String> texts = new ArrayList<>(List.of(o.description()));
      if (o.defaultValue() != null) {
        texts.add(o.defaultValue());
      }
      for (String text : texts) {
        Matcher m = ENV_IN_HELP.matcher(text);
        while (m.find()) {
          names.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
      }
    }
    return names;
  }

  // ---- helpers -----------------------------------------------------------------------------

  static void assertProvided(Container c, String file, boolean writable) {
    for (Mount m : c.mounts()) {
      if (m.files().contains(file) || m.files().contains(m.path() + "/*") && file.startsWith(m.path() + "/")) {
        return;
      }
      if (m.files().isEmpty() && (file.equals(m.path()) || file.startsWith(m.path() + "/"))
          && (!writable || !m.readOnly())) {
        return;
      }
    }
    fail(c.where() + ": " + file + " is not in any mount " + c.mounts());
  }

  static Mount writableMount(Container c, String dir) {
    return c.mounts().stream().filter(m -> !m.readOnly() && m.files().isEmpty()
        && (dir.equals(m.path()) || dir.startsWith(m.path() + "/"))).findFirst().orElse(null);
  }

  static Mount mountAt(Container c, String path) {
    return c.mounts().stream().filter(m -> m.path().equals(path)).findFirst().orElse(null);
  }

  static Map<String, String> probeFlags(List<String> args, String what) {
    Map<String, String> flags = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i += 2) {
      assertTrue(Set.of("--port", "--token-file", "--expect").contains(args.get(i)) && i + 1 < args.size(),
          what + ": status-probe takes --port, --token-file, --expect");
      flags.put(args.get(i), args.get(i + 1));
    }
    return flags;
  }

  static Container only(List<Container> cs, String sub) {
    List<Container> found = cs.stream().filter(c -> subcommand(c).name().equals(sub)).toList();
    assertEquals(1, found.size(), "one " + sub + " service in " + cs.stream().map(Container::where).toList());
    return found.getFirst();
  }

  /** Compose's ${VAR:-default} with VAR unset. */
  static String interpolate(String s) {
    return COMPOSE_DEFAULT.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1)));
  }

  static Yaml yaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return o == null ? Map.of() : (Map<String, Object>) o;
  }

  static List<?> list(Object o) {
    return o == null ? List.of() : (List<?>) o;
  }

  static String str(Object o) {
    return o == null ? "" : o.toString();
  }

  static String name(Map<String, Object> doc) {
    return str(map(doc.get("metadata")).get("name"));
  }

  static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("docker-compose.yml"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("no docker-compose.yml above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }
}
