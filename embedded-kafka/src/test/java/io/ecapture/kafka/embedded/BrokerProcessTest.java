package io.ecapture.kafka.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker child: serves, dies honestly under SIGKILL (reported with its status), restarts on
 * its data, and keeps that data to its owner (umask 077 in the child: the log segments hold
 * captured plaintext).
 */
class BrokerProcessTest {
  @TempDir Path dir;

  @Test
  void childBrokerServesKillsHardAndRestartsOnItsData() throws Exception {
    int port = EmbeddedKafka.freePort();
    int controllerPort = EmbeddedKafka.freePort();
    try (BrokerProcess broker = BrokerProcess.start(dir, "127.0.0.1", port, controllerPort)) {
      assertEquals("127.0.0.1:" + port, broker.bootstrapServers());
      assertTrue(Topics.create(broker.bootstrapServers(), "t", 1));
      assertEquals(Long.toString(broker.pid()), Files.readString(dir.resolve(BrokerProcess.PID_FILE)));
      assertPrivate(dir);
      broker.kill();
      assertFalse(broker.isAlive());
      assertEquals(137, broker.onExit().get(10, TimeUnit.SECONDS), "128 + SIGKILL");
      try (Admin admin = Admin.create(Map.<String, Object>of(
          "bootstrap.servers", broker.bootstrapServers(), "default.api.timeout.ms", "3000",
          "request.timeout.ms", "1000"))) {
        assertThrows(ExecutionException.class, () -> admin.listTopics().names().get());
      }
    }
    // a broker killed with SIGKILL restarts on the same directory with its topics
    try (BrokerProcess broker = BrokerProcess.start(dir, "127.0.0.1", port, controllerPort)) {
      assertFalse(Topics.create(broker.bootstrapServers(), "t", 1));
    }
  }

  @Test
  void aBrokerThatCannotStartQuotesTheEndOfItsLogInTheError() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> BrokerProcess.start(dir, "127.0.0.1", taken.getLocalPort(), EmbeddedKafka.freePort()));
      assertTrue(e.getMessage().contains("during start; see " + dir.resolve("broker.log")), e.getMessage());
      assertTrue(e.getMessage().contains("its last lines:"), e.getMessage());
      assertTrue(e.getMessage().contains("Address already in use"), e.getMessage());
    }
  }

  @Test
  void theLogTailIsTheLastLinesOnly() throws IOException {
    Path log = dir.resolve("broker.log");
    assertEquals("", BrokerProcess.logTail(log), "no log, nothing to quote");
    List<String> lines = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      lines.add("line " + i);
    }
    Files.write(log, lines);
    String tail = BrokerProcess.logTail(log);
    assertTrue(tail.startsWith("; its last lines:\n    line " + (101 - BrokerProcess.LOG_TAIL_LINES) + "\n"), tail);
    assertTrue(tail.endsWith("\n    line 100"), tail);
    assertFalse(tail.contains("line " + (100 - BrokerProcess.LOG_TAIL_LINES) + "\n"), tail);
  }

  /** No file or directory of the broker carries a permission bit for group or others. */
  private static void assertPrivate(Path dir) throws IOException {
    Set<PosixFilePermission> foreign = Set.of(
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    List<String> open = new ArrayList<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path path : (Iterable<Path>) all::iterator) {
        try {
          Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path);
          if (mode.stream().anyMatch(foreign::contains)) {
            open.add(path + " " + PosixFilePermissions.toString(mode));
          }
        } catch (java.nio.file.NoSuchFileException gone) {
          // a checkpoint's temporary file, renamed meanwhile
        }
      }
    } catch (java.io.UncheckedIOException e) {
      if (!(e.getCause() instanceof java.nio.file.NoSuchFileException)) {
        throw e;
      }
    }
    assertTrue(open.isEmpty(), "readable by group or others: " + open);
  }
}
