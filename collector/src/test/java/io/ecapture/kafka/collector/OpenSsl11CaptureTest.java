package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsHandshake;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenSSL 1.1.x: Debian 11's libssl.so.1.1 (1.1.1w) probed through --libssl, with its own
 * openssl s_client as the traffic source against an OpenSSL 3 s_server. Plaintext, socket, TLS
 * version, resumption and the key log (against the key log s_client writes itself) must all come
 * out as they do for 3.x, although 1.1.x lays out its structs differently (SSL->s3 is a pointer).
 */
class OpenSsl11CaptureTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir static Path dir;
  private static DebianOpenSsl11 openssl11;
  private static CaptureRig rig;
  private static RecordingSink sink;
  private static Collector collector;
  private static TlsTestServer server;

  @BeforeAll
  static void start() throws Exception {
    EbpfEnvironment.requireEbpf();
    openssl11 = DebianOpenSsl11.provision();
    rig = CaptureRig.start(dir, CollectorConfig.defaults().withHostId("ossl11-host").withStatusPort(-1)
        .withLibsslPaths(List.of(openssl11.libssl())));
    sink = rig.sink();
    collector = rig.collector();
    server = rig.server();
  }

  @AfterAll
  static void stop() throws Exception {
    CaptureRig.stop(rig);
  }

  @Test
  void tls13RequestResponseAndKeysOfAn11Client() throws Exception {
    String marker = UUID.randomUUID().toString();
    OpensslClient client = s_client("/v11-" + marker, List.of());
    assertTrue(client.output().contains("HTTP/1.0 200 ok"), client.output());

    RawEvent request = first(e -> isData(e, client.pid(), Direction.WRITE) && payload(e).contains("GET /v11-" + marker));
    assertEquals(0, request.getData().getOffset(), "the request is the first byte written");
    assertTrue(request.getData().getTlsLibrary().endsWith("libssl.so.1.1"), request.getData().getTlsLibrary());
    assertEquals(server.port(), request.getTuple().getDstPort(), "remote port: the server's");
    assertTrue(request.getFd() > 2, "a real socket fd: " + request.getFd());
    RawEvent response = first(e -> isData(e, client.pid(), Direction.READ) && payload(e).contains("HTTP/1.0 200 ok"));
    assertEquals(request.getConnectionId(), response.getConnectionId());

    assertEquals(5, client.keyLog().size(), "five TLS 1.3 secrets: " + client.keyLog());
    assertEquals(client.keyLog(), sink.keyLinesOfSession(client.keyLog(), WAIT));
    TlsHandshake handshake = handshakeOf(client.pid());
    assertEquals(0x0304, handshake.getTlsVersion(), handshake.toString());
    assertTrue(handshake.hasResumed() && !handshake.getResumed(), "a full handshake: " + handshake);
  }

  @Test
  void tls12ClientRandomOfAn11Client() throws Exception {
    OpensslClient client = s_client("/v11-tls12", List.of("-tls1_2"));
    assertEquals(1, client.keyLog().size(), client.keyLog().toString());
    assertTrue(client.keyLog().iterator().next().startsWith("CLIENT_RANDOM "), client.keyLog().toString());
    assertEquals(client.keyLog(), sink.keyLinesOfSession(client.keyLog(), WAIT), "master secret read through SSL->session");
    assertEquals(0x0303, handshakeOf(client.pid()).getTlsVersion());
  }

  @Test
  void resumedSessionIsReported() throws Exception {
    Path session = dir.resolve("session-" + UUID.randomUUID() + ".pem");
    OpensslClient first = s_client("/full", List.of("-tls1_2", "-sess_out", session.toString()));
    OpensslClient second = s_client("/resumed", List.of("-tls1_2", "-sess_in", session.toString()));
    assertTrue(second.output().contains("HTTP/1.0 200 ok"), second.output());
    TlsHandshake full = handshakeOf(first.pid());
    TlsHandshake resumed = handshakeOf(second.pid());
    assertTrue(full.hasResumed() && !full.getResumed(), full.toString());
    assertTrue(resumed.hasResumed() && resumed.getResumed(), "SSL->hit of the second session: " + resumed);
    // a resumed TLS 1.2 session keeps its master secret: one key-log line serves both randoms
    assertFalse(second.keyLog().isEmpty());
    assertEquals(second.keyLog(), sink.keyLinesOfSession(second.keyLog(), WAIT));
  }

  @Test
  void versionAndKeyCaptureOfTheLibraryAreKnown() {
    Collector.Library library = collector.libraries().stream()
        .filter(l -> l.path().equals(openssl11.libssl())).findFirst().orElseThrow(() -> new AssertionError(collector.libraries().toString()));
    assertEquals(DebianOpenSsl11.VERSION, library.version(), "read from the libcrypto.so.1.1 next to it");
    assertTrue(library.keyCapture(), library.toString());
  }

  private static OpensslClient s_client(String path, List<String> options) throws Exception {
    return OpensslClient.request(openssl11.opensslBinary(), Map.of("LD_LIBRARY_PATH", openssl11.libDir().toString()),
        dir, server.port(), path, options);
  }

  private static TlsHandshake handshakeOf(long pid) throws InterruptedException {
    return first(e -> e.getProcess().getPid() == pid && e.hasHandshake()).getHandshake();
  }

  private static boolean isData(RawEvent e, long pid, Direction direction) {
    return e.getProcess().getPid() == pid && e.hasData() && e.getData().getDirection() == direction;
  }

  private static RawEvent first(java.util.function.Predicate<RawEvent> matching) throws InterruptedException {
    return sink.awaitEvents(matching, WAIT).stream().findFirst()
        .orElseThrow(() -> new AssertionError("not captured; " + sink.events.size() + " events"));
  }

  private static String payload(RawEvent event) {
    return event.getData().getPayload().toString(StandardCharsets.ISO_8859_1);
  }
}
