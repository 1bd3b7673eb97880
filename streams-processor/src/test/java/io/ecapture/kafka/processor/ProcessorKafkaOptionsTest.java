package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The processor's Kafka settings: the file, --kafka-property, then --streams-property on top. */
class ProcessorKafkaOptionsTest {
  @TempDir Path dir;

  @Test
  void fileThenKafkaPropertyThenStreamsPropertyAndSecretsNeverShown() throws Exception {
    Path file = Files.writeString(dir.resolve("client.properties"), "security.protocol=SASL_SSL\n"
        + "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        + "username=\"p\" password=\"file-secret\";\nlinger.ms=1\nconsumer.session.timeout.ms=9000\n");
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs("--command-config", file.toString(),
        "--kafka-property", "linger.ms=2", "--streams-property", "consumer.session.timeout.ms=6000",
        "--streams-property", "ssl.truststore.password=argv-secret", "--host-id", "proc-7",
        "--topic-prefix", "t.");
    PrintStream original = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ProcessorConfig config;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      config = command.config();
    } finally {
      System.setErr(original);
    }
    assertEquals("SASL_SSL", config.streamsOverrides().get("security.protocol"));
    assertEquals("2", config.streamsOverrides().get("linger.ms"), "--kafka-property over the file");
    assertEquals("6000", config.streamsOverrides().get("consumer.session.timeout.ms"), "--streams-property last");
    assertEquals("proc-7", config.hostId());
    assertEquals("t.ecapture.raw", config.topics().raw());
    assertEquals("t.ecapture.dlq", config.topics().dlq());
    String warnings = err.toString(StandardCharsets.UTF_8);
    assertTrue(warnings.contains("--streams-property ssl.truststore.password holds a secret"), warnings);
    assertFalse(warnings.contains("argv-secret"), warnings);
    assertFalse(config.toString().contains("file-secret") || config.toString().contains("argv-secret"),
        config.toString());
    assertTrue(config.toString().contains("hostId=proc-7"), config.toString());
  }
}
