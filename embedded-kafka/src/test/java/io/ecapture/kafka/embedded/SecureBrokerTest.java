package io.ecapture.kafka.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker with a SASL_SSL listener: SCRAM users from the format's bootstrap records,
 * the generated certificate, the ACL authorizer with super users.
 */
class SecureBrokerTest {
  @TempDir Path dir;

  @Test
  void superUserAdministersOthersNeedAclsAndAWrongPasswordIsRefused() throws Exception {
    BrokerSecurity security = BrokerSecurity.saslSsl(dir.resolve("tls")).superUser("admin").user("alice").build();
    assertFalse(security.toString().contains(security.password("alice")), security.toString());
    EmbeddedKafka.Settings settings = new EmbeddedKafka.Settings(dir.resolve("broker"), "127.0.0.1",
        EmbeddedKafka.freePort(), EmbeddedKafka.freePort(), Map.of());
    try (EmbeddedKafka kafka = EmbeddedKafka.start(settings, security)) {
      try (Admin admin = admin(kafka, security.clientProperties("admin"))) {
        admin.createTopics(List.of(new NewTopic("secure.test", 1, (short) 1))).all().get();
        // the create returns once the controller committed it; the broker's metadata follows
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!admin.listTopics().names().get().contains("secure.test")
            && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertTrue(admin.listTopics().names().get().contains("secure.test"));
      }
      // alice authenticates but has no ACL: the topic is hidden from her, creating one is refused
      try (Admin alice = admin(kafka, security.clientProperties("alice"))) {
        assertFalse(alice.listTopics().names().get().contains("secure.test"));
        ExecutionException denied = assertThrows(ExecutionException.class, () ->
            alice.createTopics(List.of(new NewTopic("alice.topic", 1, (short) 1))).all().get());
        assertEquals("TopicAuthorizationException", denied.getCause().getClass().getSimpleName(),
            denied.getCause().toString());
        assertInstanceOf(TopicAuthorizationException.class, denied.getCause());
      }
      try (Admin wrong = admin(kafka, security.clientProperties("alice", "not-her-password",
          security.trustStore()))) {
        ExecutionException refused = assertThrows(ExecutionException.class,
            () -> wrong.describeCluster().nodes().get());
        assertInstanceOf(SaslAuthenticationException.class, refused.getCause());
      }
    }
  }

  private static Admin admin(EmbeddedKafka kafka, Map<String, String> client) {
    Map<String, Object> p = new HashMap<>(client);
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("default.api.timeout.ms", 30_000);
    return Admin.create(p);
  }
}
