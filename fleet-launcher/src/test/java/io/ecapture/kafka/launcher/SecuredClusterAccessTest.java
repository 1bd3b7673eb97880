package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.common.TopicLayout;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.BrokerSecurity;
import io.ecapture.kafka.proto.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SASL_SSL cluster with ACLs refusing what it should, and saying so: a wrong password and an
 * untrusted certificate end every command with one clear line and a non-zero exit (never a
 * silent hang: each run has a deadline), and a principal allowed only {@code ecapture.parsed}
 * reads it but is denied {@code ecapture.raw} and {@code ecapture.keylog}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecuredClusterAccessTest {
  /** A refused command ends well before this (its check waits 30 s at most for an answer). */
  private static final Duration DEADLINE = Duration.ofSeconds(120);

  @TempDir static Path dir;
  private SecuredCluster cluster;
  private Path wrongPassword;
  private Path untrustedCertificate;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = new SecuredCluster(dir);
    BrokerSecurity security = cluster.security;
    wrongPassword = security.writeClientConfig(dir.resolve("wrong-password.properties"),
        security.clientProperties(SecuredCluster.PIPELINE, "not-the-password-42", security.trustStore()));
    Path stranger = BrokerSecurity.untrustedTrustStore(dir.resolve("stranger"), security.storePassword());
    untrustedCertificate = security.writeClientConfig(dir.resolve("untrusted.properties"),
        security.clientProperties(SecuredCluster.PIPELINE, security.password(SecuredCluster.PIPELINE), stranger));
  }

  @AfterAll
  void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** One command run expected to be refused: its name, the prefix of its line, the reason named. */
  private record Refusal(String name, String prefix, String reason, List<String> args) {}

  @Test
  void aWrongPasswordOrAnUntrustedCertificateEndsEveryCommandWithOneLine() throws Exception {
    String bootstrap = cluster.bootstrap();
    String wrong = wrongPassword.toString();
    String untrusted = untrustedCertificate.toString();
    List<Refusal> refusals = List.of(
        new Refusal("topics", "topics: ", "authentication failed",
            List.of("topics", "--bootstrap", bootstrap, "--command-config", wrong)),
        new Refusal("gateway", "gateway: ", "authentication failed",
            List.of("gateway", "--bootstrap", bootstrap, "--command-config", wrong, "--listen", "127.0.0.1:0")),
        new Refusal("up", "ecapture-kafka: ", "authentication failed",
            List.of("up", "--bootstrap", bootstrap, "--command-config", wrong,
                "--data-dir", dir.resolve("up-data").toString(), "--no-capture", "--listen", "127.0.0.1:0")),
        new Refusal("processor", "processor: ", "TLS handshake failed",
            List.of("processor", "--bootstrap", bootstrap, "--command-config", untrusted,
                "--state-dir", dir.resolve("state").toString(), "--status-port", "-1")),
        new Refusal("collector", "collector: ", "TLS handshake failed",
            List.of("collector", "--bootstrap", bootstrap, "--command-config", untrusted,
                "--data-dir", dir.resolve("collector-data").toString(), "--status-port", "-1")));
    // the five commands at once: each has its own deadline, the test waits for the slowest
    List<java.util.concurrent.CompletableFuture<LauncherRun>> runs = new ArrayList<>();
    for (Refusal r : refusals) {
      runs.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return LauncherRun.run(dir.resolve("run-" + r.name()), DEADLINE, r.args());
        } catch (Exception e) {
          throw new IllegalStateException(r.name() + " could not be run", e);
        }
      }, task -> Thread.ofPlatform().name("run-" + r.name()).start(task)));
    }
    for (int i = 0; i < refusals.size(); i++) {
      Refusal r = refusals.get(i);
      assertRefused(r.name(), r.prefix(), r.reason(), runs.get(i).get());
    }
  }

  private void assertRefused(String name, String prefix, String reason, LauncherRun run) {
    System.err.printf("%s: %s%n", name, run);
    assertFalse(run.hung(), name + " hung: " + run);
    assertNotEquals(0, run.exitCode(), name + ": " + run);
    List<String> own = run.stderrStartingWith(prefix);
    assertEquals(1, own.size(), name + " should say it once: " + run);
    assertEquals(own, run.stderr(), name + ": that line and nothing else: " + run);
    String line = own.get(0);
    assertTrue(line.contains(reason) && line.contains(cluster.bootstrap()), line);
    String password = cluster.security.password(SecuredCluster.PIPELINE);
    assertFalse(run.toString().contains(password) || run.toString().contains("not-the-password-42")
        || run.toString().contains(cluster.security.storePassword()), "a secret was printed: " + run);
  }

  @Test
  void aPrincipalAllowedOnlyParsedReadsItAndIsDeniedRawAndKeylog() throws Exception {
    cluster.grantAnalyst();
    Map<String, String> admin = cluster.security.clientProperties(SecuredCluster.ADMIN);
    TopicSetup.ensure(cluster.bootstrap(), admin, TopicLayout.auto(1));
    Map<String, Object> producerProps = new HashMap<>(admin);
    producerProps.put("bootstrap.servers", cluster.bootstrap());
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (String topic : List.of(Topics.PARSED.name(), Topics.RAW.name(), Topics.KEYLOG.name())) {
        producer.send(new ProducerRecord<>(topic, ("in " + topic).getBytes())).get();
      }
    }
    List<ConsumerRecord<byte[], byte[]>> parsed = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> analyst = analystConsumer()) {
      analyst.subscribe(List.of(Topics.PARSED.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (parsed.isEmpty() && System.nanoTime() < deadline) {
        analyst.poll(Duration.ofMillis(500)).forEach(parsed::add);
      }
    }
    assertEquals(1, parsed.size());
    assertEquals("in ecapture.parsed", new String(parsed.get(0).value()));

    for (String denied : List.of(Topics.RAW.name(), Topics.KEYLOG.name())) {
      try (KafkaConsumer<byte[], byte[]> analyst = analystConsumer()) {
        analyst.subscribe(List.of(denied));
        TopicAuthorizationException e = assertThrows(TopicAuthorizationException.class, () -> {
          long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
          while (System.nanoTime() < deadline) {
            analyst.poll(Duration.ofMillis(500));
          }
        }, denied + " must be refused");
        assertEquals(java.util.Set.of(denied), e.unauthorizedTopics());
      }
    }
  }

  private KafkaConsumer<byte[], byte[]> analystConsumer() {
    Map<String, Object> p = new HashMap<>(cluster.security.clientProperties(SecuredCluster.ANALYST));
    p.put("bootstrap.servers", cluster.bootstrap());
    p.put("group.id", SecuredCluster.ANALYST_GROUP);
    p.put("auto.offset.reset", "earliest");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
