package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.collector.CaptureRig;
import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsFunction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads the real BPF programs, drives real TLS clients (curl: SSL_write/SSL_read; CPython:
 * SSL_write_ex/SSL_read_ex) against openssl s_server and checks what the kernel reports.
 */
class RealCaptureTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String HOST = "test-host";

  @TempDir static Path dir;
  private static CaptureRig rig;
  private static RecordingSink sink;
  private static Collector collector;
  private static TlsTestServer server;

  @BeforeAll
  static void startCollectorAndServer() throws Exception {
    rig = CaptureRig.start(dir, CollectorConfig.builder().hostId(HOST).statusPort(0).dataDir(dir.resolve("data")).build());
    sink = rig.sink();
    collector = rig.collector();
    server = rig.server();
  }

  @AfterAll
  static void stop() throws Exception {
    CaptureRig.stop(rig);
  }

  @BeforeEach
  void clearEvents() {
    sink.events.clear();
  }

  @Test
  void curlRequestAndResponseAreCapturedWithProcessSocketAndOffsets() throws Exception {
    EbpfEnvironment.requireTool("curl");
    String marker = UUID.randomUUID().toString();
    long trackedBefore = collector.stats().trackedConnections();
    long pid = runClient(List.of("curl", "-sk", "https://127.0.0.1:" + server.port() + "/",
        "-H", "X-Marker: " + marker));

    List<RawEvent> close = sink.awaitEvents(ofPid(pid).and(RawEvent::hasClose), WAIT);
    List<RawEvent> curl = sink.events.stream().filter(ofPid(pid)).toList();
    List<RawEvent> writes = data(curl, Direction.WRITE);
    List<RawEvent> reads = data(curl, Direction.READ);

    String written = concat(writes);
    assertTrue(written.startsWith("GET / HTTP/1.1\r\n"), written);
    assertTrue(written.contains("X-Marker: " + marker), written);
    assertTrue(concat(reads).contains("HTTP/1."), concat(reads));
    assertTrue(writes.stream().allMatch(e -> e.getData().getFunction() == TlsFunction.SSL_WRITE));
    assertTrue(reads.stream().allMatch(e -> e.getData().getFunction() == TlsFunction.SSL_READ));

    RawEvent first = writes.getFirst();
    assertEquals("curl", first.getProcess().getComm());
    assertTrue(first.getFd() >= 3, "fd " + first.getFd());
    assertEquals(AddressFamily.INET, first.getTuple().getFamily());
    assertEquals(ipv4Loopback(), first.getTuple().getSrcAddr());
    assertEquals(ipv4Loopback(), first.getTuple().getDstAddr());
    assertEquals(server.port(), first.getTuple().getDstPort());
    assertTrue(first.getTuple().getSrcPort() > 0);
    assertEquals(
        HOST + "/" + pid + "/" + first.getFd() + "/" + first.getConnectionStartNs(),
        first.getConnectionId());
    assertTrue(curl.stream().allMatch(e -> e.getConnectionId().equals(first.getConnectionId())),
        "one connection id for every event of curl's single connection");
    assertTrue(curl.getFirst().hasOpen(), "the connection opens with an OPEN event");
    assertFalse(curl.getFirst().getOpen().getIsAccept(), "curl connected: client side");
    assertTrue(first.getData().getTlsLibrary().startsWith("openssl /"), first.getData().getTlsLibrary());

    assertContiguousFromZero(writes);
    assertContiguousFromZero(reads);
    assertEquals(1, close.size());
    assertEquals(totalLength(writes), close.getFirst().getClose().getBytesWritten());
    assertEquals(totalLength(reads), close.getFirst().getClose().getBytesRead());
    assertEquals(trackedBefore, collector.stats().trackedConnections(), "closed connection forgotten");
    assertMetricsCountCapture();
  }

  private static void assertMetricsCountCapture() throws Exception {
    try (java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient()) {
      String metrics = client.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + collector.statusPort() + "/metrics"))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString())
          .body();
      long captured = metrics.lines()
          .filter(l -> l.startsWith("ecapture_collector_captured_records_total{"))
          .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))) // "12.0"
          .findFirst()
          .orElseThrow();
      assertTrue(captured >= 4, metrics);
    }
  }

  @Test
  void concurrentClientsEachGetTheirOwnContiguousConnection() throws Exception {
    EbpfEnvironment.requireTool("curl");
    int clients = 16;
    List<Process> processes = new java.util.ArrayList<>();
    for (int i = 0; i < clients; i++) {
      processes.add(new ProcessBuilder("curl", "-sk", "https://127.0.0.1:" + server.port() + "/",
              "-H", "X-Client: " + i)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start());
    }
    for (Process p : processes) {
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue());
    }
    for (int i = 0; i < clients; i++) {
      long pid = processes.get(i).pid();
      sink.awaitEvents(ofPid(pid).and(RawEvent::hasClose), WAIT);
      List<RawEvent> events = sink.events.stream().filter(ofPid(pid)).toList();
      assertEquals(1, events.stream().map(RawEvent::getConnectionId).distinct().count(), "client " + i);
      List<RawEvent> writes = data(events, Direction.WRITE);
      assertTrue(concat(writes).contains("X-Client: " + i + "\r\n"), concat(writes));
      assertContiguousFromZero(writes);
      assertContiguousFromZero(data(events, Direction.READ));
    }
  }

  @Test
  void pythonUsesTheExFunctionsAndIsCaptured() throws Exception {
    EbpfEnvironment.requireTool("python3");
    String marker = UUID.randomUUID().toString();
    String script =
        "import ssl, urllib.request\n"
            + "ctx = ssl._create_unverified_context()\n"
            + "req = urllib.request.Request('https://127.0.0.1:" + server.port() + "/', headers={'X-Marker': '" + marker + "'})\n"
            + "print(urllib.request.urlopen(req, context=ctx).read()[:40])\n";
    long pid = runClient(List.of("python3", "-c", script));

    sink.awaitEvents(ofPid(pid).and(RawEvent::hasClose), WAIT);
    List<RawEvent> python = sink.events.stream().filter(ofPid(pid)).toList();
    List<RawEvent> writes = data(python, Direction.WRITE);
    List<RawEvent> reads = data(python, Direction.READ);

    assertTrue(concat(writes).contains("X-Marker: " + marker), concat(writes));
    assertTrue(concat(reads).contains("HTTP/1."), concat(reads));
    assertTrue(writes.stream().allMatch(e -> e.getData().getFunction() == TlsFunction.SSL_WRITE_EX));
    assertTrue(reads.stream().allMatch(e -> e.getData().getFunction() == TlsFunction.SSL_READ_EX));
    assertEquals(server.port(), writes.getFirst().getTuple().getDstPort());
    assertContiguousFromZero(writes);
    assertContiguousFromZero(reads);
  }

  @Test
  void ipv6ConnectionHasSixteenByteLoopbackTuple() throws Exception {
    EbpfEnvironment.requireTool("curl");
    Path v6dir = java.nio.file.Files.createDirectories(dir.resolve("v6"));
    try (TlsTestServer v6 = TlsTestServer.start(v6dir, true)) {
      long pid = runClient(List.of("curl", "-sk", "https://[::1]:" + v6.port() + "/"));
      sink.awaitEvents(ofPid(pid).and(RawEvent::hasClose), WAIT);
      RawEvent write = data(sink.events.stream().filter(ofPid(pid)).toList(), Direction.WRITE).getFirst();
      byte[] loopback = new byte[16];
      loopback[15] = 1;
      assertEquals(AddressFamily.INET6, write.getTuple().getFamily());
      assertEquals(ByteString.copyFrom(loopback), write.getTuple().getSrcAddr());
      assertEquals(ByteString.copyFrom(loopback), write.getTuple().getDstAddr());
      assertEquals(v6.port(), write.getTuple().getDstPort());
    }
  }

  @Test
  void oneMebibyteCallArrivesWholeInOrderAndLongerCallIsFlaggedTruncated() throws Exception {
    EbpfEnvironment.requireTool("python3");
    int mib = 1 << 20;
    // one process: a TLS server thread that drains, and a client doing two single sendall calls
    // (CPython: one SSL_write_ex each) of exactly 1 MiB and of 1 MiB + 100 bytes.
    String script =
        """
        import socket, ssl, threading
        srv_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        srv_ctx.load_cert_chain('cert.pem', 'key.pem')
        listener = socket.create_server(('127.0.0.1', 0))
        port = listener.getsockname()[1]
        def serve():
            conn, _ = listener.accept()
            with srv_ctx.wrap_socket(conn, server_side=True) as tls:
                while tls.recv(65536):
                    pass
        server = threading.Thread(target=serve)
        server.start()
        cli_ctx = ssl._create_unverified_context()
        pattern = bytes(i % 251 for i in range(MIB))
        with cli_ctx.wrap_socket(socket.create_connection(('127.0.0.1', port))) as tls:
            tls.sendall(pattern)
            tls.sendall(pattern + b'x' * 100)
        server.join()
        """
            .replace("MIB", Integer.toString(mib));
    long trackedBefore = collector.stats().trackedConnections();
    long pid = runClient(List.of("python3", "-c", script));
    // the client exits with the server's session ticket unread: its close resets the server side,
    // whose reads continue after TCP_CLOSE; closing the fds must still forget both connections
    assertEquals(trackedBefore, collector.stats().trackedConnections(), "no connection left behind");
    Predicate<RawEvent> bigWrites =
        e -> e.hasData() && e.getData().getDirection() == Direction.WRITE && e.getData().getOriginalLength() >= mib;
    sink.awaitEvents(ofPid(pid).and(RawEvent::hasClose), WAIT);
    List<RawEvent> writes = data(sink.events.stream().filter(ofPid(pid).and(bigWrites)).toList(), Direction.WRITE);

    List<RawEvent> opens = sink.events.stream().filter(ofPid(pid).and(RawEvent::hasOpen)).toList();
    assertEquals(2, opens.size(), "client and server side of the same process");
    assertEquals(1, opens.stream().filter(e -> e.getOpen().getIsAccept()).count(), "the accepted one is the server: " + opens);
    RawEvent serverOpen = opens.stream().filter(e -> e.getOpen().getIsAccept()).findFirst().orElseThrow();
    assertEquals(writes.getFirst().getTuple().getDstPort(), serverOpen.getTuple().getSrcPort());
    List<RawEvent> first = writes.stream().filter(e -> e.getData().getOriginalLength() == mib).toList();
    List<RawEvent> second = writes.stream().filter(e -> e.getData().getOriginalLength() == mib + 100).toList();
    assertEquals(64, first.size(), "1 MiB in 16 KiB chunks");
    assertEquals(64, second.size(), "capped at 1 MiB");
    byte[] expected = new byte[mib];
    for (int i = 0; i < mib; i++) {
      expected[i] = (byte) (i % 251);
    }
    assertEquals(ByteString.copyFrom(expected), concatBytes(first), "first call whole and in order");
    assertContiguousFromZero(first);
    for (RawEvent chunk : first) {
      assertEquals(chunk.getData().getOffset(), chunk.getData().getChunkOffset(), "first call starts at 0");
    }
    assertEquals(mib, second.getFirst().getData().getOffset(), "second call starts where the first ended");
    assertTrue(second.stream().allMatch(e -> e.getData().getTruncated()));
    assertEquals(ByteString.copyFrom(expected), concatBytes(second), "the first 1 MiB of the second call");
    assertTrue(collector.stats().truncatedCalls() >= 1);
  }

  private static ByteString concatBytes(List<RawEvent> sortedByOffset) {
    ByteString all = ByteString.EMPTY;
    for (RawEvent e : sortedByOffset) {
      all = all.concat(e.getData().getPayload());
    }
    return all;
  }

  private static long runClient(List<String> command) throws Exception {
    Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    long pid = process.pid();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "client finished");
    assertEquals(0, process.exitValue(), "client output: " + output);
    return pid;
  }

  private static Predicate<RawEvent> ofPid(long pid) {
    return event -> event.getProcess().getPid() == pid;
  }

  private static List<RawEvent> data(List<RawEvent> events, Direction direction) {
    List<RawEvent> selected =
        events.stream()
            .filter(e -> e.hasData() && e.getData().getDirection() == direction)
            .sorted(Comparator.comparingLong(e -> e.getData().getOffset()))
            .toList();
    assertFalse(selected.isEmpty(), "no " + direction + " events");
    return selected;
  }

  private static String concat(List<RawEvent> events) {
    StringBuilder text = new StringBuilder();
    events.forEach(e -> text.append(e.getData().getPayload().toString(StandardCharsets.ISO_8859_1)));
    return text.toString();
  }

  private static long totalLength(List<RawEvent> events) {
    return events.stream().mapToLong(e -> e.getData().getPayload().size()).sum();
  }

  /** Offsets start at 0 and each event starts where the previous one ended: no gap, no overlap. */
  private static void assertContiguousFromZero(List<RawEvent> sortedByOffset) {
    long expected = 0;
    for (RawEvent event : sortedByOffset) {
      assertEquals(expected, event.getData().getOffset(), "offset of " + event.getData().getFunction());
      assertFalse(event.getData().getTruncated() && event.getData().getOriginalLength() <= 1 << 20);
      expected += event.getData().getPayload().size();
    }
  }

  private static ByteString ipv4Loopback() {
    return ByteString.copyFrom(new byte[] {127, 0, 0, 1});
  }
}
