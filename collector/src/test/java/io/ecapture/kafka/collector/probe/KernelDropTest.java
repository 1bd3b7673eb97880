package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.ExternalCommand;
import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.collector.sink.CaptureSink;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.LogLevel;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A consumer that stalls makes the kernel ring buffer overflow: the loss must be counted in the
 * kernel, reported in a process log, and visible to the processor as offset gaps, never as
 * corrupted or shifted bytes.
 */
class KernelDropTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @Test
  void ringBufferOverflowIsCountedReportedAndLeavesOffsetGaps() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("python3");
    ExternalCommand.run(dir, List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=localhost"));
    CountDownLatch clientDone = new CountDownLatch(1);
    StallingSink sink = new StallingSink(clientDone);
    CollectorConfig config =
        CollectorConfig.builder()
            .hostId("drop-host")
            .ringBufferBytes(CollectorConfig.MIN_RING_BUFFER_BYTES)
            .statsInterval(Duration.ofMillis(200))
            .statusPort(CollectorConfig.STATUS_DISABLED).build();
    long pid;
    CollectorStats.Snapshot stats;
    try (Collector collector = Collector.start(config, s -> sink)) {
      Files.writeString(dir.resolve("send.py"),
          """
          import socket, ssl, threading
          srv_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
          srv_ctx.load_cert_chain('cert.pem', 'key.pem')
          listener = socket.create_server(('127.0.0.1', 0))
          def serve():
              conn, _ = listener.accept()
              with srv_ctx.wrap_socket(conn, server_side=True) as tls:
                  while tls.recv(65536):
                      pass
          server = threading.Thread(target=serve)
          server.start()
          with ssl._create_unverified_context().wrap_socket(
                  socket.create_connection(listener.getsockname())) as tls:
              tls.sendall(bytes(i % 251 for i in range(1 << 20)))
          server.join()
          """);
      Process client = new ProcessBuilder("python3", "send.py").directory(dir.toFile()).redirectErrorStream(true).start();
      pid = client.pid();
      client.getInputStream().readAllBytes();
      assertTrue(client.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, client.exitValue());
      clientDone.countDown(); // let the consumer go on

      sink.awaitEvents(e -> e.getProcess().getPid() == pid && e.hasClose(), Duration.ofSeconds(10));
      sink.awaitLog("kernel ring buffer full", Duration.ofSeconds(10));
      stats = collector.stats();
    }

    List<RawEvent> chunks = sink.events.stream()
        .filter(e -> e.getProcess().getPid() == pid && e.hasData()
            && e.getData().getDirection() == Direction.WRITE && e.getData().getOriginalLength() == MIB)
        .toList();
    assertTrue(stats.droppedInKernel() > 0, stats.summary());
    assertTrue(stats.droppedBytesInKernel() > 0, stats.summary());
    assertTrue(stats.droppedBytesInKernel() <= stats.droppedInKernel() * 16384, "at most one chunk per lost record: " + stats.summary());
    assertTrue(chunks.size() < 64, "some chunks lost: " + chunks.size());
    assertTrue(chunks.size() + stats.droppedInKernel() >= 64, "every lost chunk counted: " + stats.summary());
    for (RawEvent chunk : chunks) { // what did arrive sits at its true position with the right bytes
      int at = chunk.getData().getChunkOffset();
      assertEquals(chunk.getData().getOffset(), at, "offset of a 1 MiB call starting the stream");
      assertEquals(16384, chunk.getData().getPayload().size());
      for (int i = 0; i < chunk.getData().getPayload().size(); i += 997) {
        assertEquals((byte) ((at + i) % 251), chunk.getData().getPayload().byteAt(i));
      }
    }
    assertTrue(sink.logs.stream().anyMatch(l -> l.getLevel() == LogLevel.WARN
        && l.getMessage().startsWith("kernel ring buffer full")));
  }

  /** Blocks the ring-buffer thread on the first chunk of the big call until the client is done. */
  private static final class StallingSink implements CaptureSink {
    private final RecordingSink recording = new RecordingSink();
    private final CountDownLatch release;
    final List<RawEvent> events = recording.events;
    final List<io.ecapture.kafka.proto.capture.ProcessLog> logs = recording.logs;

    StallingSink(CountDownLatch release) {
      this.release = release;
    }

    @Override
    public void event(RawEvent event) {
      if (event.hasData() && event.getData().getOriginalLength() == MIB) {
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      recording.event(event);
    }

    @Override
    public void log(io.ecapture.kafka.proto.capture.ProcessLog line) {
      recording.log(line);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}

    void awaitEvents(java.util.function.Predicate<RawEvent> matching, Duration max) throws InterruptedException {
      recording.awaitEvents(matching, max);
    }

    void awaitLog(String prefix, Duration max) throws InterruptedException {
      long deadline = System.nanoTime() + max.toNanos();
      while (System.nanoTime() < deadline && logs.stream().noneMatch(l -> l.getMessage().startsWith(prefix))) {
        Thread.sleep(20);
      }
    }
  }
}
