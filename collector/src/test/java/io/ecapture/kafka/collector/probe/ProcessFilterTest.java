package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.ExternalCommand;
import io.ecapture.kafka.collector.PythonTlsClient;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.control.ControlToken;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-kernel process filter: --pid at start (per-PID attach), then changed through POST /config. */
class ProcessFilterTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;

  /** The collector's control token, read from the file it wrote. */
  private ControlToken token;

  @Test
  void pidFilterExcludesOtherProcessesAndRuntimeChangesTakeEffect() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("python3");
    EbpfEnvironment.requireTool("curl");
    RecordingSink sink = new RecordingSink();
    try (TlsTestServer server = TlsTestServer.start(dir, false);
        PythonTlsClient a = new PythonTlsClient(server.port());
        PythonTlsClient b = new PythonTlsClient(server.port())) {
      CollectorConfig config =
          CollectorConfig.builder()
              .hostId("filter-host")
              .statusPort(0)
              .dataDir(dir.resolve("data"))
              .filter(new CaptureFilter(Set.of((int) a.pid()), Set.of(), Set.of())).build();
      try (Collector collector = Collector.start(config, stats -> sink)) {
        token = ControlToken.read(collector.controlTokenFile().orElseThrow());
        assertEquals(dir.resolve("data/collector.token"), collector.controlTokenFile().orElseThrow());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
            java.nio.file.Files.getPosixFilePermissions(collector.controlTokenFile().orElseThrow())));
        String first = UUID.randomUUID().toString();
        b.request(first + "-b");
        a.request(first + "-a");
        assertTrue(awaitMarker(sink, first + "-a"), "process a (in the filter) is captured");
        assertEquals(0, countMarker(sink, first + "-b"), "process b (not in the filter) is not");
        assertTrue(sink.events.stream().noneMatch(e -> e.getProcess().getPid() == b.pid()));

        // switch to b through the HTTP API
        String reply = post(collector.statusPort(), "{\"pids\":[" + b.pid() + "]}");
        assertEquals("{\"pids\":[" + b.pid() + "],\"uids\":[],\"comms\":[]}", reply.strip());
        assertEquals(Set.of((int) b.pid()), collector.filter().pids());
        String second = UUID.randomUUID().toString();
        a.request(second + "-a");
        b.request(second + "-b");
        assertTrue(awaitMarker(sink, second + "-b"), "b captured after the change");
        assertEquals(0, countMarker(sink, second + "-a"), "a no longer captured");

        // a comm filter: uprobes for every process again, python filtered in the kernel
        post(collector.statusPort(), "{\"comms\":[\"curl\"]}");
        long filteredBefore = collector.stats().filteredInKernel();
        String third = UUID.randomUUID().toString();
        a.request(third + "-a");
        ExternalCommand.run(dir, List.of("curl", "-sk", "https://127.0.0.1:" + server.port() + "/" + third + "-curl"));
        assertTrue(awaitMarker(sink, third + "-curl"), "curl captured under the comm filter");
        assertEquals(0, countMarker(sink, third + "-a"));
        assertTrue(collector.stats().filteredInKernel() > filteredBefore, collector.stats().summary());

        String bad = postStatus(collector.statusPort(), "/config", "{\"pids\":[-3]}");
        assertTrue(bad.startsWith("400"), bad);
        assertEquals(Set.of("curl"), collector.filter().comms(), "a rejected body changes nothing");

        // eCapture's remote configuration: pid a, as an eCapture script sends it (plus the token);
        // the comm filter (which eCapture cannot express, so it would stay) is cleared first
        post(collector.statusPort(), "{}");
        String ecapture = postStatus(collector.statusPort(), "/tls", "{\"pid\":" + a.pid() + ",\"uid\":0,\"debug\":false}");
        assertTrue(ecapture.startsWith("200 {\"code\":0,\"module_type\":\"openssl\",\"msg\":\"RespOK\""), ecapture);
        assertEquals(Set.of((int) a.pid()), collector.filter().pids());
        String fourth = UUID.randomUUID().toString();
        b.request(fourth + "-b");
        a.request(fourth + "-a");
        ExternalCommand.run(dir, List.of("curl", "-sk", "https://127.0.0.1:" + server.port() + "/" + fourth + "-curl"));
        assertTrue(awaitMarker(sink, fourth + "-a"), "a captured after eCapture's pid change");
        assertEquals(0, countMarker(sink, fourth + "-b"), "b not");
        assertEquals(0, countMarker(sink, fourth + "-curl"), "nor curl");

        String unauthorised = postWithout(collector.statusPort(), "/tls", "{\"pid\":" + b.pid() + "}");
        assertTrue(unauthorised.startsWith("401 "), unauthorised);
        assertEquals(Set.of((int) a.pid()), collector.filter().pids(), "no token, no change");
        assertTrue(collector.stats().controlRefused() >= 1, collector.stats().summary());
      }
    }
  }

  private static boolean awaitMarker(RecordingSink sink, String marker) throws InterruptedException {
    return !sink.awaitEvents(requestWith(marker), WAIT).isEmpty();
  }

  private static long countMarker(RecordingSink sink, String marker) {
    return sink.events.stream().filter(requestWith(marker)).count();
  }

  private static Predicate<RawEvent> requestWith(String marker) {
    return e -> e.hasData() && e.getData().getDirection() == Direction.WRITE
        && e.getData().getPayload().toString(StandardCharsets.UTF_8).contains(marker);
  }

  private String post(int port, String body) throws Exception {
    String reply = postStatus(port, "/config", body);
    assertTrue(reply.startsWith("200 "), reply);
    return reply.substring(4);
  }

  /** A JSON POST with the collector's token, as an operator's script sends it. */
  private String postStatus(int port, String path, String body) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      HttpResponse<String> response = client.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .header("Authorization", "Bearer " + token.value())
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      return response.statusCode() + " " + response.body();
    }
  }

  private static String postWithout(int port, String path, String body) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      HttpResponse<String> response = client.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      return response.statusCode() + " " + response.body();
    }
  }
}
