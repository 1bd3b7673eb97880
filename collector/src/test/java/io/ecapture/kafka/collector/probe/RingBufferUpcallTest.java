package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.sink.CaptureSink;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.ExternalCommand;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.libbpf.RingBuffer;
import io.ecapture.kafka.collector.libbpf.RingBufferReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A record handler that throws inside the native upcall is counted; the JVM and the loop go on. */
class RingBufferUpcallTest {
  @TempDir Path dir;

  @Test
  void throwingHandlerIsCountedAndPollingContinues() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("curl");
    AtomicInteger calls = new AtomicInteger();
    try (TlsTestServer server = TlsTestServer.start(dir, false);
        TlsProbes probes = TlsProbes.load(CollectorConfig.MIN_RING_BUFFER_BYTES)) {
      List<String> failures = new ArrayList<>();
      probes.attachLibssl(LibSslLocator.locate().getFirst(), 0, failures);
      assertTrue(failures.isEmpty(), failures.toString());
      List<Throwable> told = new java.util.concurrent.CopyOnWriteArrayList<>();
      try (RingBuffer ring =
          new RingBuffer(
              probes.eventsMapFd(),
              record -> {
                calls.incrementAndGet();
                throw new IllegalStateException("handler bug");
              },
              failure -> {
                told.add(failure);
                throw new IllegalStateException("a failing listener must not escape the upcall either");
              })) {
        ExternalCommand.run(dir, List.of("curl", "-sk", "https://127.0.0.1:" + server.port() + "/"));
        for (int i = 0; i < 50 && calls.get() < 4; i++) {
          ring.poll(100);
          ring.consume(); // records below the wake-up threshold do not signal
        }
        assertTrue(calls.get() >= 4, "open, request, response, close delivered: " + calls.get());
        assertEquals(calls.get(), ring.handlerFailures());
        assertEquals(calls.get(), told.size(), "the listener hears of each failure");
        assertEquals("handler bug", told.getFirst().getMessage());
      }
    }
  }

  /**
   * A {@link RingBufferReader} drains on its own thread: records whose handler throws and rounds
   * that fail are counted and reported, and the thread goes on delivering.
   */
  @Test
  void aReaderCountsHandlerAndPollFailuresAndKeepsDraining() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("curl");
    AtomicInteger calls = new AtomicInteger();
    AtomicInteger rounds = new AtomicInteger();
    try (TlsTestServer server = TlsTestServer.start(dir, false);
        TlsProbes probes = TlsProbes.load(CollectorConfig.MIN_RING_BUFFER_BYTES)) {
      List<String> failures = new ArrayList<>();
      probes.attachLibssl(LibSslLocator.locate().getFirst(), 0, failures);
      assertTrue(failures.isEmpty(), failures.toString());
      List<Throwable> handlerTold = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<RuntimeException> pollTold = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread[] handlerThread = new Thread[1];
      RingBufferReader reader = RingBufferReader.builder(probes.eventsMapFd(), record -> {
        handlerThread[0] = Thread.currentThread();
        if (calls.incrementAndGet() % 2 == 0) {
          throw new IllegalStateException("handler bug");
        }
      }).thread("test-reader").retryMs(10).drain(ring -> {
        if (rounds.incrementAndGet() % 3 == 0) {
          throw new IllegalStateException("poll failure " + rounds.get());
        }
        ring.poll(100);
        ring.consume(); // records below the wake-up threshold do not signal
      }).onHandlerFailure(handlerTold::add).onPollFailure(pollTold::add).start();
      try {
        ExternalCommand.run(dir, List.of("curl", "-sk", "https://127.0.0.1:" + server.port() + "/"));
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while ((calls.get() < 4 || reader.pollFailures() < 2) && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertTrue(calls.get() >= 4, "open, request, response, close delivered: " + calls.get());
        assertEquals("test-reader", handlerThread[0].getName());
        assertTrue(reader.pollFailures() >= 2, "failed rounds counted: " + reader.pollFailures());
      } finally {
        reader.close();
      }
      assertEquals(calls.get() / 2, reader.handlerFailures());
      assertEquals(reader.handlerFailures(), handlerTold.size(), "the listener hears of each handler failure");
      assertEquals(reader.pollFailures(), pollTold.size(), "and of each failed round");
      assertTrue(pollTold.getFirst().getMessage().startsWith("poll failure"), pollTold.toString());
      int delivered = calls.get();
      reader.close(); // idempotent
      assertEquals(delivered, calls.get());
    }
  }

  /**
   * A collector whose sink throws for some events (a bug downstream of the decoder): those records
   * are counted in ringBufferHandlerFailures (status and metrics), the others still delivered.
   */
  @Test
  void aCollectorCountsRecordsWhoseHandlerThrowsAndKeepsCapturing() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("curl");
    String poison = "poison-" + java.util.UUID.randomUUID();
    String fine = "fine-" + java.util.UUID.randomUUID();
    RecordingSink recorded = new RecordingSink();
    CaptureSink sink = new CaptureSink() {
      @Override
      public void event(RawEvent event) {
        if (event.hasData() && event.getData().getPayload().toStringUtf8().contains(poison)) {
          throw new IllegalStateException("sink bug on " + poison);
        }
        recorded.event(event);
      }

      @Override
      public void log(ProcessLog line) {
        recorded.log(line);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    CollectorConfig config = CollectorConfig.builder().hostId("upcall-host").statusPort(0)
        .dataDir(dir.resolve("data")).discoveryInterval(java.time.Duration.ZERO).build();
    try (TlsTestServer server = TlsTestServer.start(dir, false);
        Collector collector = Collector.start(config, stats -> sink)) {
      ExternalCommand.run(dir, List.of("curl", "-sk", "https://127.0.0.1:" + server.port() + "/" + poison));
      ExternalCommand.run(dir, List.of("curl", "-sk", "https://127.0.0.1:" + server.port() + "/" + fine));
      assertTrue(!recorded.awaitEvents(e -> e.hasData()
          && e.getData().getPayload().toStringUtf8().contains(fine), java.time.Duration.ofSeconds(30)).isEmpty(),
          "capture goes on after a failing record");
      long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
      while (collector.stats().ringBufferHandlerFailures() < 1 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertTrue(collector.stats().ringBufferHandlerFailures() >= 1, collector.stats().summary());
      assertTrue(recorded.events.stream().noneMatch(e -> e.hasData()
          && e.getData().getPayload().toStringUtf8().contains(poison)), "the failing record was skipped");
      assertTrue(recorded.logs.stream().anyMatch(l -> l.getMessage().startsWith("ring-buffer record skipped")),
          "and reported in the process log");
      try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
        String status = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + collector.statusPort() + "/status")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(status.contains("\"ringBufferHandlerFailures\":" + collector.stats().ringBufferHandlerFailures())
            || status.matches("(?s).*\"ringBufferHandlerFailures\":[1-9].*"), status);
      }
    }
  }
}
