package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void ownCountersAndGaugesAreReadAtEachScrape() {
    AtomicLong sent = new AtomicLong(3);
    Metrics metrics = new Metrics("ecapture_test_")
        .counter("sent_total", "Records sent.", sent::get)
        .gauge("clients", "Connected clients.", () -> 2)
        .gauge("queued_bytes", "Per queue.", "queue", () -> Map.of("a", 5, "b", 7));
    String text = metrics.scrape();
    assertTrue(text.contains("# TYPE ecapture_test_sent_total counter"), text);
    assertTrue(text.contains("ecapture_test_sent_total 3.0"), text);
    assertTrue(text.contains("ecapture_test_clients 2.0"), text);
    assertTrue(text.contains("ecapture_test_queued_bytes{queue=\"b\"} 7.0"), text);
    sent.set(10);
    assertTrue(metrics.scrape().contains("ecapture_test_sent_total 10.0"));
  }

  @Test
  void kafkaClientMetricsAreBridgedWithTheirTagsAsLabels() {
    try (org.apache.kafka.common.metrics.Metrics kafka = new org.apache.kafka.common.metrics.Metrics()) {
      var name = kafka.metricName("record-send-total", "producer-metrics", "sent",
          Map.of("client-id", "collector-1"));
      kafka.sensor("s").add(name, new CumulativeSum());
      kafka.sensor("s").record(4);
      Metrics metrics = new Metrics("ecapture_test_").kafka(kafka::metrics);
      String text = metrics.scrape();
      assertTrue(text.contains(
          "kafka_producer_metrics_record_send_total{client_id=\"collector-1\"} 4.0"), text);
      // a non-numeric metric (Kafka's app-info version) is left out, not an error
      kafka.addMetric(kafka.metricName("version", "app-info"),
          (org.apache.kafka.common.metrics.Gauge<String>) (config, now) -> "4.3.1");
      assertFalse(metrics.scrape().contains("app_info"));
    }
  }

  @Test
  void aClosedClientDoesNotBreakTheScrape() {
    Metrics metrics = new Metrics("x_").gauge("up", "Up.", () -> 1)
        .kafka(() -> { throw new IllegalStateException("closed"); });
    String text = metrics.scrape();
    assertTrue(text.contains("x_up 1.0"), text);
    assertFalse(text.contains("kafka_"));
    assertEquals(Metrics.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
  }
}
