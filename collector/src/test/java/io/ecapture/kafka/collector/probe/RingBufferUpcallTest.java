package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.ExternalCommand;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.libbpf.RingBuffer;
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
      try (RingBuffer ring =
          new RingBuffer(
              probes.eventsMapFd(),
              record -> {
                calls.incrementAndGet();
                throw new IllegalStateException("handler bug");
              })) {
        ExternalCommand.run(dir, List.of("curl", "-sk", "https://127.0.0.1:" + server.port() + "/"));
        for (int i = 0; i < 50 && calls.get() < 4; i++) {
          ring.poll(100);
          ring.consume(); // records below the wake-up threshold do not signal
        }
        assertTrue(calls.get() >= 4, "open, request, response, close delivered: " + calls.get());
        assertEquals(calls.get(), ring.handlerFailures());
      }
    }
  }
}
