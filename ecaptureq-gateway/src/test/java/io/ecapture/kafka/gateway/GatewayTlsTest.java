package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wss:// and https:// with a key store given on the command line, self-signed in the test. */
class GatewayTlsTest {
  private static final String PASSWORD = "test-store-pass";

  @TempDir Path dir;

  @Test
  void tlsServesTheSocketAndStatusAndPlainClientsGetNothing() throws Exception {
    Path keyStore = selfSigned(dir.resolve("gateway.p12"));
    Path passwordFile = Files.writeString(dir.resolve("password"), PASSWORD + "\n");
    GatewayCommand command = new GatewayCommand();
    new picocli.CommandLine(command).parseArgs(
        "--bootstrap", "", "--listen", "127.0.0.1:0",
        "--tls-keystore", keyStore.toString(), "--tls-keystore-password-file", passwordFile.toString());
    HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(keyStore)).build();
    try (Gateway gateway = Gateway.start(command.config())) {
      // the socket client closes its HttpClient: the status request gets its own
      try (WsClient client = WsClient.connect(URI.create("wss://127.0.0.1:" + gateway.port() + "/"),
          HttpClient.newBuilder().sslContext(trusting(keyStore)).build())) {
        assertTrue(client.next().getRunLog().contains("listening on wss://127.0.0.1:"), "replayed start line");
        assertEquals(LogType.HEARTBEAT, client.next().getLogType());
        gateway.publish(GatewayWebSocketTest.event(1, "over tls"));
        assertEquals("over tls", client.nextNonHeartbeat().getEventPayload().getPayload().toStringUtf8());
      }
      HttpResponse<String> status =
          trusting.send(
              HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + gateway.port() + "/status")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, status.statusCode());
      assertTrue(status.body().contains("\"connectionsAccepted\":1"), status.body());
      // a client that does not trust the certificate cannot connect
      assertThrows(Exception.class,
          () -> WsClient.connect(URI.create("wss://127.0.0.1:" + gateway.port() + "/"), HttpClient.newHttpClient()));
    }
  }

  @Test
  void aWrongKeyStorePasswordFailsAtStartWithAClearError() throws Exception {
    Path keyStore = selfSigned(dir.resolve("other.p12"));
    GatewayConfig cfg =
        GatewayConfig.builder().listen("127.0.0.1:0").bootstrapServers("").tls(keyStore, "wrong").build();
    GatewayStartException e = assertThrows(GatewayStartException.class, () -> Gateway.start(cfg));
    assertTrue(e.getMessage().contains("cannot listen"), e.getMessage());
  }

  /** A PKCS#12 store with a self-signed RSA certificate for 127.0.0.1, made by the JDK's keytool. */
  static Path selfSigned(Path file) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p =
        new ProcessBuilder(
                keytool.toString(), "-genkeypair", "-alias", "gateway", "-keyalg", "RSA",
                "-keysize", "2048", "-validity", "2", "-dname", "CN=127.0.0.1",
                "-ext", "san=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
                "-keystore", file.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool finished");
    assertEquals(0, p.exitValue(), out);
    return file;
  }

  static SSLContext trusting(Path keyStore) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      store.load(in, PASSWORD.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
