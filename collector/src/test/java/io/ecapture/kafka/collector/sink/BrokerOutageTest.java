package io.ecapture.kafka.collector.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.PythonTlsClient;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.BrokerProcess;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker (a child JVM) is SIGKILLed while TLS traffic is being captured and restarted a few
 * seconds later: every captured event reaches ecapture.raw, each connection's events in capture
 * order.
 *
 * <p>Robust on a loaded machine: only the test's client process is captured (other engineers'
 * TLS traffic filled the counters and the ring buffer), and an outage that outlasts the old 12 s
 * delivery timeout (3 s down plus a slow broker start) no longer makes the producer give records
 * up and the spool re-send them behind later ones (the spool's producer never fails a record for
 * time now, see SpoolPartitionOrderTest).
 */
class BrokerOutageTest {
  private static final Logger LOG = LoggerFactory.getLogger(BrokerOutageTest.class);

  @TempDir Path dir;

  @Test
  void brokerKilledMidStreamLosesNothing() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("python3");
    // both ports checked free: a controller on port + 1 could collide with a client's socket
    int port = EmbeddedKafka.freePort();
    int controllerPort = EmbeddedKafka.freePort();
    Path kafkaDir = dir.resolve("kafka");
    BrokerProcess broker = BrokerProcess.start(kafkaDir, "127.0.0.1", port, controllerPort);
    try {
      TopicSetup.ensureTopics(broker.bootstrapServers(), 3);
      TeeSink[] tee = new TeeSink[1];
      AtomicBoolean traffic = new AtomicBoolean(true);
      AtomicInteger requests = new AtomicInteger();
      AtomicReference<Exception> clientError = new AtomicReference<>();
      CollectorStats.Snapshot stats;
      try (TlsTestServer server = TlsTestServer.start(dir, false);
          PythonTlsClient client = new PythonTlsClient(server.port())) {
        // the client's process only: other TLS traffic on the machine stays out of the counts
        CollectorConfig config =
            CollectorConfig.builder().bootstrapServers(broker.bootstrapServers())
                .hostId("outage-host")
                .statusPort(CollectorConfig.STATUS_DISABLED)
                .filter(new io.ecapture.kafka.collector.control.CaptureFilter(
                    Set.of((int) client.pid()), Set.of(), Set.of()))
                .spool(SpoolConfig.builder().maxBytes(64L << 20).directory(dir.resolve("spool")).build()).build();
        try (Collector collector = Collector.start(config, s -> tee[0] = new TeeSink(Collector.defaultSink(config, s)))) {
          Thread load = Thread.ofPlatform().name("outage-traffic").start(() -> {
            try {
              while (traffic.get()) {
                client.request("outage-" + requests.incrementAndGet());
                Thread.sleep(10); // a steady stream, not a flood: the point is the outage, not the spool limit
              }
            } catch (Exception e) {
              clientError.set(e);
            }
          });
          Thread.sleep(1_500);
          int beforeKill = requests.get();
          broker.kill();
          Thread.sleep(3_000);
          int duringOutage = requests.get() - beforeKill;
          broker = BrokerProcess.start(kafkaDir, "127.0.0.1", port, controllerPort);
          Thread.sleep(1_500);
          traffic.set(false);
          load.join();
          assertEquals(null, clientError.get());
          assertTrue(duringOutage > 0, "traffic went on while the broker was down");
          client.close(); // its last events (process exit) before the counts are compared

          // wait for what the checks below depend on, in this order: the client's connections all
          // captured (their CLOSE events left the ring buffer), then, in one snapshot taken after
          // that, everything spooled acknowledged (other processes may still be captured meanwhile)
          long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
          while (true) {
            boolean allCaptured = closesOf(tee[0], client.pid()) >= requests.get();
            stats = collector.stats();
            if ((allCaptured && stats.sent() >= stats.spooled()) || System.nanoTime() >= deadline) {
              break;
            }
            Thread.sleep(100);
          }
          assertTrue(closesOf(tee[0], client.pid()) >= requests.get(), "every request's connection captured");
          assertEquals(stats.spooled(), stats.sent(), "everything spooled was acknowledged: " + stats.summary());
          LOG.info("outage test: {} requests, {} during the outage; {}", requests.get(), duringOutage, stats.summary());
        }
      }
      List<RawEvent> captured = List.copyOf(tee[0].recorded.events);
      assertTrue(captured.size() + tee[0].recorded.keyLogs.size() >= stats.spooled(), stats.summary());
      assertEquals(0, stats.spoolDropped(), stats.summary());
      assertEquals(0, stats.droppedInKernel(), stats.summary());
      List<ConsumerRecord<String, RawEvent>> received =
          RawTopic.readAll(broker.bootstrapServers(), new HashSet<>(captured));
      int duplicates = RawTopic.assertLosslessAndOrdered(captured, received);
      LOG.info("outage test: {} events captured, {} records read back, {} duplicates", captured.size(), received.size(), duplicates);
      assertTrue(captured.stream().filter(RawEvent::hasClose).count() >= requests.get(), "every request's connection captured");
    } finally {
      broker.close();
    }
  }

  private static long closesOf(TeeSink tee, long pid) {
    return tee.recorded.events.stream().filter(e -> e.hasClose() && e.getProcess().getPid() == pid).count();
  }
}
