package io.ecapture.kafka.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.gateway.GatewayConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Who may open a socket: {@link OriginPolicy} and {@link HandshakeGate}. */
class HandshakeGateTest {

  @Test
  void originPolicyAcceptsLocalPagesAndNoOriginAndRefusesOtherSites() {
    OriginPolicy policy = new OriginPolicy(GatewayConfig.DEFAULT_ORIGIN_HOSTS, true);
    assertNull(policy.refusal("http://localhost/"));
    assertNull(policy.refusal("tauri://localhost"));
    assertNull(policy.refusal("http://127.0.0.1:1420"));
    assertNull(policy.refusal(null));
    assertNotNull(policy.refusal("https://evil.example"));
    assertNotNull(policy.refusal("null"));
    assertNotNull(new OriginPolicy(List.of("localhost"), false).refusal(null));
    assertNull(new OriginPolicy(List.of("*"), true).refusal("https://any.example"));
  }

  @Test
  void handshakeGateSeparatesMalformedFromRefused() {
    HandshakeGate gate = new HandshakeGate(GatewayConfig.builder().token("t").build());
    String key = "dGhlIHNhbXBsZSBub25jZQ==";
    assertTrue(gate.check("GET", "/?token=t", key, "13", null, null).admitted());
    assertTrue(gate.check("GET", "/", key, "13", null, "Bearer t").admitted());
    assertEquals(426, gate.check("GET", "/?token=t", key, "8", null, null).status());
    assertEquals(400, gate.check("GET", "/?token=t", null, "13", null, null).status());
    assertEquals(400, gate.check("GET", "/?token=t", "bm90IDE2IGJ5dGVz", "13", null, null).status());
    assertEquals(400, gate.check("PUT", "/?token=t", key, "13", null, null).status());
    HandshakeGate.Verdict noToken = gate.check("GET", "/", key, "13", null, null);
    assertEquals(403, noToken.status());
    assertFalse(noToken.malformed());
    assertEquals(403, gate.check("GET", "/?token=t", key, "13", "https://evil.example", null).status());
    assertEquals(403, gate.check("GET", "/?token=t&pid=x", key, "13", null, null).status());
  }
}
