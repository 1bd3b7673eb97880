package io.ecapture.kafka.processor.topology;

import static io.ecapture.kafka.processor.topology.TopologyBytes.REQUEST;
import static io.ecapture.kafka.processor.topology.TopologyBytes.RESPONSE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.Workload;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The workload (cgroup, container, pod) the collector put on a connection's raw events is copied
 * onto every message parsed from it, also after a restart (it lives in the connection's state),
 * and a fuller answer arriving later replaces a partial one.
 */
class WorkloadTopologyTest extends HarnessTopologyTest {
  private static final Workload POD = Workload.newBuilder()
      .setCgroupId(4711)
      .setCgroupPath("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8c6e5b0a_1f2d_4c3b_9a8e_7d6c5b4a3f21.slice/"
          + "cri-containerd-3f2a9c1b7e8d4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718.scope")
      .setContainerId("3f2a9c1b7e8d4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718")
      .setPodUid("8c6e5b0a-1f2d-4c3b-9a8e-7d6c5b4a3f21")
      .setPodName("checkout-7d9f8b6c5d-x2x9z")
      .setPodNamespace("payments")
      .setContainerName("app")
      .build();

  private static RawEvent with(RawEvent event, Workload workload) {
    return event.toBuilder().setWorkload(workload).build();
  }

  @Test
  void everyMessageOfTheConnectionCarriesItsWorkloadAcrossARestart() {
    harness.send(with(events.open(), POD));
    harness.send(with(events.data(Direction.WRITE, 0, REQUEST, 1_000), POD));
    harness.send(with(events.data(Direction.READ, 0, RESPONSE, 5_000_000), POD));
    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(2, out.size());
    for (ParsedMessage message : out) {
      assertEquals(POD, message.getWorkload(), message.getKind().toString());
    }

    harness = harness.restart();
    // the identity event is in the stored state: data alone (no workload of its own) still gets it
    harness.send(events.data(Direction.WRITE, REQUEST.length(), REQUEST, 6_000_000));
    List<ParsedMessage> after = harness.parsed().readValuesToList();
    assertFalse(after.isEmpty());
    for (ParsedMessage message : after) {
      assertEquals(POD, message.getWorkload());
    }
  }

  @Test
  void aFullerWorkloadLaterReplacesAPartialOne() {
    Workload partial = POD.toBuilder().clearPodName().clearPodNamespace().clearContainerName().build();
    harness.send(with(events.open(), partial));
    harness.send(with(events.data(Direction.WRITE, 0, REQUEST, 1_000), partial));
    assertEquals(partial, harness.parsed().readValuesToList().getFirst().getWorkload());
    harness.send(with(events.data(Direction.READ, 0, RESPONSE, 5_000_000), POD));
    assertEquals(POD, harness.parsed().readValuesToList().getFirst().getWorkload());
  }

  @Test
  void aConnectionWithoutWorkloadHasNone() {
    harness.send(events.open());
    harness.send(events.data(Direction.WRITE, 0, REQUEST, 1_000));
    assertFalse(harness.parsed().readValuesToList().getFirst().hasWorkload());
  }
}
