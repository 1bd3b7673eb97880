package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The {@code gateway} command as a launcher runs it: serves until its thread is interrupted. */
class GatewayCommandTest {

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void commandOptionsBecomeTheConfig() {
    GatewayCommand cmd = new GatewayCommand();
    new CommandLine(cmd)
        .parseArgs("--bootstrap", "k1:9092,k2:9092", "--listen", "0.0.0.0:0", "--replay-logs", "7",
            "--heartbeat", "2", "--from-beginning");
    GatewayConfig c = cmd.config();
    assertEquals("k1:9092,k2:9092", c.bootstrapServers());
    assertEquals(0, c.listen().getPort());
    assertEquals(7, c.replayLogs());
    assertEquals(Duration.ofSeconds(2), c.heartbeatInterval());
    assertFalse(c.startFromLatest());
    GatewayConfig defaults = new GatewayCommand().config();
    assertEquals(GatewayConfig.defaults(), defaults);
    assertEquals(Duration.ofMillis(1500), GatewayCommand.parseDuration("1.5s"));
  }

  @Test
  void maxPayloadIsASizeWithinWhatGoClientsRead() {
    GatewayCommand cmd = new GatewayCommand();
    new CommandLine(cmd).parseArgs("--max-payload", "1MiB");
    assertEquals(1 << 20, cmd.config().maxPayloadBytes());
    assertEquals(16 << 20, new GatewayCommand().config().maxPayloadBytes(), "an 8 MiB body fits");
    GatewayCommand tooBig = new GatewayCommand();
    new CommandLine(tooBig).parseArgs("--max-payload", "31m");
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, tooBig::config);
    assertTrue(e.getMessage().contains("maxPayloadBytes"), e.getMessage());
    org.junit.jupiter.api.Assertions.assertThrows(CommandLine.ParameterException.class,
        () -> new CommandLine(new GatewayCommand()).parseArgs("--max-payload", "big"));
    String usage = new CommandLine(new GatewayCommand()).getUsageMessage().replaceAll("\\s+", " ");
    assertTrue(usage.contains("--max-payload=SIZE"), usage);
    assertTrue(usage.contains("(default: 16MiB)"), usage);
  }

  @Test
  void helpShowsTheConfigDefaults() {
    // wrapped lines joined again
    String usage = new CommandLine(new GatewayCommand()).getUsageMessage().replaceAll("\\s+", " ");
    assertTrue(usage.contains("(default: " + GatewayConfig.DEFAULT_HEARTBEAT.toSeconds() + ")"), usage);
    assertTrue(usage.contains("(default: " + GatewayConfig.DEFAULT_HOST + ":" + GatewayConfig.DEFAULT_PORT + ")"), usage);
  }

  @Test
  void servesUntilInterruptedThenExitsZero() throws Exception {
    int port = freePort();
    AtomicInteger exit = new AtomicInteger(-1);
    Thread runner =
        new Thread(
            () ->
                exit.set(
                    new CommandLine(new GatewayCommand())
                        .execute("--listen", "127.0.0.1:" + port, "--bootstrap", "", "--replay-logs", "0")));
    runner.start();
    WsClient client = null;
    for (int attempt = 0; client == null; attempt++) {
      try {
        client = WsClient.connect(port);
      } catch (Exception notYetListening) {
        if (attempt > 200) {
          throw notYetListening;
        }
        Thread.sleep(50);
      }
    }
    try (WsClient c = client) {
      assertEquals(LogType.HEARTBEAT, c.next().getLogType());
    }
    runner.interrupt();
    runner.join(WsClient.WAIT.toMillis());
    assertEquals(CommandLine.ExitCode.OK, exit.get());
  }

  @Test
  void addressInUseAndBadOptionsExitWithUsageCode() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      assertEquals(
          CommandLine.ExitCode.USAGE,
          new CommandLine(new GatewayCommand())
              .execute("--listen", "127.0.0.1:" + taken.getLocalPort(), "--bootstrap", ""));
    }
    assertEquals(
        CommandLine.ExitCode.USAGE,
        new CommandLine(new GatewayCommand()).execute("--listen", "nonsense", "--bootstrap", ""));
    // a key store needs its password file, and the other way round
    assertEquals(
        CommandLine.ExitCode.USAGE,
        new CommandLine(new GatewayCommand())
            .execute("--listen", "127.0.0.1:0", "--bootstrap", "", "--tls-keystore", "/nonexistent.p12"));
    assertEquals(
        CommandLine.ExitCode.USAGE,
        new CommandLine(new GatewayCommand())
            .execute("--listen", "127.0.0.1:0", "--bootstrap", "", "--tls-keystore-password-file", "/etc/hostname"));
  }
}
