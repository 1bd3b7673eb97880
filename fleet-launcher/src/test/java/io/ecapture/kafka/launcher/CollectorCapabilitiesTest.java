package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector DaemonSet's capability set, run for real: the launcher's {@code collector} in a
 * child JVM as uid 0 whose bounding set holds only the capabilities the manifest adds (as a
 * container with {@code drop: [ALL]} and those added gets them), captures curl's TLS traffic. The
 * same set without CAP_SYS_ADMIN cannot create the uprobe perf events and the collector exits
 * with the reason, which is why the manifest adds it.
 */
class CollectorCapabilitiesTest {
  @TempDir Path dir;

  @Test
  void theManifestsCapabilitiesAreEnoughAndSysAdminIsNeeded() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("setpriv");
    EbpfEnvironment.requireTool("curl");
    EbpfEnvironment.requireTool("openssl");
    Set<String> granted = manifestCapabilities();
    assertTrue(granted.containsAll(DeploymentConsistencyTest.COLLECTOR_REQUIRED_CAPABILITIES), granted.toString());

    try (TlsTestServer server = TlsTestServer.start(dir, false)) {
      int port = freePort();
      Process collector = startCollector(granted, port, dir.resolve("with"));
      try {
        JsonNode status = awaitStatus(collector, port);
        String marker = UUID.randomUUID().toString();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (status.path("captured").asLong() == 0 && System.nanoTime() < deadline) {
          server.curl(marker);
          Thread.sleep(1000);
          status = awaitStatus(collector, port);
        }
        assertTrue(status.path("captured").asLong() > 0,
            "captured with only " + granted + ": " + status);
        // the manifests' readiness probe, against this real collector
        StatusProbeScriptTest.Result probe =
            StatusProbeScriptTest.probe("--port", String.valueOf(port), "--expect", "\"running\":true");
        assertEquals(0, probe.exit(), "status-probe on the collector: " + probe.output());
      } finally {
        stop(collector);
      }

      Set<String> withoutSysAdmin = new LinkedHashSet<>(granted);
      withoutSysAdmin.remove("SYS_ADMIN");
      // Without CAP_SYS_ADMIN the kernel refuses the perf-event uprobes (EACCES). The SSL_write
      // hooks, attached as uprobe sessions (uprobe_multi links, no perf event), still attach, so
      // the collector either gives up or runs without its read probes and says so in its log;
      // either way the DaemonSet needs CAP_SYS_ADMIN for capture to be whole.
      Process refused = startCollector(withoutSysAdmin, freePort(), dir.resolve("without"));
      Path refusedLog = dir.resolve("without.log");
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (refused.isAlive() && System.nanoTime() < until
          && !(Files.exists(refusedLog) && Files.readString(refusedLog).contains("attach failed: ")
              && Files.readString(refusedLog).contains(":SSL_read:"))) {
        Thread.sleep(200);
      }
      String output = Files.readString(refusedLog);
      try {
        assertTrue(output.contains("EACCES") || output.contains("Permission denied"), output);
        if (!refused.isAlive()) {
          assertNotEquals(0, refused.exitValue(), output);
        } else {
          assertTrue(output.contains(":SSL_read:") && output.contains("attach failed: "),
              "the read probes' refusal is logged: " + output);
        }
      } finally {
        stop(refused);
      }
    }
  }

  /** capabilities.add of the collector DaemonSet's container. */
  static Set<String> manifestCapabilities() throws IOException {
    for (DeploymentConsistencyTest.Container c : DeploymentConsistencyTest.kubernetesContainers()) {
      if (DeploymentConsistencyTest.subcommand(c).name().equals("collector")) {
        return c.capabilities();
      }
    }
    throw new AssertionError("no collector in " + DeploymentConsistencyTest.MANIFESTS);
  }

  private Process startCollector(Set<String> capabilities, int statusPort, Path data) throws IOException {
    StringBuilder bounding = new StringBuilder("-all");
    for (String cap : capabilities) {
      bounding.append(",+").append(cap.toLowerCase(Locale.ROOT));
    }
    List<String> command = new ArrayList<>(List.of("setpriv", "--bounding-set", bounding.toString(), "--inh-caps", "-all",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "collector", "--bootstrap", "127.0.0.1:1", "--no-spool", "--host-id", "caps-test",
        "--status-port", String.valueOf(statusPort), "--data-dir", data.toString(), "--discover-interval-s", "0"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(data.resolveSibling(data.getFileName() + ".log").toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("ECAPTURE_KAFKA_"));
    return builder.start();
  }

  private static JsonNode awaitStatus(Process collector, int port) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (!collector.isAlive()) {
        throw new AssertionError("the collector exited with status " + collector.exitValue() + " (see its log)");
      }
      try {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status")).build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() == 200) {
          return new ObjectMapper().readTree(response.body());
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no /status on port " + port);
  }

  private static void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

}
