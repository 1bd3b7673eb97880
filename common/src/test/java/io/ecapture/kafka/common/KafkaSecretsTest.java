package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaSecretsTest {
  @Test
  void passwordTypedPropertiesAreSecretAlsoBehindAStreamsClientPrefix() {
    assertTrue(KafkaSecrets.isSecret("sasl.jaas.config"));
    assertTrue(KafkaSecrets.isSecret("ssl.key.password"));
    assertTrue(KafkaSecrets.isSecret("ssl.keystore.key"));
    assertTrue(KafkaSecrets.isSecret("producer.ssl.truststore.password"));
    assertTrue(KafkaSecrets.isSecret("main.consumer.sasl.jaas.config"));
  }

  @Test
  void namesThatSaySecretAreSecretEvenForUnknownProperties() {
    assertTrue(KafkaSecrets.isSecret("my.plugin.api.token"));
    assertTrue(KafkaSecrets.isSecret("sasl.oauthbearer.client.credentials.client.secret"));
    assertTrue(KafkaSecrets.isSecret("x.private.key"));
  }

  @Test
  void ordinarySettingsStayVisible() {
    assertFalse(KafkaSecrets.isSecret("bootstrap.servers"));
    assertFalse(KafkaSecrets.isSecret("security.protocol"));
    assertFalse(KafkaSecrets.isSecret("sasl.mechanism"));
    assertFalse(KafkaSecrets.isSecret("linger.ms"));
  }

  @Test
  void maskedSortsAndHidesOnlySecrets() {
    assertEquals("{linger.ms=5, sasl.jaas.config=***}", KafkaSecrets.masked(
        Map.of("sasl.jaas.config", "org.apache...ScramLoginModule required password=\"p\";",
            "linger.ms", "5")).toString());
  }
}
