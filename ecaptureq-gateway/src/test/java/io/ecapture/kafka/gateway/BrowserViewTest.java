package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The browser view at /ui/ in headless Chromium (Debian's chromium driven by playwright-core, see
 * src/test/node/ui.mjs): an event published after the page connected shows up in the table, the
 * URL filter keeps others out, a click shows the rendered message, pause holds new events until
 * resume, process logs are listed. Leaves a screenshot in target/ui.png.
 */
class BrowserViewTest {

  @Test
  void theBrowserViewShowsFiltersDetailsAndPausesALiveEvent() throws Exception {
    Path chromium = NodeScripts.require("chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser");
    Path screenshot = Path.of("target/ui.png").toAbsolutePath();
    Files.deleteIfExists(screenshot);
    GatewayConfig cfg = GatewayConfig.builder().listen("127.0.0.1:0").bootstrapServers("").build();
    try (Gateway gateway = Gateway.start(cfg)) {
      gateway.publishLog("ui-test process log line");
      String page = "http://127.0.0.1:" + gateway.port() + "/ui?pid=42";
      try (NodeScripts.Run ui =
          new NodeScripts.Run("ui.mjs", page, screenshot.toString(), chromium.toString())) {
        assertEquals("READY", ui.nextLine(60), ui.stderr());
        gateway.publish(NodeClientCompatibilityTest.message(7, "curl", "ui-filtered-out"));
        gateway.publish(
            NodeClientCompatibilityTest.message(
                42, "curl", "GET /ui-visible HTTP/1.1\r\nHost: shop.example\r\n\r\n"));
        ui.send("go");
        assertEquals("PAUSED", ui.nextLine(30), ui.stderr());
        gateway.publish(NodeClientCompatibilityTest.message(42, "curl", "GET /ui-held HTTP/1.1\r\n\r\n"));
        ui.send("go");
        String result = ui.nextLine(30);
        assertTrue(result.startsWith("{\"result\""), result + "\n" + ui.stderr());
        assertEquals(0, ui.awaitExit(30), ui.stderr());
        // the table row: host (opt-in annotation), process, tuple, type, size
        assertTrue(result.contains("\"node-test-host\",\"curl (42)\",\"10.0.0.1:50000 → 10.0.0.2:443\","
            + "\"HTTP/1 request\",\"48\",\"GET /ui-visible HTTP/1.1\"]"), result);
        assertTrue(result.contains("\"hiddenRows\":0"), result);
        assertTrue(result.contains("\"detail\":\"GET /ui-visible HTTP/1.1\\r\\nHost: shop.example\\r\\n\\r\\n\""), result);
        assertTrue(result.contains("\"heldRowsWhilePaused\":0"), result);
        assertTrue(result.contains("ui-test process log line"), result);
        assertTrue(result.contains("\"pageErrors\":[]"), result);
      }
      assertTrue(Files.size(screenshot) > 10_000, "screenshot written");
    }
  }
}
