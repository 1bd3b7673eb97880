package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.ExternalCommand;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two simulated hosts on one machine (network namespaces): a filtered collector sees only its own. */
class NetnsFilterTest {
  private final String namespace = "ecap-" + UUID.randomUUID().toString().substring(0, 8);
  private Process innerServer;

  @TempDir Path dir;

  @AfterEach
  void removeNamespace() throws Exception {
    if (innerServer != null) {
      innerServer.destroy();
      innerServer.waitFor();
    }
    new ProcessBuilder("ip", "netns", "del", namespace).start().waitFor(10, TimeUnit.SECONDS);
  }

  @Test
  void onlyProcessesOfTheChosenNetworkNamespaceAreCaptured() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("ip");
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("curl");
    ExternalCommand.run(dir, List.of("ip", "netns", "add", namespace));
    ExternalCommand.run(dir, List.of("ip", "-n", namespace, "link", "set", "lo", "up"));

    RecordingSink sink = new RecordingSink();
    CollectorConfig config =
        CollectorConfig.builder()
            .hostId("ns-host")
            .statusPort(CollectorConfig.STATUS_DISABLED)
            .netns(Path.of("/var/run/netns", namespace)).build();
    try (TlsTestServer outerServer = TlsTestServer.start(dir, false);
        Collector collector = Collector.start(config, stats -> sink)) {
      int port = outerServer.port(); // the same port number is free inside the fresh namespace
      innerServer =
          new ProcessBuilder("ip", "netns", "exec", namespace, "openssl", "s_server", "-www",
                  "-accept", "127.0.0.1:" + port, "-cert", "cert.pem", "-key", "key.pem")
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("inner.log").toFile())
              .start();

      long outerPid = curl(List.of("curl", "-sk", "https://127.0.0.1:" + port + "/"), 1);
      long innerPid =
          curl(List.of("ip", "netns", "exec", namespace, "curl", "-sk", "--retry", "20",
              "--retry-connrefused", "--retry-delay", "0", "https://127.0.0.1:" + port + "/"), 1);

      List<RawEvent> inner = sink.awaitEvents(
          e -> e.getProcess().getPid() == innerPid && e.hasClose(), Duration.ofSeconds(10));
      assertFalse(inner.isEmpty(), "curl inside the namespace is captured");
      // ring-buffer records arrive in reservation order: the outer curl ran first
      assertTrue(sink.events.stream().noneMatch(e -> e.getProcess().getPid() == outerPid),
          "curl outside the namespace is not captured");
      assertTrue(sink.events.stream().allMatch(e -> e.getProcess().getComm().equals("curl")
          && e.getProcess().getPid() == innerPid), "nothing but the inner curl");
    }
  }

  private long curl(List<String> command, int attempts) throws Exception {
    Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    long pid = process.pid();
    String output = new String(process.getInputStream().readAllBytes());
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "finished: " + command);
    assertTrue(process.exitValue() == 0, command + " -> " + output);
    return pid;
  }
}
