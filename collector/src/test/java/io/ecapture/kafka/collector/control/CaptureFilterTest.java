package io.ecapture.kafka.collector.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class CaptureFilterTest {
  @Test
  void jsonRoundTrips() {
    CaptureFilter filter = new CaptureFilter(Set.of(42, 7), Set.of(1000), Set.of("curl", "py \"x\""));
    assertEquals("{\"pids\":[7,42],\"uids\":[1000],\"comms\":[\"curl\",\"py \\\"x\\\"\"]}", filter.toJson());
    assertEquals(filter, CaptureFilter.fromJson(filter.toJson()));
  }

  @Test
  void cgroupsAreAFourthSetShownOnlyWhenSet() {
    CaptureFilter filter = CaptureFilter.fromJson("{\"cgroups\":[\"/kubepods.slice\",\"/sys/fs/cgroup/unified/system.slice\"]}");
    assertEquals(Set.of("/kubepods.slice", "/sys/fs/cgroup/unified/system.slice"), filter.cgroups());
    assertEquals("{\"pids\":[],\"uids\":[],\"comms\":[],\"cgroups\":[\"/kubepods.slice\",\"/sys/fs/cgroup/unified/system.slice\"]}",
        filter.toJson());
    assertEquals(filter, CaptureFilter.fromJson(filter.toJson()));
    assertTrue(!filter.capturesEverything());
    assertEquals("{\"pids\":[1],\"uids\":[],\"comms\":[]}", new CaptureFilter(Set.of(1), Set.of(), Set.of()).toJson(),
        "no cgroups: the document is what it was before cgroups existed");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"cgroups\":[\"/a/../b\"]}"))
        .getMessage().contains(".."));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"cgroups\":[\"\"]}"));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"cgroups\":[7]}"));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"cgroup\":[\"/x\"]}"));
  }

  @Test
  void missingKeysMeanEmptySetsAndEmptyObjectCapturesAll() {
    assertEquals(CaptureFilter.ALL, CaptureFilter.fromJson(" { } "));
    assertTrue(CaptureFilter.fromJson("{\"pids\": [ ]}").capturesEverything());
    assertEquals(Set.of(5), CaptureFilter.fromJson("{ \"pids\" : [ 5 ] }").pids());
  }

  @Test
  void badInputIsRejectedWithTheReason() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"pid\":[1]}"))
        .getMessage().contains("unknown key 'pid'"));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"pids\":[\"x\"]}"));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"pids\":[1]} trailing"));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"pids\":[0]}"));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"comms\":[\"a-name-longer-than-15\"]}"));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson(""));
  }

  @Test
  void valuesMustHaveTheirJsonTypeNotJustConvertToIt() {
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"pids\":[\"5\"]}"));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"pids\":[1.5]}"));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"pids\":[null]}"));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"pids\":null}"));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"pids\":[4294967297]}"));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("{\"comms\":[5]}"));
    assertThrows(IllegalArgumentException.class, () -> CaptureFilter.fromJson("[]"));
    assertEquals(Set.of("a\nb"), CaptureFilter.fromJson("{\"comms\":[\"a\\nb\"]}").comms(), "JSON escapes decode");
  }
}
