package io.ecapture.kafka.collector.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.ExternalCommand;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No broker reachable: events wait in the on-disk spool, the ring-buffer thread is not held up;
 * a collector started later on the same spool (now with a broker) delivers them, in order.
 */
class SpoolReplayTest {
  @TempDir Path dir;

  @Test
  void eventsSpooledWhileTheBrokerIsDownAreDeliveredAfterARestart() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("curl");
    int deadPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      deadPort = socket.getLocalPort();
    }
    Path spoolDir = dir.resolve("spool");
    CollectorConfig down =
        CollectorConfig.builder().bootstrapServers("127.0.0.1:" + deadPort)
            .hostId("replay-host")
            .statusPort(CollectorConfig.STATUS_DISABLED)
            .spool(SpoolConfig.builder().maxBytes(16L << 20).directory(spoolDir).build())
            .producerOverrides(Map.of("max.block.ms", "500"))
            // only the test's curls: other TLS traffic on the machine would race the counters below
            .filter(new io.ecapture.kafka.collector.control.CaptureFilter(Set.of(), Set.of(), Set.of("curl")))
            .build();
    TeeSink[] firstRun = new TeeSink[1];
    Collector[] firstCollector = new Collector[1];
    CollectorStats.Snapshot stats;
    long started = System.nanoTime();
    try (TlsTestServer server = TlsTestServer.start(dir, false);
        Collector collector =
            Collector.start(down, s -> firstRun[0] = new TeeSink(Collector.defaultSink(down, s)))) {
      firstCollector[0] = collector;
      for (int i = 0; i < 3; i++) {
        ExternalCommand.run(dir, List.of("curl", "-sk", "https://127.0.0.1:" + server.port() + "/replay-" + i));
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (firstRun[0].recorded.events.stream().filter(RawEvent::hasClose).count() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    }
    // counted once the collector is closed, as the tee is read: any curl on the machine is
    // captured, and another engineer's load captured between an earlier snapshot and the close
    // made the two disagree by thousands of events
    stats = firstCollector[0].stats();
    assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 30, "a dead broker does not hold up the shutdown");
    List<RawEvent> spooled = firstRun[0].recorded.events;
    assertTrue(spooled.size() >= 12, "three curls captured: " + stats.summary());
    assertEquals(0, stats.sent(), stats.summary());
    assertEquals(spooled.size() + firstRun[0].recorded.keyLogs.size(), stats.spooled(), stats.summary());
    assertEquals(0, stats.spoolDropped(), stats.summary());
    try (var files = Files.list(spoolDir)) {
      assertTrue(files.anyMatch(p -> p.toString().endsWith(".seg")), "segments kept on disk");
    }

    EmbeddedKafka.trapKafkaExit();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
      TopicSetup.ensureTopics(kafka.bootstrapServers(), 3);
      CollectorConfig up = down.toBuilder().bootstrapServers(kafka.bootstrapServers()).build();
      try (Collector collector = Collector.start(up)) {
        List<ConsumerRecord<String, RawEvent>> received = RawTopic.readAll(kafka.bootstrapServers(), new HashSet<>(spooled));
        assertEquals(0, RawTopic.assertLosslessAndOrdered(spooled, received), "no duplicates after a clean restart");
        assertTrue(collector.stats().sent() >= spooled.size(), collector.stats().summary());
      }
    }
  }
}
