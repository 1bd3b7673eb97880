package io.ecapture.kafka.forwarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TargetTest {
  @Test
  void parsesEveryKindAndMasksCredentials() {
    assertEquals(Target.Kind.FILE, Target.parse("/var/log/e.log").kind());
    assertEquals(Path.of("/var/log/e.log"), Target.parse("file:///var/log/e.log").file());
    assertEquals(Target.Kind.FILE, Target.parse("events.log").kind());
    Target tcp = Target.parse("tcp://vector:9000");
    assertEquals(Target.Kind.TCP, tcp.kind());
    assertEquals(9000, tcp.port());
    assertEquals(443, Target.parse("wss://h/x").port());
    assertEquals(Target.Kind.WEBSOCKET, Target.parse("ws://h:1/x").kind());
    Target http = Target.parse("https://user:pw@siem.example/ingest?api_key=k123&tag=a");
    assertEquals(Target.Kind.HTTP, http.kind());
    String shown = http.display();
    assertFalse(shown.contains("pw") || shown.contains("k123"), shown);
    assertTrue(shown.equals("https://***@siem.example/ingest?api_key=***&tag=***"), shown);
    assertEquals(shown, http.toString());
    assertThrows(IllegalArgumentException.class, () -> Target.parse("tcp://vector"));
    assertThrows(IllegalArgumentException.class, () -> Target.parse("ftp://h/x"));
    assertThrows(IllegalArgumentException.class, () -> Target.parse(" "));
  }
}
