package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.gateway.wire.LogEntries;
import io.ecapture.kafka.proto.capture.Workload;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import org.junit.jupiter.api.Test;

/** Workload filters and {@code annotate=workload} over a real WebSocket (no Kafka). */
class GatewayWorkloadTest {
  private static final String APP = "3f2a9c1b7e8d4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718";
  private static final Workload CHECKOUT = Workload.newBuilder().setCgroupId(4711)
      .setCgroupPath("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8c6e5b0a_1f2d_4c3b_9a8e_7d6c5b4a3f21.slice/cri-containerd-" + APP + ".scope")
      .setContainerId(APP).setPodUid("8c6e5b0a-1f2d-4c3b-9a8e-7d6c5b4a3f21").setPodName("checkout-1")
      .setPodNamespace("payments").setContainerName("app").build();

  private static ParsedMessage inPod(int pid, String text) {
    return GatewayWebSocketTest.event(pid, text).toBuilder().setWorkload(CHECKOUT).build();
  }

  @Test
  void clientsChooseByNamespacePodOrContainerAndGetTheWorkloadWhenTheyAsk() throws Exception {
    GatewayConfig config = GatewayConfig.builder().listen("127.0.0.1:0").bootstrapServers("").replayLogs(0).build();
    try (Gateway gateway = Gateway.start(config);
        WsClient all = WsClient.connect(gateway.port());
        WsClient payments = WsClient.connect(gateway.port(), "/?namespace=payments&annotate=workload", "http://localhost/");
        WsClient byContainer = WsClient.connect(gateway.port(), "/?container=" + APP.substring(0, 12) + "&pod=checkout-1", "http://localhost/")) {
      for (WsClient client : new WsClient[] {all, payments, byContainer}) {
        assertEquals(LogType.HEARTBEAT, client.next().getLogType());
      }
      gateway.publish(GatewayWebSocketTest.event(1, "host process"));
      gateway.publish(inPod(2, "in the pod"));

      assertEquals("host process", all.nextNonHeartbeat().getEventPayload().getPayload().toStringUtf8());
      LogEntry plain = all.nextNonHeartbeat();
      assertEquals("in the pod", plain.getEventPayload().getPayload().toStringUtf8());
      assertFalse(plain.getUnknownFields().hasField(LogEntries.WORKLOAD_FIELD), "not asked for: no workload field");

      LogEntry annotated = payments.nextNonHeartbeat();
      assertEquals("in the pod", annotated.getEventPayload().getPayload().toStringUtf8(), "the host process was filtered out");
      assertEquals(CHECKOUT, Workload.parseFrom(
          annotated.getUnknownFields().getField(LogEntries.WORKLOAD_FIELD).getLengthDelimitedList().getFirst()));

      LogEntry chosen = byContainer.nextNonHeartbeat();
      assertEquals(2, chosen.getEventPayload().getPid());
      assertTrue(chosen.getUnknownFields().asMap().isEmpty());
    }
  }
}
