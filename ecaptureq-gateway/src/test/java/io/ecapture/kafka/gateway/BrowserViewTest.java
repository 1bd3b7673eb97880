package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.Workload;
import io.ecapture.kafka.proto.parsed.HttpFields;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The browser view at /ui/ in headless Chromium (Debian's chromium driven by playwright-core, see
 * src/test/node/ui.mjs): a request and its response (paired by the {@code annotate=pair} fields)
 * are one row with method, authority, path, status and latency; the URL filter keeps other
 * processes out; headers sort the rows, the status, latency and workload filters hide rows; a
 * 2 MiB response is downloaded whole (same SHA-256); a click shows request and response; pause
 * holds new events until resume; process logs are listed. Leaves a screenshot in target/ui.png.
 */
class BrowserViewTest {

  @Test
  void requestsAndResponsesArePairedSortedFilteredAndDownloadable() throws Exception {
    Path chromium = NodeScripts.require("chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser");
    Path screenshot = Path.of("target/ui.png").toAbsolutePath();
    Files.deleteIfExists(screenshot);
    String bigBody = "0123456789abcdef".repeat(128 * 1024); // 2 MiB of text
    ParsedMessage bigResponse = response("c#2", 3_000_000L,
        "HTTP/1.1 200 OK\r\nContent-Length: " + bigBody.length() + "\r\n\r\n" + bigBody);
    GatewayConfig cfg = GatewayConfig.builder().listen("127.0.0.1:0").bootstrapServers("").build();
    try (Gateway gateway = Gateway.start(cfg)) {
      gateway.publishLog("ui-test process log line");
      String page = "http://127.0.0.1:" + gateway.port() + "/ui?pid=42";
      try (NodeScripts.Run ui =
          new NodeScripts.Run("ui.mjs", page, screenshot.toString(), chromium.toString())) {
        assertEquals("READY", ui.nextLine(60), ui.stderr());
        gateway.publish(NodeClientCompatibilityTest.message(7, "curl", "ui-filtered-out"));
        gateway.publish(request("c#0", "GET /ui-visible HTTP/1.1\r\nHost: shop.example\r\n\r\n")
            .toBuilder().setWorkload(Workload.newBuilder().setPodNamespace("shop")
                .setPodName("checkout-7d9f").setContainerName("app")).build());
        gateway.publish(response("c#0", 12_500_000L, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        gateway.publish(request("c#1", "GET /slow HTTP/1.1\r\nHost: api.example\r\n\r\n"));
        gateway.publish(response("c#1", 250_000_000L, "HTTP/1.1 404 Not Found\r\n\r\n"));
        gateway.publish(request("c#2", "GET /big HTTP/1.1\r\nHost: files.example\r\n\r\n"));
        gateway.publish(bigResponse);
        ui.send("go");
        assertEquals("PAUSED", ui.nextLine(60), ui.stderr());
        gateway.publish(NodeClientCompatibilityTest.message(42, "curl", "GET /ui-held HTTP/1.1\r\n\r\n"));
        ui.send("go");
        String result = ui.nextLine(30);
        assertTrue(result.startsWith("{\"result\""), result + "\n" + ui.stderr());
        assertEquals(0, ui.awaitExit(30), ui.stderr());
        // one row per pair: host (opt-in annotation), workload, process, tuple, type, method,
        // authority, path, status, latency, size of request and response together
        assertTrue(result.contains("\"rowCount\":3"), result);
        assertTrue(result.contains("\"node-test-host\",\"shop/checkout-7d9f/app\",\"curl (42)\","
            + "\"10.0.0.1:50000 → 10.0.0.2:443\",\"HTTP/1\",\"GET\",\"shop.example\",\"/ui-visible\","
            + "\"200\",\"12.5 ms\",\"88 B\"]"), result);
        assertTrue(result.contains("\"hiddenRows\":0"), result);
        assertTrue(result.contains("\"byLatencyDesc\":[\"/slow\",\"/ui-visible\",\"/big\"]"), result);
        assertTrue(result.contains("\"byLatencyAsc\":[\"/big\",\"/ui-visible\",\"/slow\"]"), result);
        assertTrue(result.contains("\"byStatus\":[\"/ui-visible\",\"/big\",\"/slow\"]"), result);
        assertTrue(result.contains("\"status4xx\":[\"/slow\"]"), result);
        assertTrue(result.contains("\"slowerThan10ms\":[\"/ui-visible\",\"/slow\"]"), result);
        assertTrue(result.contains("\"inCheckout\":[\"/ui-visible\"]"), result);
        // the detail pane shows the first MiB; the download is the whole payload
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
            .digest(ParsedText.rendered(bigResponse).toByteArray()));
        assertTrue(result.contains("\"size\":" + ParsedText.rendered(bigResponse).size() + ",\"sha256\":\""
            + sha + "\""), result);
        assertTrue(result.contains("more characters: Download saves the whole payload"), result);
        assertTrue(result.contains("\"detail\":\"request · HTTP/1 request · 48 bytesDownloadGET /ui-visible"
            + " HTTP/1.1\\r\\nHost: shop.example\\r\\n\\r\\nresponse · HTTP/1 response · 40 bytes"
            + "DownloadHTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok\""), result);
        assertTrue(result.contains("pair c#0"), result);
        assertTrue(result.contains("\"heldRowsWhilePaused\":0"), result);
        assertTrue(result.contains("ui-test process log line"), result);
        assertTrue(result.contains("\"pageErrors\":[]"), result);
      }
      assertTrue(Files.size(screenshot) > 10_000, "screenshot written");
    }
  }

  private static ParsedMessage request(String pairId, String text) {
    return NodeClientCompatibilityTest.message(42, "curl", text).toBuilder()
        .setDirection(Direction.WRITE).setPairId(pairId).build();
  }

  private static ParsedMessage response(String pairId, long latencyNs, String text) {
    return NodeClientCompatibilityTest.message(42, "curl", text).toBuilder()
        .setDirection(Direction.READ).setKind(MessageKind.RESPONSE).setPairId(pairId)
        .setLatencyNs(latencyNs).setFirstByteTimeNs(1_700_000_000_123_456_789L + latencyNs)
        .setHttp(HttpFields.newBuilder().setStatus(200))
        .setRendered(ByteString.copyFromUtf8(text)).build();
  }
}
