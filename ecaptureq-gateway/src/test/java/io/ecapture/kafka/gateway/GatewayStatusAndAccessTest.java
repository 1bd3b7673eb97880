package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Token-protected access, the status and metrics endpoints, and life without a broker. */
class GatewayStatusAndAccessTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> get(int port, String path, String bearer) throws Exception {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (bearer != null) {
      req.header("Authorization", "Bearer " + bearer);
    }
    return HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void tokenIsRequiredOnTheSocketAndTheStatusPagesAndNeverShown() throws Exception {
    GatewayConfig cfg =
        GatewayConfig.builder()
            .listen("127.0.0.1:0")
            .bootstrapServers("")
            .replayLogs(0)
            .token("s3cret")
            .build();
    assertFalse(cfg.toString().contains("s3cret"));
    try (Gateway gateway = Gateway.start(cfg)) {
      assertThrows(ExecutionException.class, () -> WsClient.connect(gateway.port()));
      assertThrows(
          ExecutionException.class,
          () -> WsClient.connect(gateway.port(), "/?token=wrong", "http://localhost/"));
      try (WsClient client = WsClient.connect(gateway.port(), "/?token=s3cret&pid=5", "http://localhost/")) {
        assertEquals(LogType.HEARTBEAT, client.next().getLogType());
        gateway.publish(GatewayWebSocketTest.event(5, "hello"));
        assertEquals(LogType.EVENT, client.next().getLogType());

        assertEquals(401, get(gateway.port(), "/status", null).statusCode());
        assertEquals(401, get(gateway.port(), "/metrics", "nope").statusCode());
        HttpResponse<String> status = get(gateway.port(), "/status", "s3cret");
        assertEquals(200, status.statusCode());
        assertTrue(status.body().contains("\"path\":\"/?token=***&pid=5\""), status.body());
        assertTrue(status.body().contains("\"handshakesRefused\":2"), status.body());
        assertFalse(status.body().contains("s3cret"), status.body());

        HttpResponse<String> metrics = get(gateway.port(), "/metrics?token=s3cret", null);
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("\necaptureq_gateway_clients 1.0\n"), metrics.body());
        assertTrue(metrics.body().contains("# TYPE ecaptureq_gateway_frames_sent_total counter\n"));
        assertTrue(metrics.body().contains("\necaptureq_gateway_frames_sent_total 2.0\n"), metrics.body());
        assertEquals(404, get(gateway.port(), "/other", "s3cret").statusCode());
      }
    }
  }

  @Test
  void withTheBrokerDownClientsStillConnectAndGetHeartbeats() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    GatewayConfig cfg =
        GatewayConfig.builder()
            .listen("127.0.0.1:0")
            .bootstrapServers("127.0.0.1:" + closedPort)
            .replayLogs(0)
            .build();
    try (Gateway gateway = Gateway.start(cfg);
        WsClient client = WsClient.connect(gateway.port())) {
      assertEquals(LogType.HEARTBEAT, client.next().getLogType());
      assertFalse(gateway.awaitKafkaAssignment(Duration.ofMillis(300)));
      assertEquals(0, gateway.stats().assignedPartitions());
      assertEquals(-1, gateway.stats().consumerLag());
      gateway.publish(GatewayWebSocketTest.event(1, "still served"));
      assertEquals("still served", client.next().getEventPayload().getPayload().toStringUtf8());
    }
  }

  @Test
  void theBrowserViewIsServedFromTheJarOnTheSocketPortAndNothingElseIs() throws Exception {
    GatewayConfig cfg = GatewayConfig.builder().listen("127.0.0.1:0").bootstrapServers("").build();
    try (Gateway gateway = Gateway.start(cfg)) {
      int port = gateway.port();
      HttpResponse<String> redirect = get(port, "/ui?pid=42", null);
      assertEquals(302, redirect.statusCode());
      assertEquals("/ui/?pid=42", redirect.headers().firstValue("Location").orElseThrow().replaceFirst("^http://[^/]+", ""));
      HttpResponse<String> index = get(port, "/ui/", null);
      assertEquals(200, index.statusCode());
      assertTrue(index.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
      assertTrue(index.headers().firstValue("Content-Security-Policy").orElseThrow().contains("default-src 'self'"));
      assertTrue(index.body().contains("<script type=\"module\" src=\"app.js\">"), index.body());
      HttpResponse<String> js = get(port, "/ui/logentry.js", null);
      assertEquals(200, js.statusCode());
      assertTrue(js.headers().firstValue("Content-Type").orElseThrow().startsWith("text/javascript"));
      assertEquals(404, get(port, "/ui/../pom.xml", null).statusCode());
      assertEquals(404, get(port, "/ui/GatewayConfig.class", null).statusCode());
      assertEquals(404, get(port, "/", null).statusCode(), "no upgrade: not the socket");
      HttpResponse<String> post = HTTP.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status"))
              .POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
    }
  }
}
