package io.ecapture.kafka.processor.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code --redact} parsing and the markers that keep what is not secret. */
class RedactionTest {
  @Test
  void parsesNamesInAnyCaseAndNone() {
    assertEquals(Redaction.DEFAULT, Redaction.parse(Redaction.DEFAULT_SPEC));
    assertEquals(Set.of("authorization", "x-token"), Redaction.parse(" Authorization ,X-TOKEN").headerNames());
    assertEquals(Redaction.NONE, Redaction.parse("none"));
    assertEquals(Redaction.NONE, Redaction.parse("NONE"));
    assertFalse(Redaction.NONE.enabled());
    assertTrue(Redaction.DEFAULT.covers("Proxy-Authorization"));
    assertEquals("authorization,cookie,proxy-authorization,set-cookie", Redaction.DEFAULT.spec());
    assertEquals("none", Redaction.NONE.spec());
    assertThrows(IllegalArgumentException.class, () -> Redaction.parse(""));
    assertThrows(IllegalArgumentException.class, () -> Redaction.parse("authorization,"));
    assertThrows(IllegalArgumentException.class, () -> Redaction.parse("bad header"));
    assertThrows(IllegalArgumentException.class, () -> Redaction.parse("x:y"));
  }

  @Test
  void markersKeepTheSchemeAndCookieNames() {
    assertEquals("Bearer <redacted>", HeaderRedactor.redactValue("Authorization", "Bearer abc.def"));
    assertEquals("Basic <redacted>", HeaderRedactor.redactValue("authorization", "Basic dXNlcjpwYXNz"));
    assertEquals("Digest <redacted>", HeaderRedactor.redactValue("Proxy-Authorization",
        "Digest username=\"u\", response=\"r\""));
    assertEquals("<redacted>", HeaderRedactor.redactValue("Authorization", "rawtoken"));
    assertEquals("a=<redacted>; b=<redacted>", HeaderRedactor.redactValue("Cookie", "a=1; b=2"));
    assertEquals("a=<redacted>;b=<redacted>", HeaderRedactor.redactValue("cookie", "a=1;b=2"));
    assertEquals("<redacted>", HeaderRedactor.redactValue("Cookie", "justavalue"));
    assertEquals("id=<redacted>; Path=/; Secure; HttpOnly",
        HeaderRedactor.redactValue("Set-Cookie", "id=abc; Path=/; Secure; HttpOnly"));
    assertEquals("id=<redacted>", HeaderRedactor.redactValue("set-cookie", "id=abc"));
    assertEquals("<redacted>", HeaderRedactor.redactValue("X-Api-Key", "Bearer abc"), "other headers: all of it");
  }
}
