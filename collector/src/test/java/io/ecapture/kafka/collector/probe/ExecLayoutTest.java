package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.bpf.BpfObjects;
import io.ecapture.kafka.collector.BpfLayout;
import io.ecapture.kafka.collector.EbpfEnvironment;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the collector reads from and writes to exec_watch's maps matches the compiled object:
 * struct exec_event, exec_key and held_process as clang laid them out (BTF), and exec_watch.h's
 * constants.
 */
class ExecLayoutTest {
  @Test
  void structsMatchTheCompiledObjectsBtf(@TempDir Path dir) throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    Path object = BpfObjects.EXEC_WATCH.extract(dir);

    BpfLayout.Struct event = BpfLayout.struct(dir, object, "exec_event");
    assertEquals(ExecEvent.SIZE, event.size(), "sizeof(struct exec_event)");
    assertEquals(Map.of("pid", (int) ExecEvent.PID, "held", (int) ExecEvent.HELD, "file", (int) ExecEvent.FILE,
        "ktime_ns", (int) ExecEvent.KTIME, "start_boottime_ns", (int) ExecEvent.START_BOOTTIME,
        "filename", (int) ExecEvent.FILENAME), event.offsets());

    BpfLayout.Struct key = BpfLayout.struct(dir, object, "exec_key");
    assertEquals(ExecKey.SIZE, key.size(), "sizeof(struct exec_key)");
    assertEquals(List.of("dev", "ino", "mtime_sec", "mtime_nsec", "_pad"), List.copyOf(key.offsets().keySet()));
    assertEquals((int) ExecKey.DEV, key.offsets().get("dev"));
    assertEquals((int) ExecKey.INO, key.offsets().get("ino"));
    assertEquals((int) ExecKey.MTIME_SEC, key.offsets().get("mtime_sec"));
    assertEquals((int) ExecKey.MTIME_NSEC, key.offsets().get("mtime_nsec"));

    BpfLayout.Struct held = BpfLayout.struct(dir, object, "held_process");
    assertEquals(HeldProcesses.VALUE_SIZE, held.size(), "sizeof(struct held_process)");
    assertEquals((int) HeldProcesses.START_BOOTTIME, held.offsets().get("start_boottime_ns"));
    assertEquals((int) HeldProcesses.KTIME, held.offsets().get("ktime_ns"));
  }

  @Test
  void constantsMatchTheHeader() throws Exception {
    String header;
    try (InputStream in = ExecLayoutTest.class.getResourceAsStream("/io/ecapture/kafka/bpf/exec_watch.h")) {
      assertTrue(in != null, "exec_watch.h packaged in the bpf jar");
      header = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertTrue(header.contains("#define EXEC_FILENAME_MAX " + ExecEvent.FILENAME_MAX + "\n"));
    assertTrue(header.contains("#define EXEC_MAX_VERDICTS " + ExecVerdicts.MAX_VERDICTS + "\n"));
    assertTrue(header.contains("EXEC_NO_TLS = " + ExecVerdicts.NO_TLS + ","));
    assertTrue(header.contains("EXEC_PROBED = " + ExecVerdicts.PROBED + ","));
    assertTrue(header.contains("EXEC_UNREADABLE = " + ExecVerdicts.UNREADABLE + ","));
    assertTrue(header.contains("EXEC_SETTING_HOLD = " + ExecWatch.SETTING_HOLD + ","));
    assertTrue(header.contains("EXEC_COUNT_SEEN = " + ExecWatch.COUNT_SEEN + ","));
    assertTrue(header.contains("EXEC_COUNT_KNOWN = " + ExecWatch.COUNT_KNOWN + ","));
    assertTrue(header.contains("EXEC_COUNT_REPORTED = " + ExecWatch.COUNT_REPORTED + ","));
    assertTrue(header.contains("EXEC_COUNT_HELD = " + ExecWatch.COUNT_HELD + ","));
    assertTrue(header.contains("EXEC_COUNT_TTY = " + ExecWatch.COUNT_TTY + ","));
    assertTrue(header.contains("EXEC_COUNT_HELD_FULL = " + ExecWatch.COUNT_HELD_FULL + ","));
    assertTrue(header.contains("EXEC_COUNT_RING_FULL = " + ExecWatch.COUNT_RING_FULL + ","));
    assertTrue(header.contains("EXEC_COUNT_SIGNAL_FAILED = " + ExecWatch.COUNT_SIGNAL_FAILED + ","));
    assertTrue(header.contains("EXEC_COUNTERS = 8,"));
  }
}
