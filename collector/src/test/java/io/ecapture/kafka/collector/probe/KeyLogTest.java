package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.CaptureRig;
import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.OpensslClient;
import io.ecapture.kafka.collector.PythonHttpsServer;
import io.ecapture.kafka.collector.PythonTlsClient;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.sink.RecordingSink;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS key material read from OpenSSL's structs must equal what curl itself writes to
 * SSLKEYLOGFILE (the oracle), for TLS 1.3 and TLS 1.2.
 */
class KeyLogTest {
  @TempDir static Path dir;
  private static CaptureRig rig;
  private static RecordingSink sink;
  private static Collector collector;
  private static TlsTestServer server;
  private static long lastCurlPid;

  private static io.ecapture.kafka.proto.capture.RawEvent openOfLastCurl() throws InterruptedException {
    long pid = lastCurlPid;
    return sink.awaitEvents(e -> e.getProcess().getPid() == pid && e.hasOpen(), Duration.ofSeconds(10)).stream()
        .findFirst()
        .orElseThrow(() -> new AssertionError("no OPEN event of curl " + pid));
  }

  @BeforeAll
  static void start() throws Exception {
    EbpfEnvironment.requireTool("curl");
    rig = CaptureRig.start(dir, CollectorConfig.builder().hostId("keys-host").statusPort(0).dataDir(dir.resolve("data")).build());
    sink = rig.sink();
    collector = rig.collector();
    server = rig.server();
  }

  @AfterAll
  static void stop() throws Exception {
    CaptureRig.stop(rig);
  }

  @Test
  void tls13SecretsEqualCurlsKeyLog() throws Exception {
    Set<String> expected = curlKeyLog("tls13.keys", List.of());
    assertEquals(5, expected.size(), "curl logs five TLS 1.3 secrets: " + expected);
    assertEquals(expected, sink.keyLinesOfSession(expected, Duration.ofSeconds(10)));
    assertEquals(0x0304, openOfLastCurl().getOpen().getTlsVersion(), "OPEN carries the TLS version");
    assertHandshake(lastCurlPid, 0x0304);
  }

  @Test
  void tls12ClientRandomEqualsCurlsKeyLog() throws Exception {
    Set<String> expected = curlKeyLog("tls12.keys", List.of("--tls-max", "1.2"));
    assertEquals(1, expected.size(), expected.toString());
    assertTrue(expected.iterator().next().startsWith("CLIENT_RANDOM "), expected.toString());
    assertEquals(expected, sink.keyLinesOfSession(expected, Duration.ofSeconds(10)));
    assertEquals(0x0303, openOfLastCurl().getOpen().getTlsVersion(), "OPEN carries the TLS version");
    assertHandshake(lastCurlPid, 0x0303);
  }

  @Test
  void pythonClientHandshakeIsReportedOnce() throws Exception {
    long before = collector.stats().handshakes();
    try (PythonTlsClient client = new PythonTlsClient(server.port())) {
      client.request("handshake");
      assertHandshake(client.pid(), 0x0304);
      // CPython's wrap_socket calls SSL_do_handshake once; its later reads/writes report no other
      List<io.ecapture.kafka.proto.capture.RawEvent> handshakes =
          sink.awaitEvents(e -> e.getProcess().getPid() == client.pid() && e.hasHandshake(), Duration.ofSeconds(1));
      assertEquals(1, handshakes.size(), handshakes.toString());
    }
    // only the client's side: s_server -www reads through its SSL BIO (not the probed SSL_read)
    assertTrue(collector.stats().handshakes() >= before + 1, collector.stats().summary());
  }

  @Test
  void serverWithoutSslDoHandshakeReportsAnImplicitHandshake() throws Exception {
    try (PythonHttpsServer lazy = new PythonHttpsServer(dir, true)) {
      Process curl = new ProcessBuilder("curl", "-sk", "https://127.0.0.1:" + lazy.port() + "/lazy")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      assertTrue(curl.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, curl.exitValue());
      // the server's first SSL_read ran the handshake: reported with that read
      io.ecapture.kafka.proto.capture.RawEvent handshake = sink.awaitEvents(
              e -> e.getProcess().getPid() == lazy.pid() && e.hasHandshake(), Duration.ofSeconds(10))
          .stream().findFirst().orElseThrow(() -> new AssertionError("no HANDSHAKE of the lazy server"));
      assertTrue(handshake.getHandshake().getImplicit(), handshake.toString());
      assertEquals(0x0304, handshake.getHandshake().getTlsVersion());
      // timed from the entry of the SSL_read that found the handshake unfinished
      assertTrue(handshake.getHandshake().getDurationNs() > 0, handshake.toString());
      assertTrue(handshake.getHandshake().getDurationNs() < 10_000_000_000L, handshake.toString());
      assertTrue(handshake.getHandshake().hasResumed() && !handshake.getHandshake().getResumed(), handshake.toString());
      io.ecapture.kafka.proto.capture.RawEvent request = sink.awaitEvents(e -> e.hasData()
          && e.getConnectionId().equals(handshake.getConnectionId()), Duration.ofSeconds(10)).getFirst();
      assertTrue(request.getData().getPayload().toStringUtf8().startsWith("GET /lazy"), request.toString());
      assertTrue(handshake.getKernelTimeNs() <= request.getKernelTimeNs(), "reported before the data of that read");
      assertEquals(1, sink.events.stream().filter(e -> e.hasHandshake()
          && e.getConnectionId().equals(handshake.getConnectionId())).count(), "once per connection");
      // curl called SSL_do_handshake: timed, not implicit
      io.ecapture.kafka.proto.capture.RawEvent client = sink.awaitEvents(
          e -> e.getProcess().getPid() == curl.pid() && e.hasHandshake(), Duration.ofSeconds(10)).getFirst();
      assertFalse(client.getHandshake().getImplicit(), client.toString());
      assertTrue(client.getHandshake().getDurationNs() > 0);
    }
  }

