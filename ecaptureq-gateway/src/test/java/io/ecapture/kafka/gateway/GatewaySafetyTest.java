package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.gateway.session.ClientFilter;
import io.ecapture.kafka.gateway.session.ClientOptions;
import io.ecapture.kafka.gateway.session.UnknownParameterException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Safe by default: the gateway does not serve captured plaintext to the network unless a token or
 * TLS protects it (or the operator says {@code --insecure-listen}), and a WebSocket URL with a
 * query parameter it does not know is refused, never treated as "no filter".
 */
class GatewaySafetyTest {

  @Test
  void aNonLoopbackAddressNeedsATokenOrTlsOrInsecureListen() {
    GatewayConfig open = GatewayConfig.builder().bootstrapServers("").listen("0.0.0.0:0").build();
    GatewayStartException refused = assertThrows(GatewayStartException.class, () -> Gateway.start(open));
    assertEquals("refusing to listen on 0.0.0.0:0 (not loopback) without --token-file or --tls-keystore: "
        + "anyone reaching it would read the captured plaintext; add --insecure-listen to do it anyway",
        refused.getMessage());
    assertNotNull(GatewayConfig.builder().listen("[::]:0").build().unsafeListenReason(), "the IPv6 wildcard too");

    try (Gateway withToken = Gateway.start(open.toBuilder().token("s3cret").build())) {
      assertTrue(withToken.port() > 0);
    }
    try (Gateway insecure = Gateway.start(open.toBuilder().insecureListen(true).build())) {
      assertTrue(insecure.port() > 0, "the operator's explicit choice");
    }
    assertNull(open.toBuilder().tls(Path.of("/etc/gateway.p12"), "pw").build().unsafeListenReason(), "TLS");
    for (String loopback : List.of("127.0.0.1:0", "localhost:0", "[::1]:0", "127.0.0.2:0")) {
      assertNull(open.toBuilder().listen(loopback).build().unsafeListenReason(), loopback);
    }
    assertTrue(GatewayConfig.defaults().toString().contains("insecureListen=false"));
  }

  @Test
  void theCommandSaysWhyInOneLineAndExitsNonZero() throws Exception {
    PrintStream original = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      exit = new CommandLine(new GatewayCommand()).execute("--listen", "0.0.0.0:0", "--bootstrap", "");
    } finally {
      System.setErr(original);
    }
    assertEquals(CommandLine.ExitCode.USAGE, exit);
    String text = err.toString(StandardCharsets.UTF_8);
    assertTrue(text.startsWith("gateway: refusing to listen on 0.0.0.0:0 (not loopback)"), text);
    assertEquals(1, text.lines().count(), text);
    String usage = new CommandLine(new GatewayCommand()).getUsageMessage();
    assertTrue(usage.contains("--insecure-listen"), usage);
    GatewayCommand command = new GatewayCommand();
    new CommandLine(command).parseArgs("--listen", "0.0.0.0:0", "--insecure-listen");
    assertNull(command.config().unsafeListenReason());
  }

  @Test
  void anUnknownQueryParameterIsRefusedWithTheKnownOnes() throws Exception {
    try (Gateway gateway = Gateway.start(GatewayConfig.builder().bootstrapServers("").listen("127.0.0.1:0").build())) {
      String misspelt = handshake(gateway.port(), "/?pdi=1");
      assertTrue(misspelt.startsWith("HTTP/1.1 400 "), misspelt);
      String known = String.join(", ", ClientOptions.KNOWN_KEYS);
      assertTrue(misspelt.endsWith("unknown query parameter 'pdi'; known: " + known + "\n"), misspelt);
      for (String key : List.of("container", "host", "pid", "pname", "pod", "port", "since", "token", "type")) {
        assertTrue(known.contains(key), key + " in " + known);
      }
      String withKnown = handshake(gateway.port(), "/?pid=1&hots=a");
      assertTrue(withKnown.startsWith("HTTP/1.1 400 ") && withKnown.contains("'hots'"), withKnown);
      String encoded = handshake(gateway.port(), "/?p%69d=1&%70dx=2");
      assertTrue(encoded.contains("unknown query parameter 'pdx'"), "keys are compared decoded: " + encoded);
      assertEquals(3, gateway.stats().handshakesRefused(), "refused, not malformed");
      assertEquals(0, gateway.stats().malformedHandshakes());

      String fine = handshake(gateway.port(), "/?pid=1&token=&annotate=host");
      assertTrue(fine.startsWith("HTTP/1.1 101 "), fine);
    }
  }

  /** Every key ClientFilter and ClientOptions list is read by them: none is silently ignored. */
  @Test
  void everyKnownKeyIsReadByItsParser() {
    assertTrue(ClientOptions.KNOWN_KEYS.containsAll(ClientFilter.KEYS));
    for (String key : ClientFilter.KEYS) {
      ClientFilter filter = null;
      for (String value : List.of("1", "0123456789ab", "x")) {
        try {
          filter = ClientFilter.parse("/?" + key + "=" + value);
          break;
        } catch (IllegalArgumentException tryAnother) {
          // a value of another kind
        }
      }
      assertNotNull(filter, key + " takes none of the sample values");
      assertTrue(!filter.isAll(), key + " is listed but not read: it would widen what a client sees");
    }
    for (String key : ClientOptions.KEYS) {
      String value = key.equals("annotate") ? "host" : key.equals("since") ? "30s" : "5";
      assertTrue(ClientOptions.parse("/?" + key + "=" + value) != ClientOptions.DEFAULT, key);
    }
    UnknownParameterException e =
        assertThrows(UnknownParameterException.class, () -> ClientOptions.parse("/?pid=1&pdi=1"));
    assertEquals("pdi", e.parameter());
    assertThrows(UnknownParameterException.class, () -> ClientFilter.parse("/?pdi=1").isAll(),
        "the filter alone refuses it too");
  }

  /** A raw upgrade request for {@code target}; returns the whole answer (head and body). */
  private static String handshake(int port, String target) throws Exception {
    try (Socket socket = new Socket()) {
      socket.setSoTimeout(30_000);
      socket.connect(new InetSocketAddress("127.0.0.1", port));
      socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\n"
              + "Host: 127.0.0.1:" + port + "\r\n"
              + "Upgrade: websocket\r\n"
              + "Connection: Upgrade\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      java.io.InputStream in = socket.getInputStream();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[4096];
      while (true) {
        int n = in.read(buffer);
        if (n < 0) {
          break;
        }
        out.write(buffer, 0, n);
        String sofar = out.toString(StandardCharsets.UTF_8);
        if (sofar.startsWith("HTTP/1.1 101 ") && sofar.contains("\r\n\r\n")) {
          return sofar.substring(0, sofar.indexOf("\r\n\r\n")); // upgraded: the socket stays open
        }
      }
      String answer = out.toString(StandardCharsets.UTF_8);
      return answer.substring(0, answer.indexOf("\r\n")) + "\n" + answer.substring(answer.indexOf("\r\n\r\n") + 4);
    }
  }
}
