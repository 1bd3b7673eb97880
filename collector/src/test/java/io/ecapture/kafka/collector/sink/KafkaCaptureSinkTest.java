package io.ecapture.kafka.collector.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaCaptureSinkTest {
  @Test
  void producerOverridesWinOverDefaults() {
    var props = KafkaCaptureSink.producerProperties(new ProducerSettings("b:1", "h", Map.of("linger.ms", "0")));
    assertEquals("0", props.get("linger.ms"));
    assertEquals("all", props.get("acks"));
    assertEquals(true, props.get("enable.idempotence"));
    assertEquals("b:1", props.get("bootstrap.servers"));
  }

  /** Process-log lines that cannot reach Kafka are counted, not only logged. */
  @Test
  void undeliveredProcessLogLinesAreCounted() throws Exception {
    int deadPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      deadPort = socket.getLocalPort(); // nothing listens: no metadata, every send fails
    }
    io.ecapture.kafka.collector.control.CollectorStats stats = new io.ecapture.kafka.collector.control.CollectorStats();
    try (KafkaCaptureSink sink = new KafkaCaptureSink(new ProducerSettings("127.0.0.1:" + deadPort, "logs-host",
        Map.of("max.block.ms", "100", "delivery.timeout.ms", "200", "request.timeout.ms", "100", "linger.ms", "0")), stats)) {
      for (int i = 0; i < 3; i++) {
        sink.log(io.ecapture.kafka.proto.capture.ProcessLog.newBuilder().setMessage("line " + i).build());
      }
      long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
      while (stats.snapshot().processLogsDropped() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(3, stats.snapshot().processLogsDropped());
      assertEquals(0, stats.snapshot().sendErrors(), "not capture events");
    }
  }

  @Test
  void theSpoolsTimeoutsSitUnderTheOverrides() {
    ProducerSettings settings = new ProducerSettings("b:1", "h", Map.of("max.block.ms", "100"))
        .withDefaults(SpoolingKafkaSink.PRODUCER_DEFAULTS);
    var props = KafkaCaptureSink.producerProperties(settings);
    assertEquals("100", props.get("max.block.ms"), "the user's override wins");
    assertEquals(5_000, props.get("request.timeout.ms"));
    // never failed for time: an expired batch let later batches of its partition overtake it
    assertEquals(Integer.MAX_VALUE, props.get("delivery.timeout.ms"));
    assertEquals(true, props.get("enable.idempotence"), "idempotence keeps a partition in order through retries");
  }
}
