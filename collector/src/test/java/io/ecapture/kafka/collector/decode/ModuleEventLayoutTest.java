package io.ecapture.kafka.collector.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ecapture.kafka.bpf.BpfObjects;
import io.ecapture.kafka.collector.BpfLayout;
import io.ecapture.kafka.collector.EbpfEnvironment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ModuleEventLayout} equals modules.h's struct module_event / module_target as the object's BTF records them. */
class ModuleEventLayoutTest {
  @TempDir Path dir;

  @Test
  void moduleEventMatchesTheDecoder() throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    BpfLayout.Struct event = BpfLayout.struct(dir, BpfObjects.MODULES.extract(dir), "module_event");
    assertEquals(ModuleEventLayout.HEADER_SIZE, event.size());
    Map<String, Integer> expected = new LinkedHashMap<>();
    expected.put("kind", ModuleEventLayout.KIND);
    expected.put("pid", ModuleEventLayout.PID);
    expected.put("tid", ModuleEventLayout.TID);
    expected.put("uid", ModuleEventLayout.UID);
    expected.put("ktime_ns", ModuleEventLayout.KTIME);
    expected.put("conn_start_ns", ModuleEventLayout.CONN_START);
    expected.put("offset", ModuleEventLayout.OFFSET);
    expected.put("cgroup_id", ModuleEventLayout.CGROUP_ID);
    expected.put("retval", ModuleEventLayout.RETVAL);
    expected.put("fd", ModuleEventLayout.FD);
    expected.put("data_len", ModuleEventLayout.DATA_LEN);
    expected.put("call_len", ModuleEventLayout.CALL_LEN);
    expected.put("family", ModuleEventLayout.FAMILY);
    expected.put("sport", ModuleEventLayout.SPORT);
    expected.put("dport", ModuleEventLayout.DPORT);
    expected.put("direction", ModuleEventLayout.DIRECTION);
    expected.put("module", ModuleEventLayout.MODULE);
    expected.put("target", ModuleEventLayout.TARGET);
    expected.put("flags", ModuleEventLayout.FLAGS);
    expected.put("command", ModuleEventLayout.COMMAND);
    expected.put("saddr", ModuleEventLayout.SADDR);
    expected.put("daddr", ModuleEventLayout.DADDR);
    expected.put("comm", ModuleEventLayout.COMM);
    expected.put("tty", ModuleEventLayout.TTY);
    expected.put("duration_ns", ModuleEventLayout.DURATION);
    assertEquals(expected, event.offsets());
  }

  @Test
  void moduleTargetMatchesWhatTheCollectorWrites() throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    BpfLayout.Struct target = BpfLayout.struct(dir, BpfObjects.MODULES.extract(dir), "module_target");
    assertEquals(16, target.size());
    assertEquals(Map.of("module", 0, "fd_offset", 4, "secret_offset", 8, "osfd_offset", 12), target.offsets());
  }
}
