package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {

  @Test
  void hostPortAcceptsTheUsualFormsAndNamesBadInput() {
    assertEquals(new InetSocketAddress("127.0.0.1", 28257), HostPort.parse("127.0.0.1:28257"));
    assertEquals(new InetSocketAddress("::1", 1), HostPort.parse("[::1]:1"));
    assertEquals(new InetSocketAddress(9), HostPort.parse(":9"));
    assertThrows(IllegalArgumentException.class, () -> HostPort.parse("localhost"));
    assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h:99999"));
    assertThrows(IllegalArgumentException.class, () -> HostPort.parse("::1:80"));
  }

  @Test
  void configRejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> GatewayConfig.builder().replayLogs(-1).build());
    assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.builder().heartbeatInterval(Duration.ZERO).build());
    assertThrows(IllegalArgumentException.class, () -> GatewayConfig.builder().maxQueuedBytes(0).build());
    assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.builder().maxHttpThreads(GatewayConfig.MIN_HTTP_THREADS - 1).build());
    assertThrows(IllegalArgumentException.class, () -> GatewayConfig.builder().maxQueuedReplays(0).build());
    assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.builder().replayReadBudget(Duration.ofSeconds(-1)).build());
  }

  @Test
  void idleTimeoutIsFourHeartbeatsButNeverBelowTheMinimum() {
    assertEquals(Duration.ofSeconds(60), GatewayConfig.defaults().idleTimeout());
    assertEquals(Duration.ofSeconds(120),
        GatewayConfig.builder().heartbeatInterval(Duration.ofSeconds(30)).build().idleTimeout());
  }

  @Test
  void toStringShowsEverySettingButNoSecret() {
    GatewayConfig cfg =
        GatewayConfig.builder()
            .token("tok-s3cret")
            .tls(Path.of("/etc/gateway.p12"), "ks-s3cret")
            .kafkaOverrides(Map.of(
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
                    + " username=\"u\" password=\"jaas-s3cret\";",
                "ssl.truststore.password", "ts-s3cret",
                "ssl.keystore.key", "pem-s3cret",
                "my.plugin.client.secret", "plugin-s3cret",
                "security.protocol", "SASL_SSL"))
            .build();
    String text = cfg.toString();
    assertFalse(text.contains("s3cret"), text);
    assertTrue(text.contains("token=***"), text);
    assertTrue(text.contains("tlsKeyStorePassword=***"), text);
    assertTrue(text.contains("sasl.jaas.config=***"), text);
    assertTrue(text.contains("ssl.keystore.key=***"), text);
    assertTrue(text.contains("security.protocol=SASL_SSL"), text);
    assertTrue(text.contains("tlsKeyStore=/etc/gateway.p12"), text);
    // every component is shown, as the record's own toString would
    for (java.lang.reflect.RecordComponent c : GatewayConfig.class.getRecordComponents()) {
      assertTrue(text.contains(", " + c.getName() + "=") || text.startsWith("GatewayConfig[" + c.getName() + "="),
          c.getName() + " missing: " + text);
    }
    String open = GatewayConfig.defaults().toString();
    assertTrue(open.contains("token=none") && open.contains("tlsKeyStorePassword=none"), open);
  }
}
