package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.control.CollectorStats;
import io.ecapture.kafka.collector.control.SocketDiscoveryStatus;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bio-fd socket discovery and writes captured at their entry (uprobe sessions) on the system
 * libssl, with CPython on both ends of one connection, and partial writes: the client writes small
 * blocking messages (captured at entry, no return trap), 40 KiB blocking writes (more than one
 * record: the return probe reports the length), then 1 MiB through a non-blocking socket while the
 * server does not read yet (SSL_write_ex returns WANT_WRITE and is retried with the same data:
 * the return probe reports each call's real length). The client's captured write stream must be
 * contiguous and byte for byte what the server received: nothing lost, nothing twice.
 */
class EntryWriteTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static final String SCRIPT =
      """
      import hashlib, select, socket, ssl, sys, threading, time
      cert, key = sys.argv[1], sys.argv[2]
      sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); sctx.load_cert_chain(cert, key)
      cctx = ssl._create_unverified_context()
      listener = socket.socket(); listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
      listener.bind(("127.0.0.1", 0)); listener.listen(1)
      port = listener.getsockname()[1]
      got = hashlib.sha256(); total = [0]; may_read = threading.Event()
      def serve():
          conn, _ = listener.accept()
          s = sctx.wrap_socket(conn, server_side=True)
          first = True
          while True:
              if total[0] >= 16 * 20 + 3 * 40960 and first:
                  may_read.wait(); first = False
              data = s.recv(65536)
              if not data:
                  break
              got.update(data); total[0] += len(data)
          s.close()
      t = threading.Thread(target=serve, daemon=True); t.start()
      raw = socket.socket(); raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
      raw.connect(("127.0.0.1", port))
      c = cctx.wrap_socket(raw, server_hostname="localhost")
      for i in range(20):
          c.sendall(b"small-write-%04d" % i)
      for i in range(3):
          c.sendall(bytes([65 + i]) * 40960)
      c.setblocking(False)
      big = bytes(range(256)) * 4096
      view = memoryview(big); retries = 0; released = False
      while view:
          try:
              n = c.send(view[:65536]); view = view[n:]
          except ssl.SSLWantWriteError:
              retries += 1
              if not released and retries > 3:
                  may_read.set(); released = True
              select.select([], [c], [], 1.0)
      may_read.set()
      c.setblocking(True)
      c.shutdown(socket.SHUT_WR)  # EOF for the server; closing with unread tickets would reset
      t.join(); c.close()
      print(total[0], got.hexdigest(), retries, flush=True)
      """;

  @TempDir Path dir;

  @Test
  void entryWritesAndPartialWritesAreCapturedExactlyOnce() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("python3");
    RecordingSink sink = new RecordingSink();
    CollectorConfig config = CollectorConfig.builder().hostId("entry-write-host").statusPort(-1)
        .discoveryInterval(Duration.ZERO).build();
    try (TlsTestServer certificates = TlsTestServer.start(dir, false);
        Collector collector = Collector.start(config, stats -> sink)) {
      Library system = collector.libraries().stream()
          .filter(l -> l.path().toString().endsWith("libssl.so.3")).findFirst().orElseThrow();
      SocketDiscoveryStatus sockets = system.socketDiscovery();
      assertEquals("bio-fd", sockets.method(), sockets.toString());
      assertEquals(16, sockets.offsets().get("sslRbio"), sockets.toString());
      assertEquals(56, sockets.offsets().get("bioNum"), sockets.toString());

      Process python = new ProcessBuilder("python3", "-c", SCRIPT,
          dir.resolve("cert.pem").toString(), dir.resolve("key.pem").toString())
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      assertTrue(python.waitFor(60, TimeUnit.SECONDS) && python.exitValue() == 0, "python: " + out);
      String[] fields = out.split(" ");
      long received = Long.parseLong(fields[0]);
      String receivedHash = fields[1];
      int retries = Integer.parseInt(fields[2]);
      assertEquals(20 * 16 + 3 * 40960 + 1048576, received, out);
      assertTrue(retries > 0, "the non-blocking writes hit WANT_WRITE at least once: " + out);

      long pid = python.pid();
      List<RawEvent> writes = awaitWrites(sink, pid, received);
      long expected = 0;
      ByteArrayOutputStream stream = new ByteArrayOutputStream();
      for (RawEvent write : writes) {
        assertEquals(expected, write.getData().getOffset(), "contiguous write offsets, none twice");
        expected += write.getData().getPayload().size();
        write.getData().getPayload().writeTo(stream);
      }
      assertEquals(received, expected, "every byte written is captured once");
      String capturedHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(stream.toByteArray()));
      assertEquals(receivedHash, capturedHash, "the captured writes are what the server decrypted");
      assertTrue(writes.getFirst().getFd() > 2, "a real fd from the BIO: " + writes.getFirst());
      assertEquals(1, writes.stream().map(RawEvent::getConnectionId).distinct().count(), "one connection");

      CollectorStats.Snapshot stats = collector.stats();
      assertTrue(stats.bioSocketCalls() > 0, "sockets came from the BIO: " + stats.summary());
      // Linux >= 6.13 has uprobe sessions: the object must load them there (a program the verifier
      // refuses would silently fall back to entry + return pairs)
      String[] release = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/osrelease")).trim().split("[.-]");
      int major = Integer.parseInt(release[0]);
      int minor = Integer.parseInt(release[1]);
      if (major > 6 || (major == 6 && minor >= 13)) {
        assertTrue(collector.sessionWrites(), "uprobe sessions load on Linux " + major + "." + minor);
      }
      if (collector.sessionWrites()) {
        assertTrue(stats.entryOnlyWrites() >= 20, "the small blocking writes skipped their return: " + stats.summary());
        assertTrue(stats.uprobeHits() < 2 * stats.sslCalls(), "fewer than 2 traps per call: " + stats.summary());
      }
    }
  }

  /** The client's DATA writes on its connection to the server, in offset order, once all arrived. */
  private static List<RawEvent> awaitWrites(RecordingSink sink, long pid, long bytes) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      List<RawEvent> writes = sink.events.stream()
          .filter(e -> e.hasData() && e.getProcess().getPid() == pid && e.getData().getDirection() == Direction.WRITE)
          .toList();
      // the client's connection: the one whose writes carry the big payload
      String client = writes.stream().filter(e -> e.getData().getOriginalLength() > 20000)
          .map(RawEvent::getConnectionId).findFirst().orElse("");
      List<RawEvent> mine = writes.stream().filter(e -> e.getConnectionId().equals(client))
          .sorted(Comparator.comparingLong(e -> e.getData().getOffset())).toList();
      long sum = mine.stream().mapToLong(e -> e.getData().getPayload().size()).sum();
      if (sum >= bytes || System.nanoTime() > deadline) {
        return mine;
      }
      Thread.sleep(100);
    }
  }
}
