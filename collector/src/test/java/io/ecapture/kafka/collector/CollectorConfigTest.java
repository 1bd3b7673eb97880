package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.sink.SpoolConfig;
import io.ecapture.kafka.collector.sink.SpoolFullPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CollectorConfigTest {
  @Test
  void defaultsAreDocumentedValues() {
    CollectorConfig config = CollectorConfig.defaults();
    assertEquals("127.0.0.1:9092", config.bootstrapServers());
    assertEquals(16 * 1024 * 1024, config.ringBufferBytes());
    assertEquals(Duration.ofSeconds(10), config.statsInterval());
    assertEquals(28258, config.statusPort());
    assertFalse(config.hostId().isBlank());
    assertFalse(config.libsslPaths().isEmpty());
  }

  @Test
  void rejectsInvalidValues() {
    CollectorConfig ok = CollectorConfig.defaults();
    assertThrows(IllegalArgumentException.class, () -> ok.toBuilder().hostId("a/b").build());
    assertThrows(IllegalArgumentException.class, () -> ok.toBuilder().hostId(" ").build());
    assertThrows(IllegalArgumentException.class, () -> ok.toBuilder().libsslPaths(List.of()).build());
    assertThrows(IllegalArgumentException.class, () -> ok.toBuilder().ringBufferBytes(3 * 4096).build());
    assertThrows(IllegalArgumentException.class, () -> ok.toBuilder().ringBufferBytes(32768).build());
    assertThrows(IllegalArgumentException.class, () -> ok.toBuilder().statsInterval(Duration.ZERO).build());
    assertThrows(IllegalArgumentException.class, () -> ok.toBuilder().statusPort(-2).build());
    assertThrows(IllegalArgumentException.class, () -> ok.toBuilder().statusPort(65536).build());
  }

  @Test
  void drainIntervalIsBoundedToOneMillisecondToOneSecond() {
    CollectorConfig config = CollectorConfig.defaults();
    assertEquals(Duration.ofMillis(1), config.toBuilder().drainInterval(Duration.ofMillis(1)).build().drainInterval());
    assertThrows(IllegalArgumentException.class, () -> config.toBuilder().drainInterval(Duration.ZERO).build());
    assertThrows(IllegalArgumentException.class, () -> config.toBuilder().drainInterval(Duration.ofMillis(1001)).build());
  }

  @Test
  void toStringMasksSecretProducerProperties() {
    CollectorConfig config = CollectorConfig.builder()
        .hostId("h")
        .libsslPaths(List.of(Path.of("/lib/libssl.so.3")))
        .producerOverrides(Map.of(
            "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "username=\"collector\" password=\"hunter2\";",
            "ssl.key.password", "s3cret-key",
            "ssl.keystore.password", "s3cret-store",
            "linger.ms", "5"))
        .build();
    String text = config.toString();
    assertFalse(text.contains("hunter2"), text);
    assertFalse(text.contains("s3cret"), text);
    assertTrue(text.contains("sasl.jaas.config=***"), text);
    assertTrue(text.contains("ssl.key.password=***"), text);
    assertTrue(text.contains("linger.ms=5"), "other overrides stay readable: " + text);
    assertTrue(text.contains("hostId=h"), text);
    assertFalse(config.producerSettings().toString().contains("hunter2"), config.producerSettings().toString());
    assertEquals("s3cret-key", config.producerOverrides().get("ssl.key.password"), "the value itself is kept");
  }

  @Test
  void toBuilderKeepsEveryValue() {
    CollectorConfig config = CollectorConfig.builder()
        .bootstrapServers("k:1")
        .hostId("h")
        .libsslPaths(List.of(Path.of("/a/libssl.so.3")))
        .ringBufferBytes(1 << 20)
        .statsInterval(Duration.ofSeconds(3))
        .producerOverrides(Map.of("linger.ms", "1"))
        .statusPort(0)
        .netns(Path.of("/var/run/netns/x"))
        .spool(SpoolConfig.builder().directory(Path.of("/tmp/s")).maxBytes(8 << 20).build())
        .discoveryInterval(Duration.ZERO)
        .drainInterval(Duration.ofMillis(3))
        .build();
    assertEquals(config, config.toBuilder().build());
    assertEquals(Path.of("/tmp/s"), config.spoolDirectory());
  }

  @Test
  void spoolDefaultsAndDerivedSegmentSize() {
    SpoolConfig spool = SpoolConfig.defaults();
    assertTrue(spool.enabled());
    assertEquals(1L << 30, spool.maxBytes());
    assertEquals(32 << 20, spool.segmentBytes());
    assertEquals(SpoolFullPolicy.DROP_OLDEST, spool.fullPolicy());
    assertEquals(Path.of("/var/lib/ecapture-kafka/spool/h"), spool.directoryFor("h"));
    SpoolConfig small = SpoolConfig.builder().maxBytes(16L << 20).build();
    assertEquals(2 << 20, small.segmentBytes(), "an eighth of the spool");
    assertEquals(256 << 10, SpoolConfig.builder().maxBytes(512 << 10).build().segmentBytes(), "at least 256 KiB");
    assertEquals(4 << 20, small.toBuilder().maxBytes(32L << 20).build().segmentBytes(), "derived again");
    assertThrows(IllegalArgumentException.class, () -> SpoolConfig.builder().maxBytes(256 << 10).build());
  }
}
