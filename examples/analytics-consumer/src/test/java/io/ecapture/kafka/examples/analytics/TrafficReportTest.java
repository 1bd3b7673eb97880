package io.ecapture.kafka.examples.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.capture.Workload;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.HttpFields;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrafficReportTest {
  private static final long T0 = 1_700_000_000_000_000_000L;

  private static ParsedMessage request(String host, String pod, String path, String pair, long at) {
    return ParsedMessage.newBuilder().setHostId(host).setKind(MessageKind.REQUEST).setPairId(pair)
        .setFirstByteTimeNs(at)
        .setWorkload(Workload.newBuilder().setPodNamespace(pod.isEmpty() ? "" : "shop").setPodName(pod))
        .setDst(Endpoint.newBuilder().setIp("10.0.0.9").setPort(443))
        .setHttp(HttpFields.newBuilder().setMethod("GET").setPath(path)
            .addHeaders(Header.newBuilder().setName("Host").setValue("api.shop")))
        .build();
  }

  private static ParsedMessage response(String pair, long latencyNs, long at) {
    return ParsedMessage.newBuilder().setKind(MessageKind.RESPONSE).setPairId(pair)
        .setLatencyNs(latencyNs).setFirstByteTimeNs(at)
        .setHttp(HttpFields.newBuilder().setStatus(200)).build();
  }

  @Test
  void countsRequestsPerHostAndPodAndRanksPaths() {
    TrafficReport r = new TrafficReport();
    r.add(request("web-1", "cart-7f", "/cart?id=1", "p1", T0));
    r.add(request("web-1", "cart-7f", "/cart?id=2", "p2", T0 + 1_000_000_000L));
    r.add(request("web-2", "", "/health", "p3", T0 + 4_000_000_000L));
    r.add(ParsedMessage.newBuilder().setKind(MessageKind.DATA).build()); // not HTTP: ignored
    assertEquals(3, r.requests());
    assertEquals(Map.of("web-1", 2L, "web-2", 1L), r.requestsByHost());
    assertEquals(Map.of("shop/cart-7f", 2L, "(no pod)", 1L), r.requestsByPod());
    assertEquals(List.of(Map.entry("GET /cart", 2L), Map.entry("GET /health", 1L)), r.topPaths(5));
    assertEquals(4.0, r.windowSeconds(), 1e-9);
  }

  @Test
  void latencyPercentilesPerServiceFromPairedResponses() {
    TrafficReport r = new TrafficReport();
    for (int i = 1; i <= 100; i++) {
      r.add(request("h", "", "/x", "p" + i, T0 + i));
      r.add(response("p" + i, i * 1_000_000L, T0 + i + 1));
    }
    r.add(response("unpaired", 5_000_000L, T0 + 500)); // its request was never seen
    assertEquals(50_000_000L, r.latencyPercentile(50).get("api.shop"));
    assertEquals(99_000_000L, r.latencyPercentile(99).get("api.shop"));
    assertEquals(5_000_000L, r.latencyPercentile(50).get("(unknown)"));
    String text = r.render(3);
    assertTrue(text.contains("api.shop"), text);
    assertTrue(text.contains("50.00 /    99.00"), text);
  }

  @Test
  void anUndecodableRecordIsCountedAndSkipped() {
    AnalyticsConsumer consumer = new AnalyticsConsumer(new java.util.Properties());
    consumer.add(new byte[] {(byte) 0xff, 0x01, 0x02});
    consumer.add(request("h", "", "/ok", "p", T0).toByteArray());
    assertEquals(1, consumer.undecodable());
  }
}
