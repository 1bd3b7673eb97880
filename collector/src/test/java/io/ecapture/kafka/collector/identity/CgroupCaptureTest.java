package io.ecapture.kafka.collector.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ecapture.kafka.collector.CaptureRig;
import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.CollectorStartException;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.KubePodCgroup;
import io.ecapture.kafka.collector.PythonHttpsServer;
import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.control.ControlToken;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.Workload;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Container and pod identity, and the in-kernel cgroup filter, for real: a pod's cgroups made as
 * the kubelet and containerd make them, its kubelet log directories under a temporary root, curl
 * run inside the container's cgroup against a local TLS server.
 */
class CgroupCaptureTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;

  private static CollectorConfig.Builder config(KubePodCgroup pod) {
    return CollectorConfig.builder()
        .hostId("k8s-node")
        .statusPort(0)
        .dataDir(pod.podLogRoot.resolveSibling("collector-data")) // its control token goes there
        .discoveryInterval(Duration.ZERO)
        .identity(IdentityConfig.builder().podLogRoot(pod.podLogRoot).build());
  }

  /** curl with a marker header; its pid. */
  private static long curl(Process process) throws Exception {
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "curl finished");
    assertEquals(0, process.exitValue(), output);
    return process.pid();
  }

  private static List<String> curlCommand(int port, String marker) {
    return List.of("curl", "-sk", "--http1.1", "-H", "X-Marker: " + marker, "https://127.0.0.1:" + port + "/");
  }

  private static Predicate<RawEvent> requestWith(String marker) {
    return e -> e.hasData() && e.getData().getDirection() == Direction.WRITE
        && e.getData().getPayload().toString(StandardCharsets.UTF_8).contains(marker);
  }

  /** The cgroup v2 id of a running process: its /proc cgroup line's directory inode. */
  private static long cgroupIdOf(CgroupMount mount, long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"))) {
      if (line.startsWith("0::")) {
        return mount.idOf(line.substring(3));
      }
    }
    throw new AssertionError("no cgroup v2 line for " + pid);
  }

  @Test
  void everyEventOfAContainerCarriesItsContainerPodAndNamespace() throws Exception {
    EbpfEnvironment.requireTool("curl");
    EbpfEnvironment.requireTool("python3");
    try (KubePodCgroup pod = KubePodCgroup.create(dir.resolve("log"), "payments", "checkout-7d9f8b6c5d-x2x9z", "app");
        CaptureRig rig = CaptureRig.start(dir, config(pod).build());
        PythonHttpsServer server = new PythonHttpsServer(dir)) { // uses the rig's cert.pem
      String marker = UUID.randomUUID().toString();
      long pid = curl(pod.start(curlCommand(server.port(), marker)));
      List<RawEvent> closed = rig.sink().awaitEvents(e -> e.getProcess().getPid() == pid && e.hasClose(), WAIT);
      assertFalse(closed.isEmpty(), "curl's connection captured and closed");
      Workload expected = Workload.newBuilder()
          .setCgroupId(pod.containerCgroupId())
          .setCgroupPath(pod.containerCgroupPath())
          .setContainerId(pod.containerId)
          .setPodUid(pod.podUid)
          .setPodName("checkout-7d9f8b6c5d-x2x9z")
          .setPodNamespace("payments")
          .setContainerName("app")
          .build();
      List<RawEvent> ofCurl = rig.sink().events.stream().filter(e -> e.getProcess().getPid() == pid).toList();
      assertTrue(ofCurl.stream().anyMatch(requestWith(marker)), "the request itself");
      assertTrue(ofCurl.stream().anyMatch(RawEvent::hasOpen));
      for (RawEvent event : ofCurl) {
        assertEquals(expected, event.getWorkload(), event.getBodyCase() + " event of curl");
      }
      // the server side of the same TCP connection, outside the pod: its own cgroup on each of
      // its events (the id is kept per connection, whatever context the TCP stack fires in)
      long serverCgroup = cgroupIdOf(pod.mount, server.pid());
      assertTrue(serverCgroup != pod.containerCgroupId());
      assertFalse(rig.sink().awaitEvents(e -> e.getProcess().getPid() == server.pid() && e.hasData()
          && e.getData().getDirection() == Direction.READ
          && e.getData().getPayload().toString(StandardCharsets.UTF_8).contains(marker), WAIT).isEmpty(),
          "the server's read of the request captured too");
      for (RawEvent event : rig.sink().events) {
        if (event.getProcess().getPid() == server.pid()) {
          assertEquals(serverCgroup, event.getWorkload().getCgroupId(), event.getBodyCase() + " event of the server");
          assertEquals("", event.getWorkload().getPodName());
          assertEquals("", event.getWorkload().getContainerId());
        }
      }

      JsonNode identity = status(rig.collector()).get("identity");
      assertEquals(pod.mount.path().toString(), identity.get("cgroup2Mount").asText());
      assertEquals(pod.podLogRoot.toString(), identity.get("podLogRoot").asText());
      assertEquals(1, identity.get("knownPods").asLong());
      assertTrue(identity.get("knownCgroups").asLong() >= 5, identity.toString());
      assertEquals(0, identity.get("errors").asLong(), identity.toString());
    }
  }

  @Test
  void theCgroupFilterKeepsTheSubtreeAndDropsTheRestInTheKernel() throws Exception {
    EbpfEnvironment.requireTool("curl");
    try (KubePodCgroup pod = KubePodCgroup.create(dir.resolve("log"), "payments", "checkout-0", "app")) {
      CollectorConfig config = config(pod)
          .dataDir(dir.resolve("data"))
          .filter(new CaptureFilter(Set.of(), Set.of(), Set.of(), Set.of(pod.podCgroupPath())))
          .build();
      try (CaptureRig rig = CaptureRig.start(dir, config)) {
        RecordingSink sink = rig.sink();
        Collector collector = rig.collector();
        int port = rig.server().port();
        String outside = UUID.randomUUID().toString();
        String inside = UUID.randomUUID().toString();
        long filteredBefore = collector.stats().filteredInKernel();
        long outsidePid = curl(new ProcessBuilder(curlCommand(port, outside)).redirectErrorStream(true).start());
        long insidePid = curl(pod.start(curlCommand(port, inside)));
        assertFalse(sink.awaitEvents(e -> e.getProcess().getPid() == insidePid && e.hasClose(), WAIT).isEmpty(),
            "curl inside the pod's subtree (its container, one level below the filter) is captured");
        assertTrue(sink.events.stream().anyMatch(requestWith(inside)));
        // ring-buffer records arrive in reservation order: the outside curl ran first
        assertTrue(sink.events.stream().noneMatch(e -> e.getProcess().getPid() == outsidePid),
            "curl outside the subtree is not captured");
        assertTrue(sink.events.stream().allMatch(e -> e.getProcess().getPid() == insidePid),
            "nor the server, which runs outside it");
        assertTrue(collector.stats().filteredInKernel() > filteredBefore, "what the filter dropped is counted");

        // through /config, the same container named by eCapture's --cgroup_path form: absolute
        // below the mount
        ControlToken token = ControlToken.read(collector.controlTokenFile().orElseThrow());
        String absolute = pod.mount.directoryOf(pod.containerCgroupPath()).toString();
        String reply = postConfig(collector, token, "{\"cgroups\":[\"" + absolute + "\"]}");
        assertEquals("200 {\"pids\":[],\"uids\":[],\"comms\":[],\"cgroups\":[\"" + absolute + "\"]}", reply.strip());
        assertEquals(Set.of(absolute), collector.filter().cgroups());
        String again = UUID.randomUUID().toString();
        String outsideAgain = UUID.randomUUID().toString();
        long outsideAgainPid = curl(new ProcessBuilder(curlCommand(port, outsideAgain)).redirectErrorStream(true).start());
        long againPid = curl(pod.start(curlCommand(port, again)));
        assertFalse(sink.awaitEvents(e -> e.getProcess().getPid() == againPid && e.hasClose(), WAIT).isEmpty());
        assertTrue(sink.events.stream().noneMatch(e -> e.getProcess().getPid() == outsideAgainPid));

        // a path that is no cgroup changes nothing: 400 with the reason
        String refused = postConfig(collector, token, "{\"cgroups\":[\"/kubepods.slice/no-such.slice\"]}");
        assertTrue(refused.startsWith("400 ") && refused.contains("no cgroup /kubepods.slice/no-such.slice"), refused);
        assertEquals(Set.of(absolute), collector.filter().cgroups());
        assertThrows(IllegalArgumentException.class,
            () -> collector.updateFilter(new CaptureFilter(Set.of(), Set.of(), Set.of(), Set.of("/kubepods.slice/no-such.slice"))));

        // no filter: everything again
        collector.updateFilter(CaptureFilter.ALL);
        String open = UUID.randomUUID().toString();
        long openPid = curl(new ProcessBuilder(curlCommand(port, open)).redirectErrorStream(true).start());
        assertFalse(sink.awaitEvents(e -> e.getProcess().getPid() == openPid && e.hasClose(), WAIT).isEmpty());
      }
    }
  }

  @Test
  void aCollectorAskedForACgroupThatDoesNotExistDoesNotStart() throws Exception {
    EbpfEnvironment.requireEbpf();
    CollectorConfig config = CollectorConfig.builder().hostId("h").statusPort(-1).discoveryInterval(Duration.ZERO)
        .filter(new CaptureFilter(Set.of(), Set.of(), Set.of(), Set.of("/no-such-cgroup-" + UUID.randomUUID())))
        .build();
    CollectorStartException e = assertThrows(CollectorStartException.class,
        () -> Collector.start(config, stats -> new RecordingSink()).close());
    assertTrue(e.getMessage().contains("bad capture filter: no cgroup /no-such-cgroup-"), e.getMessage());
  }

  /** POST /config with the collector's token, as an operator's script sends it: "status body". */
  private static String postConfig(Collector collector, ControlToken token, String body) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      HttpResponse<String> response = client.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + collector.statusPort() + "/config"))
              .header("Authorization", "Bearer " + token.value())
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      return response.statusCode() + " " + response.body();
    }
  }

  private static JsonNode status(Collector collector) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      HttpResponse<String> reply = client.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + collector.statusPort() + "/status")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, reply.statusCode(), reply.body());
      return Json.tree(reply.body());
    }
  }
}
