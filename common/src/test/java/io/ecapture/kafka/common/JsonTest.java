package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  record Filter(List<Integer> pids, List<String> comms) {}

  @Test
  void controlCharactersInStringsAreEscapedSoTheDocumentStaysValid() {
    String text = Json.write(Map.of("path", "/tmp/a\nb\t\"c\"\u0001"));
    assertEquals("{\"path\":\"/tmp/a\\nb\\t\\\"c\\\"\\u0001\"}", text);
    assertEquals("/tmp/a\nb\t\"c\"\u0001", Json.tree(text).get("path").asText());
  }

  @Test
  void recordsReadAndWrite() {
    Filter f = Json.read("{\"pids\":[1,2],\"comms\":[\"curl\"]}", Filter.class);
    assertEquals(new Filter(List.of(1, 2), List.of("curl")), f);
    assertEquals("{\"pids\":[1,2],\"comms\":[\"curl\"]}", Json.write(f));
  }

  @Test
  void aMisspeltPropertyIsAnErrorNotIgnored() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Json.read("{\"pid\":[1]}", Filter.class));
    assertTrue(e.getMessage().contains("pid"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Json.tree("{not json"));
  }
}
