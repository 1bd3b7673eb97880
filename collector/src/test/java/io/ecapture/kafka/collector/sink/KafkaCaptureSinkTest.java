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

  @Test
  void theSpoolsShortTimeoutsSitUnderTheOverrides() {
    ProducerSettings settings = new ProducerSettings("b:1", "h", Map.of("max.block.ms", "100"))
        .withDefaults(SpoolingKafkaSink.PRODUCER_DEFAULTS);
    var props = KafkaCaptureSink.producerProperties(settings);
    assertEquals("100", props.get("max.block.ms"), "the user's override wins");
    assertEquals(5_000, props.get("request.timeout.ms"));
    assertEquals(12_000, props.get("delivery.timeout.ms"));
  }
}