  @Test
  void resumedSessionIsReported() throws Exception {
    Path session = dir.resolve("resume.pem");
    OpensslClient full = OpensslClient.request(dir, server.port(), "/full",
        List.of("-sess_out", session.toString()));
    OpensslClient resumed = OpensslClient.request(dir, server.port(), "/again",
        List.of("-sess_in", session.toString()));
    assertTrue(resumed.output().contains("HTTP/1.0 200 ok"), resumed.output());
    for (OpensslClient client : List.of(full, resumed)) {
      io.ecapture.kafka.proto.capture.RawEvent handshake = sink.awaitEvents(
              e -> e.getProcess().getPid() == client.pid() && e.hasHandshake(), Duration.ofSeconds(10))
          .stream().findFirst().orElseThrow(() -> new AssertionError("no HANDSHAKE of s_client " + client.pid()));
      assertTrue(handshake.getHandshake().hasResumed(), handshake.toString());
      assertEquals(client == resumed, handshake.getHandshake().getResumed(), "SSL->hit: " + handshake);
      assertEquals(0x0304, handshake.getHandshake().getTlsVersion());
    }
    // TLS 1.3 resumption still derives fresh traffic secrets: the key log must follow them
    assertEquals(resumed.keyLog(), sink.keyLinesOfSession(resumed.keyLog(), Duration.ofSeconds(10)));
  }

  /**
   * The connection of {@code pid} reports one completed handshake: the negotiated version, a
   * positive duration, and the same connection id as its OPEN.
   */
  private static void assertHandshake(long pid, int version) throws InterruptedException {
    io.ecapture.kafka.proto.capture.RawEvent handshake =
        sink.awaitEvents(e -> e.getProcess().getPid() == pid && e.hasHandshake(), Duration.ofSeconds(10)).stream()
            .findFirst()
            .orElseThrow(() -> new AssertionError("no HANDSHAKE event of pid " + pid));
    assertEquals(version, handshake.getHandshake().getTlsVersion(), handshake.toString());
    assertTrue(handshake.getHandshake().getDurationNs() > 0, handshake.toString());
    assertTrue(handshake.getHandshake().getDurationNs() < 30_000_000_000L, handshake.toString());
    io.ecapture.kafka.proto.capture.RawEvent open =
        sink.awaitEvents(e -> e.getProcess().getPid() == pid && e.hasOpen(), Duration.ofSeconds(10)).getFirst();
    assertEquals(open.getConnectionId(), handshake.getConnectionId());
    assertTrue(handshake.getTuple().getDstPort() == server.port(), handshake.toString());
  }

  @Test
  void statusListsTheLibraryWithItsVersionAndKeyCapture() throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      String status = client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + collector.statusPort() + "/status")).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
      String version = OpenSslVersion.of(CollectorConfig.defaults().libsslPaths().getFirst()).orElseThrow();
      assertTrue(status.contains("\"version\":\"" + version + "\""), status);
      boolean known = OpenSslOffsets.forVersion(version).isPresent();
      assertTrue(status.contains(known ? "\"keyCapture\":\"on\"" : "unsupported OpenSSL version"), status);
      // this kernel (6.18) has the socket tracepoints: no hook runs on other processes' syscalls
      assertTrue(status.contains("\"socketHooks\":\"socket tracepoints"), status);
    }
  }

  /** Runs curl with SSLKEYLOGFILE and returns the lines it wrote (comments left out). */
  private static Set<String> curlKeyLog(String file, List<String> options) throws Exception {
    Path keys = dir.resolve(file);
    List<String> command = new ArrayList<>(List.of("curl", "-sk"));
    command.addAll(options);
    command.add("https://127.0.0.1:" + server.port() + "/");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("SSLKEYLOGFILE", keys.toString());
    Process curl = builder.start();
    lastCurlPid = curl.pid();
    assertTrue(curl.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, curl.exitValue());
    return OpensslClient.keyLogLines(keys);
  }
}
