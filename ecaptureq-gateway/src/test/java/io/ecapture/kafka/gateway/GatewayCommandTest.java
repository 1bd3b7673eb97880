package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.net.ServerSocket;
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
