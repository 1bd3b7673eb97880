package io.ecapture.kafka.gateway.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.gateway.wire.LogEntries;
import io.ecapture.kafka.proto.capture.Workload;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The workload keys of a client's query ({@code container}, {@code pod}, {@code namespace}) and {@code annotate=workload}. */
class WorkloadFilterTest {
  private static final String APP = "3f2a9c1b7e8d4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718";
  private static final String SIDECAR = "aa".repeat(32);

  private static ParsedMessage message(String containerId, String namespace, String pod) {
    return ParsedMessage.newBuilder().setHostId("node-1").setComm("curl")
        .setWorkload(Workload.newBuilder().setCgroupId(77).setCgroupPath("/kubepods/x")
            .setContainerId(containerId).setPodNamespace(namespace).setPodName(pod).setContainerName("app"))
        .build();
  }

  private static final ParsedMessage APP_IN_PAYMENTS = message(APP, "payments", "checkout-1");
  private static final ParsedMessage SIDECAR_IN_PAYMENTS = message(SIDECAR, "payments", "checkout-1");
  private static final ParsedMessage APP_IN_SHOP = message(APP, "shop", "cart-0");
  private static final ParsedMessage HOST_PROCESS = ParsedMessage.newBuilder().setHostId("node-1").setComm("curl").build();

  @Test
  void aContainerIsChosenByItsIdOrAPrefixOfAtLeast12Hex() {
    assertTrue(ClientFilter.parse("/?container=" + APP).accepts(APP_IN_PAYMENTS));
    ClientFilter prefix = ClientFilter.parse("/?container=" + APP.substring(0, 12).toUpperCase());
    assertTrue(prefix.accepts(APP_IN_PAYMENTS), "docker ps's 12-digit form, any case");
    assertFalse(prefix.accepts(SIDECAR_IN_PAYMENTS));
    assertFalse(prefix.accepts(HOST_PROCESS), "no workload: no container matches");
    ClientFilter either = ClientFilter.parse("/?container=" + APP.substring(0, 20) + "&container=" + SIDECAR.substring(0, 12));
    assertTrue(either.accepts(APP_IN_PAYMENTS));
    assertTrue(either.accepts(SIDECAR_IN_PAYMENTS), "a repeated key matches any of its values");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ClientFilter.parse("/?container=3f2a9c1b7e8"))
        .getMessage().contains("container=3f2a9c1b7e8"), "11 digits are too few");
    assertThrows(IllegalArgumentException.class, () -> ClientFilter.parse("/?container=not-a-container-id"));
    assertThrows(IllegalArgumentException.class, () -> ClientFilter.parse("/?container=" + APP + "0"));
  }

  @Test
  void podAndNamespaceMatchExactlyOrWithinAKeyAndAcrossKeys() {
    ClientFilter namespace = ClientFilter.parse("/?namespace=payments");
    assertTrue(namespace.accepts(APP_IN_PAYMENTS));
    assertFalse(namespace.accepts(APP_IN_SHOP));
    assertFalse(namespace.accepts(HOST_PROCESS));
    ClientFilter pods = ClientFilter.parse("/?pod=checkout-1&pod=cart-0");
    assertTrue(pods.accepts(APP_IN_PAYMENTS));
    assertTrue(pods.accepts(APP_IN_SHOP));
    assertFalse(pods.accepts(message(APP, "payments", "checkout")), "exact names, no prefix");
    ClientFilter both = ClientFilter.parse("/?pod=cart-0&namespace=payments");
    assertFalse(both.accepts(APP_IN_SHOP), "keys must all match");
    assertFalse(both.accepts(APP_IN_PAYMENTS));
    ClientFilter withHost = ClientFilter.parse("/?namespace=shop&host=node-1&container=" + APP.substring(0, 12));
    assertTrue(withHost.accepts(APP_IN_SHOP));
    assertFalse(withHost.accepts(APP_IN_SHOP.toBuilder().setHostId("node-2").build()));
    assertFalse(ClientFilter.parse("/?pod=x").isAll());
    assertThrows(IllegalArgumentException.class, () -> ClientFilter.parse("/?pod="));
    assertThrows(IllegalArgumentException.class, () -> ClientFilter.parse("/?namespace="));
    assertTrue(ClientFilter.KEYS.containsAll(java.util.Set.of("container", "pod", "namespace")));
  }

  @Test
  void annotateTakesHostAndWorkloadCommaSeparatedOrRepeated() {
    ClientOptions workload = ClientOptions.parse("/?annotate=workload");
    assertTrue(workload.annotateWorkload());
    assertFalse(workload.annotateHost());
    ClientOptions both = ClientOptions.parse("/?annotate=host,workload");
    assertTrue(both.annotateHost() && both.annotateWorkload());
    assertEquals(both, ClientOptions.parse("/?annotate=workload&annotate=host"));
    assertEquals(both, ClientOptions.parse("/?annotate=host%2Cworkload"), "as URLSearchParams encodes it");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ClientOptions.parse("/?annotate=host,pods"))
        .getMessage().contains("host, workload"));
    assertThrows(IllegalArgumentException.class, () -> ClientOptions.parse("/?annotate="));
    assertFalse(ClientOptions.DEFAULT.annotates());
  }

  @Test
  void theWorkloadIsField16AndAFrameWithoutOneStaysByteIdentical() throws Exception {
    byte[] plain = LogEntries.frame(LogEntries.runLog("event stand-in"));
    ClientOptions workload = ClientOptions.parse("/?annotate=workload");
    assertSame(plain, workload.annotate(plain, HOST_PROCESS), "no workload: the very same frame");

    byte[] annotated = workload.annotate(plain, APP_IN_PAYMENTS);
    assertArrayEquals(plain, Arrays.copyOf(annotated, plain.length), "eCaptureQ's fields untouched, field 16 appended");
    LogEntry decoded = LogEntry.parseFrom(annotated);
    assertEquals("event stand-in", decoded.getRunLog());
    Workload carried = Workload.parseFrom(
        decoded.getUnknownFields().getField(LogEntries.WORKLOAD_FIELD).getLengthDelimitedList().getFirst());
    assertEquals(APP_IN_PAYMENTS.getWorkload(), carried);

    byte[] both = ClientOptions.parse("/?annotate=host,workload").annotate(plain, APP_IN_PAYMENTS);
    LogEntry twice = LogEntry.parseFrom(both);
    assertEquals("node-1", twice.getUnknownFields().getField(LogEntries.HOST_FIELD).getLengthDelimitedList().getFirst().toStringUtf8());
    assertEquals(APP_IN_PAYMENTS.getWorkload(), Workload.parseFrom(
        twice.getUnknownFields().getField(LogEntries.WORKLOAD_FIELD).getLengthDelimitedList().getFirst()));
    assertArrayEquals(LogEntries.withHost(plain, "node-1"), ClientOptions.parse("/?annotate=host").annotate(plain, APP_IN_PAYMENTS),
        "annotate=host alone: as before");
  }
}
