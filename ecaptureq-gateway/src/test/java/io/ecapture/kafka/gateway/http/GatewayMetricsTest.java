package io.ecapture.kafka.gateway.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.gateway.GatewayStats;
import io.ecapture.kafka.gateway.GatewayStats.ClientStats;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class GatewayMetricsTest {

  @Test
  void everyStatIsExportedUnderItsPrometheusNameFromOneSnapshot() {
    AtomicReference<GatewayStats> stats = new AtomicReference<>(new GatewayStats(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 11, -1, 0,
        List.of(new ClientStats("a", "/", 0, 0, 1, 300, 1), new ClientStats("b", "/", 0, 0, 2, 700, 1))));
    String text = new GatewayMetrics(stats::get).scrape();
    Map<String, String> expected = new java.util.LinkedHashMap<>();
    expected.put("parsed_records_total", "counter 1.0");
    expected.put("log_records_total", "counter 2.0");
    expected.put("undecodable_records_total", "counter 3.0");
    expected.put("truncated_payloads_total", "counter 4.0");
    expected.put("frames_sent_total", "counter 5.0");
    expected.put("frames_dropped_total", "counter 6.0");
    expected.put("connections_total", "counter 7.0");
    expected.put("handshakes_refused_total", "counter 8.0");
    expected.put("handshakes_malformed_total", "counter 9.0");
    expected.put("replayed_events_total", "counter 10.0");
    expected.put("dispatch_errors_total", "counter 12.0");
    expected.put("frames_failed_total", "counter 13.0");
    expected.put("clients", "gauge 2.0");
    expected.put("assigned_partitions", "gauge 11.0");
    expected.put("consumer_lag_records", "gauge -1.0");
    expected.put("max_client_queued_bytes", "gauge 700.0");
    expected.forEach((name, typeAndValue) -> {
      String full = "ecaptureq_gateway_" + name;
      String[] tv = typeAndValue.split(" ");
      assertTrue(text.contains("# HELP " + full + " "), full + "\n" + text);
      assertTrue(text.contains("# TYPE " + full + " " + tv[0] + "\n"), full + "\n" + text);
      assertTrue(text.contains("\n" + full + " " + tv[1] + "\n"), full + "\n" + text);
    });
    // per-client series are left out: no client address ever becomes a label
    assertTrue(!text.contains("\"a\"") && !text.contains("\"b\""), text);
  }
}
