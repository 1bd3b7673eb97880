package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ProcessorCommandTest {
  @Test
  void defaultsMatchTheDocumentedConfig() {
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs();
    ProcessorConfig config = command.config();
    assertEquals("127.0.0.1:9092", config.bootstrapServers());
    assertEquals("ecapture-processor", config.applicationId());
    assertEquals("exactly_once_v2", config.processingGuarantee());
    assertEquals(Duration.ofSeconds(1), config.idleFlush());
    assertEquals(28259, config.statusPort());
    assertEquals(ProcessorConfig.defaults(), config);
  }

  @Test
  void optionsReachTheConfig() {
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs("--bootstrap", "10.1.1.1:9093", "--application-id", "p2",
        "--idle-flush-ms", "250", "--processing-guarantee", "at_least_once",
        "--state-dir", "/var/lib/p", "--status-port", "0");
    ProcessorConfig config = command.config();
    assertEquals("10.1.1.1:9093", config.bootstrapServers());
    assertEquals("p2", config.applicationId());
    assertEquals(Duration.ofMillis(250), config.idleFlush());
    assertEquals("at_least_once", config.processingGuarantee());
    assertEquals(Path.of("/var/lib/p"), config.stateDir());
    assertEquals(0, config.statusPort());
    assertEquals("10.1.1.1:9093", config.toStreamsProperties().get("bootstrap.servers"));
  }

  @Test
  void streamsPropertiesOverrideTheDerivedOnes() {
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs("--streams-property", "consumer.session.timeout.ms=6000",
        "--streams-property", "statestore.cache.max.bytes=1024");
    java.util.Properties props = command.config().toStreamsProperties();
    assertEquals("6000", props.get("consumer.session.timeout.ms"));
    assertEquals("1024", props.get("statestore.cache.max.bytes"));
    assertEquals(20, props.get("producer.linger.ms"), "not Kafka Streams' 100 ms");
    ProcessorCommand batching = new ProcessorCommand();
    new CommandLine(batching).parseArgs("--streams-property", "producer.linger.ms=100");
    assertEquals("100", batching.config().toStreamsProperties().get("producer.linger.ms"), "still overridable");
  }

  @Test
  void theStatusServerCanBeTurnedOff() {
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs("--status-port", "-1");
    assertEquals(ProcessorConfig.STATUS_PORT_OFF, command.config().statusPort());
  }

  @Test
  void helpShowsTheConfigDefaults() {
    String usage = new CommandLine(new ProcessorCommand()).getUsageMessage();
    assertTrue(usage.contains("default: " + ProcessorConfig.DEFAULT_STATUS_PORT + ")"), usage);
    assertTrue(usage.contains("default: " + ProcessorConfig.DEFAULT_STATE_DIR + ")"), usage);
    assertTrue(usage.contains("default: " + ProcessorConfig.DEFAULT_BOOTSTRAP + ")"), usage);
  }

  @Test
  void unknownProcessingGuaranteeIsRejected() {
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs("--processing-guarantee", "exactly_once");
    assertThrows(IllegalArgumentException.class, command::config);
  }
}
