package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.CaptureRig;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.OpensslClient;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsHandshake;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another OpenSSL release than the machine's, as a Debian release ships it, probed through
 * --libssl, with its own openssl s_client as the traffic source against the machine's OpenSSL 3
 * s_server. Plaintext, socket, TLS version, resumption and the key log (against the key log
 * s_client writes itself) must all come out as for the machine's release, although the struct
 * layouts differ (1.1.x: SSL->s3 is a pointer; 3.5: SSL* is an SSL_CONNECTION). One subclass
 * per release.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DebianOpenSslCaptureTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private Path dir;
  private final DebianOpenSsl release;
  private CaptureRig rig;

  DebianOpenSslCaptureTest(DebianOpenSsl release) {
    this.release = release;
  }

  @BeforeAll
  void start(@TempDir Path classDir) throws Exception {
    dir = classDir;
    EbpfEnvironment.requireEbpf();
    release.provision();
    rig = CaptureRig.start(dir, CollectorConfig.builder().hostId("debian-ossl-host").statusPort(-1)
        .libsslPaths(List.of(release.libsslPath())).build());
  }

  @AfterAll
  void stop() throws Exception {
    CaptureRig.stop(rig);
  }

  @Test
  void tls13RequestResponseAndKeys() throws Exception {
    String marker = UUID.randomUUID().toString();
    OpensslClient client = s_client("/deb-" + marker, List.of());
    assertTrue(client.output().contains("HTTP/1.0 200 ok"), client.output());

    RawEvent request = first(e -> isData(e, client.pid(), Direction.WRITE) && payload(e).contains("GET /deb-" + marker));
    assertEquals(0, request.getData().getOffset(), "the request is the first byte written");
    assertTrue(request.getData().getTlsLibrary().endsWith(release.libsslPath().toString()), request.getData().getTlsLibrary());
    assertEquals(rig.server().port(), request.getTuple().getDstPort(), "remote port: the server's");
    assertTrue(request.getFd() > 2, "a real socket fd: " + request.getFd());
    RawEvent response = first(e -> isData(e, client.pid(), Direction.READ) && payload(e).contains("HTTP/1.0 200 ok"));
    assertEquals(request.getConnectionId(), response.getConnectionId());

    assertEquals(5, client.keyLog().size(), "five TLS 1.3 secrets: " + client.keyLog());
    assertEquals(client.keyLog(), rig.sink().keyLinesOfSession(client.keyLog(), WAIT));
    TlsHandshake handshake = handshakeOf(client.pid());
    assertEquals(0x0304, handshake.getTlsVersion(), handshake.toString());
    assertTrue(handshake.hasResumed() && !handshake.getResumed(), "a full handshake: " + handshake);
  }

  @Test
  void tls12ClientRandom() throws Exception {
    OpensslClient client = s_client("/deb-tls12", List.of("-tls1_2"));
    assertEquals(1, client.keyLog().size(), client.keyLog().toString());
    assertTrue(client.keyLog().iterator().next().startsWith("CLIENT_RANDOM "), client.keyLog().toString());
    assertEquals(client.keyLog(), rig.sink().keyLinesOfSession(client.keyLog(), WAIT), "master secret read through SSL->session");
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
    assertEquals(second.keyLog(), rig.sink().keyLinesOfSession(second.keyLog(), WAIT));
  }

  @Test
  void versionAndKeyCaptureOfTheLibraryAreKnown() {
    Library library = rig.collector().libraries().stream()
        .filter(l -> l.path().equals(release.libsslPath())).findFirst()
        .orElseThrow(() -> new AssertionError(rig.collector().libraries().toString()));
    assertEquals(release.version(), library.version(), "read from the libcrypto next to it");
    assertTrue(library.keyCapture(), library.toString());
  }

  private OpensslClient s_client(String path, List<String> options) throws Exception {
    return OpensslClient.request(release::openssl, release.environment(), dir, rig.server().port(), path, options);
  }

  private TlsHandshake handshakeOf(long pid) throws InterruptedException {
    return first(e -> e.getProcess().getPid() == pid && e.hasHandshake()).getHandshake();
  }

  private static boolean isData(RawEvent e, long pid, Direction direction) {
    return e.getProcess().getPid() == pid && e.hasData() && e.getData().getDirection() == direction;
  }

  private RawEvent first(java.util.function.Predicate<RawEvent> matching) throws InterruptedException {
    return rig.sink().awaitEvents(matching, WAIT).stream().findFirst()
        .orElseThrow(() -> new AssertionError("not captured; " + rig.sink().events.size() + " events"));
  }

  private static String payload(RawEvent event) {
    return event.getData().getPayload().toString(StandardCharsets.ISO_8859_1);
  }
}
