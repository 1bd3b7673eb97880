package io.ecapture.kafka.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BrokerProcessTest {
  @TempDir Path dir;

  @Test
  void childBrokerServesKillsHardAndRestartsOnItsData() throws Exception {
    int port = EmbeddedKafka.freePort();
    int controllerPort = EmbeddedKafka.freePort();
    try (BrokerProcess broker = BrokerProcess.start(dir, "127.0.0.1", port, controllerPort)) {
      assertEquals("127.0.0.1:" + port, broker.bootstrapServers());
      assertTrue(Topics.create(broker.bootstrapServers(), "t", 1));
      broker.kill();
      assertFalse(broker.isAlive());
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
}
