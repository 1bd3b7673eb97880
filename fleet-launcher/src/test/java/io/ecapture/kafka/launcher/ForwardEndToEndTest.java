package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.forwarder.ForwarderConfig;
import io.ecapture.kafka.forwarder.KeylogCommand;
import io.ecapture.kafka.forwarder.format.Format;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Forwarding end to end with real capture: the fleet as {@code up --eventaddr FILE --logaddr FILE
 * --forward-format json} runs it, curl talks TLS to openssl s_server with SSLKEYLOGFILE set; the
 * forwarder's JSON lines must parse and carry the captured request's fields, and {@code keylog}
 * must write the lines curl wrote itself.
 */
class ForwardEndToEndTest {
  private static final Duration ARRIVAL = Duration.ofSeconds(90);

  @TempDir Path dir;

  @Test
  void jsonLinesOfARealCurlRequestAndTheKeyLogMatchingCurlsOwn() throws Exception {
    Path events = dir.resolve("out/events.ndjson");
    Path logs = dir.resolve("out/logs.ndjson");
    FleetConfig config = FleetConfig.builder(dir.resolve("data"))
        .embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, 0)
        .partitions(2)
        .gatewayListen("127.0.0.1:0")
        .capture(true).hostId("forward-e2e").collectorStatusPort(-1)
        .idleFlush(Duration.ofMillis(500))
        .forwarder(ForwarderConfig.builder().name("up").events(events.toString()).logs(logs.toString())
            .format(Format.JSON).from("earliest").statusPort(ForwarderConfig.STATUS_PORT_OFF).build())
        .build();
    try (Fleet fleet = Fleet.start(config)) {
      if (!fleet.capturing()) {
        EbpfEnvironment.unavailable(fleet.captureError());
      }
      assertTrue(fleet.forwarder().awaitAssignment(ARRIVAL), "the forwarder never got its partitions");
      try (TlsTestServer server = TlsTestServer.start(dir, false)) {
        String marker = UUID.randomUUID().toString();
        Path curlKeys = dir.resolve("curl-keys.txt");
        ProcessBuilder pb = new ProcessBuilder("curl", "-sk", "--http1.1", "-H", "X-Marker: " + marker,
            "https://127.0.0.1:" + server.port() + "/").redirectErrorStream(true);
        pb.environment().put("SSLKEYLOGFILE", curlKeys.toString());
        Process curl = pb.start();
        String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(curl.waitFor(30, TimeUnit.SECONDS) && curl.exitValue() == 0, "curl failed: " + output);
        long pid = curl.pid();

        JsonNode request = awaitLine(events, n -> n.path("kind").asText().equals("REQUEST")
            && n.path("rendered").asText().contains(marker));
        assertEquals("event", request.get("record").asText());
        assertEquals("forward-e2e", request.get("host_id").asText());
        assertEquals(pid, request.get("pid").asLong());
        assertEquals("curl", request.get("comm").asText());
        assertEquals("WRITE", request.get("direction").asText());
        assertEquals("HTTP1", request.get("protocol").asText());
        assertEquals(1, request.get("type").asInt());
        assertEquals("http1", request.get("module").asText());
        assertEquals("GET", request.get("http").get("method").asText());
        assertEquals("/", request.get("http").get("path").asText());
        assertEquals("HTTP/1.1", request.get("http").get("version").asText());
        boolean markerHeader = false;
        for (JsonNode h : request.get("http").get("headers")) {
          markerHeader |= h.get("name").asText().equalsIgnoreCase("X-Marker") && h.get("value").asText().equals(marker);
        }
        assertTrue(markerHeader, request.toString());
        assertEquals("127.0.0.1", request.get("src").get("ip").asText());
        assertEquals(server.port(), request.get("dst").get("port").asInt());
        assertTrue(request.get("first_byte_time_ns").asLong() > 1_577_836_800_000_000_000L);
        assertTrue(request.get("rendered").asText().startsWith("GET / HTTP/1.1\r\n"));
        assertEquals("ecapture.parsed", request.get("kafka").get("topic").asText());

        JsonNode response = awaitLine(events, n -> n.path("kind").asText().equals("RESPONSE")
            && n.path("pid").asLong() == pid);
        assertEquals(request.get("pair_id").asText(), response.get("pair_id").asText(), "paired by the processor");
        assertTrue(response.get("rendered").asText().startsWith("HTTP/1."), response.toString());
        assertTrue(response.get("http").get("status").asInt() == 200, response.toString());

        // process logs as JSON lines too (the collector logs what it attached)
        awaitCondition(() -> Files.exists(logs) && Files.readAllLines(logs).stream().map(Json::tree).anyMatch(
            n -> n.get("record").asText().equals("log") && n.get("host_id").asText().equals("forward-e2e")
                && !n.get("message").asText().isEmpty()), "a log line of the collector");

        // the key log: every line curl wrote is in the file keylog writes
        Set<String> expected = new HashSet<>();
        for (String l : Files.readAllLines(curlKeys)) {
          if (!l.isBlank() && !l.startsWith("#")) {
            expected.add(l.strip());
          }
        }
        assertTrue(expected.size() >= 1, "curl wrote no keys");
        Path keylog = dir.resolve("fleet-keys.txt");
        long deadline = System.nanoTime() + ARRIVAL.toNanos();
        Set<String> written = Set.of();
        while (System.nanoTime() < deadline) {
          int code = new picocli.CommandLine(new KeylogCommand()).execute("--bootstrap", fleet.bootstrapServers(),
              "--out", keylog.toString(), "--host", "forward-e2e");
          assertEquals(0, code);
          written = new HashSet<>(Files.readAllLines(keylog));
          if (written.containsAll(expected)) {
            break;
          }
          Thread.sleep(500);
        }
        assertTrue(written.containsAll(expected), "keylog lacks curl's lines " + expected + "\nwrote " + written);
        assertEquals(0, fleet.forwarder().malformedRecords());
        assertTrue(fleet.statusLine().contains("forward["), fleet.statusLine());
      }
    }
  }

  private static JsonNode awaitLine(Path file, java.util.function.Predicate<JsonNode> match) throws Exception {
    long deadline = System.nanoTime() + ARRIVAL.toNanos();
    List<String> seen = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      if (Files.exists(file)) {
        seen = Files.readAllLines(file);
        for (String line : seen) {
          JsonNode n = Json.tree(line); // every line parses
          if (match.test(n)) {
            return n;
          }
        }
      }
      Thread.sleep(200);
    }
    fail("no matching line within " + ARRIVAL + " in " + file + ":\n" + String.join("\n", seen));
    return null;
  }

  private interface Check {
    boolean ok() throws Exception;
  }

  private static void awaitCondition(Check check, String what) throws Exception {
    long deadline = System.nanoTime() + ARRIVAL.toNanos();
    while (!check.ok()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      Thread.sleep(200);
    }
  }

  @SuppressWarnings("unused")
  private static final Map<String, String> NONE = Map.of();
}
