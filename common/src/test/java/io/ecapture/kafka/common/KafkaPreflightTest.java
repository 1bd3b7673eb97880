package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.embedded.BrokerSecurity;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One clear line per way a secured cluster refuses, never the password. */
class KafkaPreflightTest {
  @TempDir Path dir;

  @Test
  void rightCredentialsPassWrongPasswordAndUntrustedCertificateEachSayWhy() {
    BrokerSecurity security = BrokerSecurity.saslSsl(dir.resolve("tls")).user("alice").build();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(new EmbeddedKafka.Settings(dir.resolve("broker"),
        "127.0.0.1", EmbeddedKafka.freePort(), EmbeddedKafka.freePort(), Map.of()), security)) {
      String bootstrap = kafka.bootstrapServers();
      assertEquals(1, KafkaPreflight.check(bootstrap, security.clientProperties("alice"),
          Duration.ofSeconds(30)).brokers());

      KafkaAccessException wrong = assertThrows(KafkaAccessException.class, () -> KafkaPreflight.check(
          bootstrap, security.clientProperties("alice", "wrong-password-123", security.trustStore()),
          Duration.ofSeconds(30)));
      assertEquals(KafkaAccessException.Reason.AUTHENTICATION, wrong.reason());
      assertFalse(wrong.retriable());
      assertTrue(wrong.getMessage().contains("authentication failed")
          && wrong.getMessage().contains("user 'alice'"), wrong.getMessage());
      assertFalse(wrong.getMessage().contains("wrong-password-123"), wrong.getMessage());
      assertEquals(1, wrong.getMessage().lines().count());

      Path stranger = BrokerSecurity.untrustedTrustStore(dir.resolve("stranger"), security.storePassword());
      KafkaAccessException untrusted = assertThrows(KafkaAccessException.class, () -> KafkaPreflight.check(
          bootstrap, security.clientProperties("alice", security.password("alice"), stranger),
          Duration.ofSeconds(30)));
      assertEquals(KafkaAccessException.Reason.TLS, untrusted.reason());
      assertTrue(untrusted.getMessage().contains("TLS handshake failed")
          && untrusted.getMessage().contains(stranger.toString()), untrusted.getMessage());
      assertFalse(untrusted.getMessage().contains(security.password("alice")), untrusted.getMessage());
      assertEquals(1, untrusted.getMessage().lines().count());
    }
  }

  @Test
  void noBrokerIsRetriableAndSaysSo() {
    KafkaAccessException none = assertThrows(KafkaAccessException.class, () -> KafkaPreflight.check(
        "127.0.0.1:" + EmbeddedKafka.freePort(), Map.of(), Duration.ofSeconds(2)));
    assertEquals(KafkaAccessException.Reason.UNREACHABLE, none.reason());
    assertTrue(none.retriable());
    assertTrue(none.getMessage().contains("no answer within 2 s"), none.getMessage());
  }
}
