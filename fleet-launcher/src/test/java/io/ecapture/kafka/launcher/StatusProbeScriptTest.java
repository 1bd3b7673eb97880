package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.gateway.Gateway;
import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.StreamsProcessor;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's {@code status-probe} (the liveness/readiness check of docker-compose.yml and the
 * Kubernetes manifests), run with bash against a real processor's and a real gateway's {@code
 * /status}: ready once Kafka Streams runs, the gateway's token sent from its file, a wrong or
 * missing token, a port nobody listens on and an unmet --expect all fail the probe.
 */
class StatusProbeScriptTest {
  static final Path SCRIPT = DeploymentConsistencyTest.ROOT.resolve("deploy/image/status-probe");

  @TempDir Path dir;

  @Test
  void probesTheRealProcessorAndGatewayStatus() throws Exception {
    assertTrue(Files.isExecutable(SCRIPT), SCRIPT + " is executable (the image copies its mode)");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
      TopicSetup.ensureTopics(kafka.bootstrapServers(), 1, (short) 1);
      Path token = dir.resolve("token");
      Files.writeString(token, "s3cret-probe-token\n");
      Path wrong = dir.resolve("wrong");
      Files.writeString(wrong, "not-the-token\n");
      try (Gateway gateway = Gateway.start(GatewayConfig.builder().bootstrapServers(kafka.bootstrapServers())
              .listen("127.0.0.1:0").token("s3cret-probe-token").build());
          StreamsProcessor.Handle processor = StreamsProcessor.start(ProcessorConfig.builder()
              .bootstrapServers(kafka.bootstrapServers()).stateDir(dir.resolve("state")).statusPort(0).build())) {
        String gatewayPort = String.valueOf(gateway.statusPort());
        assertEquals(0, probe("--port", gatewayPort, "--token-file", token.toString()).exit, "gateway with its token");
        Result noToken = probe("--port", gatewayPort);
        assertEquals(1, noToken.exit, "gateway without the token");
        assertTrue(noToken.output.contains("401"), noToken.output);
        assertEquals(1, probe("--port", gatewayPort, "--token-file", wrong.toString()).exit, "gateway, wrong token");

        String processorPort = String.valueOf(processor.statusPort());
        Result ready = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && (ready == null || ready.exit != 0)) {
          ready = probe("--port", processorPort, "--expect", "\"running\":true");
          if (ready.exit != 0) {
            Thread.sleep(500);
          }
        }
        assertEquals(0, ready.exit, "processor ready once RUNNING: " + ready.output);
        assertEquals(0, probe("--port", processorPort).exit, "processor alive");
        Result unmet = probe("--port", processorPort, "--expect", "\"no-such-key\"");
        assertEquals(1, unmet.exit, unmet.output);
      }
    }
    int free;
    try (ServerSocket socket = new ServerSocket(0)) {
      free = socket.getLocalPort();
    }
    Result nothing = probe("--port", String.valueOf(free));
    assertEquals(1, nothing.exit, nothing.output);
    assertEquals(2, probe("--no-such-flag", "1").exit, "a usage error");
  }

  record Result(int exit, String output) {}

  static Result probe(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "status-probe returns");
    return new Result(p.exitValue(), output);
  }
}
