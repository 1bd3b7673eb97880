package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.KubePodCgroup;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.proto.capture.Workload;
import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Container and Kubernetes identity through the whole product: a pod's cgroups made as the
 * kubelet and containerd name them, its kubelet log directories under a temporary root (the
 * collector's pod log root), curl run inside the container's cgroup against openssl s_server.
 * An eCaptureQ-style client asking {@code ?annotate=workload} and filtering by namespace and
 * container must get the request with LogEntry field 16 naming the container id, pod, namespace
 * and container name; curl outside the pod reaches an unfiltered client without a pod.
 */
class WorkloadEndToEndTest {
  private static final Duration ARRIVAL = Duration.ofSeconds(60);
  /** The gateway's LogEntry extension field holding a serialized capture.Workload. */
  private static final int WORKLOAD_FIELD = 16;

  @TempDir Path dir;

  @Test
  void aPodsRequestReachesAWebSocketClientWithItsContainerPodAndNamespace() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("curl");
    EbpfEnvironment.requireTool("openssl");
    try (KubePodCgroup pod = KubePodCgroup.create(dir.resolve("log"), "payments", "checkout-7d9f8b6c5d-x2x9z", "app")) {
      FleetConfig config =
          FleetConfig.builder(dir.resolve("data"))
              .embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, 0)
              .partitions(2)
              .gatewayListen("127.0.0.1:0")
              .capture(true).hostId("k8s-node-1").collectorStatusPort(-1)
              .podLogRoot(pod.podLogRoot)
              .idleFlush(Duration.ofMillis(500)).build();
      try (Fleet fleet = Fleet.start(config)) {
        if (!fleet.capturing()) {
          EbpfEnvironment.unavailable(fleet.captureError());
        }
        assertTrue(fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60)), "gateway never got its partitions");
        String query = "/?annotate=workload&namespace=payments&container=" + pod.containerId.substring(0, 12);
        try (EcaptureqTestClient inPod = new EcaptureqTestClient(fleet.gatewayPort(), query);
            EcaptureqTestClient everything = new EcaptureqTestClient(fleet.gatewayPort(), "/?annotate=host,workload&pname=curl");
            TlsTestServer server = TlsTestServer.start(dir, false)) {
          for (EcaptureqTestClient client : List.of(inPod, everything)) {
            assertNotNull(client.await(e -> e.getLogType() == LogType.HEARTBEAT, Duration.ofSeconds(10)), "no heartbeat at connect");
          }
          String outsideMarker = UUID.randomUUID().toString();
          long outsidePid = server.curl(outsideMarker).pid();
          String marker = UUID.randomUUID().toString();
          Process curl = pod.start(List.of("curl", "-sk", "--http1.1", "-H", "X-Marker: " + marker,
              "https://127.0.0.1:" + server.port() + "/"));
          String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          assertTrue(curl.waitFor(60, TimeUnit.SECONDS) && curl.exitValue() == 0, "curl in the pod: " + output);

          LogEntry request = awaitEvent(inPod, e -> e.getType() == 1 && e.getPid() == curl.pid()
              && payload(e).contains("X-Marker: " + marker), "request from the pod");
          Workload workload = workload(request);
          assertEquals(pod.containerId, workload.getContainerId());
          assertEquals("checkout-7d9f8b6c5d-x2x9z", workload.getPodName());
          assertEquals("payments", workload.getPodNamespace());
          assertEquals("app", workload.getContainerName());
          assertEquals(pod.podUid, workload.getPodUid());
          assertEquals(pod.containerCgroupPath(), workload.getCgroupPath());
          assertEquals(pod.containerCgroupId(), workload.getCgroupId());
          LogEntry response = awaitEvent(inPod, e -> e.getType() == 3 && e.getPid() == curl.pid(), "response in the pod");
          assertEquals(workload, workload(response), "the response carries the connection's workload too");

          // the host process: no pod, and not for the client filtering by namespace and container
          LogEntry outside = awaitEvent(everything, e -> e.getType() == 1 && e.getPid() == outsidePid
              && payload(e).contains(outsideMarker), "request from outside the pod");
          Workload host = workload(outside);
          assertEquals("", host.getPodName());
          assertEquals("", host.getContainerId());
          assertTrue(host.getCgroupId() != 0 && host.getCgroupId() != workload.getCgroupId(), host.toString());
          assertEquals("k8s-node-1",
              outside.getUnknownFields().getField(15).getLengthDelimitedList().getFirst().toStringUtf8());
          assertNotNull(awaitEvent(everything, e -> e.getPid() == curl.pid() && e.getType() == 1, "pod request, unfiltered"));
          assertTrue(inPod.received().stream().noneMatch(
              e -> e.getLogType() == LogType.EVENT && e.getEventPayload().getPid() == outsidePid),
              "the namespace/container filter kept the host process out");
          assertTrue(inPod.errors().isEmpty() && everything.errors().isEmpty(), inPod.errors() + " " + everything.errors());
        }
      }
    }
  }

  /** LogEntry field 16, decoded. */
  private static Workload workload(LogEntry entry) throws Exception {
    List<ByteString> values = entry.getUnknownFields().getField(WORKLOAD_FIELD).getLengthDelimitedList();
    assertEquals(1, values.size(), "one workload field on an annotated event: " + entry.getUnknownFields());
    return Workload.parseFrom(values.getFirst());
  }

  private static LogEntry awaitEvent(EcaptureqTestClient client, Predicate<Event> match, String what)
      throws InterruptedException {
    LogEntry entry = client.await(e -> e.getLogType() == LogType.EVENT && match.test(e.getEventPayload()), ARRIVAL);
    if (entry == null) {
      fail("no " + what + " event within " + ARRIVAL + "; received " + client.received().size() + " frames");
    }
    return entry;
  }

  private static String payload(Event e) {
    return e.getPayload().toString(StandardCharsets.UTF_8);
  }
}
