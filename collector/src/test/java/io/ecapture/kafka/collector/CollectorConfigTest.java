package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    assertThrows(IllegalArgumentException.class, () -> ok.withHostId("a/b"));
    assertThrows(IllegalArgumentException.class, () -> ok.withHostId(" "));
    assertThrows(IllegalArgumentException.class, () -> ok.withLibsslPaths(List.of()));
    assertThrows(IllegalArgumentException.class, () -> ok.withRingBufferBytes(3 * 4096));
    assertThrows(IllegalArgumentException.class, () -> ok.withRingBufferBytes(32768));
    assertThrows(IllegalArgumentException.class, () -> ok.withStatsInterval(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> ok.withStatusPort(-2));
    assertThrows(IllegalArgumentException.class, () -> ok.withStatusPort(65536));
  }

  @Test
  void producerOverridesWinOverDefaults() {
    CollectorConfig config =
        CollectorConfig.defaults("b:1").withHostId("h").withProducerOverrides(Map.of("linger.ms", "0"));
    var props = KafkaCaptureSink.producerProperties(config);
    assertEquals("0", props.get("linger.ms"));
    assertEquals("all", props.get("acks"));
    assertEquals(true, props.get("enable.idempotence"));
    assertEquals("b:1", props.get("bootstrap.servers"));
  }

  @Test
  void locatorKeepsOneEntryPerRealFile(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path real = java.nio.file.Files.createFile(dir.resolve("libssl.so.3"));
    Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("alias.so.3"), real);
    assertEquals(List.of(real), LibSslLocator.distinctExisting(List.of(real, link, dir.resolve("missing.so"))));
  }

  @Test
  void locatorReadsBothOpenSslGenerationsFromLdconfig() {
    List<Path> found = LibSslLocator.parseLdconfig(java.util.stream.Stream.of(
        "1234 libs found in cache `/etc/ld.so.cache'",
        "\tlibssl.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so.3",
        "\tlibssl.so.1.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libssl.so.1.1",
        "\tlibssl.so.1.1 (libc6) => /usr/lib/i386-linux-gnu/libssl.so.1.1",
        "\tlibssl3.so (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl3.so",
        "\tlibssl.so (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so"));
    assertEquals(List.of(Path.of("/lib/x86_64-linux-gnu/libssl.so.3"), Path.of("/usr/lib/x86_64-linux-gnu/libssl.so.1.1")),
        found, "x86-64 OpenSSL 3 and 1.1 only: not NSS's libssl3.so, not the 32-bit copy, not the dev symlink");
    assertTrue(LibSslLocator.COMMON_PATHS.contains(Path.of("/usr/lib/x86_64-linux-gnu/libssl.so.1.1")));
  }

  @Test
  void drainIntervalIsBoundedToOneMillisecondToOneSecond() {
    CollectorConfig config = CollectorConfig.defaults();
    assertEquals(Duration.ofMillis(1), config.withDrainInterval(Duration.ofMillis(1)).drainInterval());
    assertThrows(IllegalArgumentException.class, () -> config.withDrainInterval(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> config.withDrainInterval(Duration.ofMillis(1001)));
  }
}
