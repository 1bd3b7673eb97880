package io.ecapture.kafka.collector.libbpf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiles a C program against the installed libbpf.h and compares its offsets with ours. */
class NativeStructsTest {
  private static final String PROGRAM =
      """
      #include <stddef.h>
      #include <stdio.h>
      #include <bpf/libbpf.h>
      #define F(s, f) printf(#s "." #f "=%zu\\n", offsetof(struct s, f))
      int main(void) {
        printf("bpf_uprobe_opts.size=%zu\\n", sizeof(struct bpf_uprobe_opts));
        F(bpf_uprobe_opts, sz); F(bpf_uprobe_opts, ref_ctr_offset); F(bpf_uprobe_opts, bpf_cookie);
        F(bpf_uprobe_opts, retprobe); F(bpf_uprobe_opts, func_name);
        printf("bpf_object_open_opts.size=%zu\\n", sizeof(struct bpf_object_open_opts));
        F(bpf_object_open_opts, sz); F(bpf_object_open_opts, object_name);
        F(bpf_object_open_opts, relaxed_maps); F(bpf_object_open_opts, pin_root_path);
        F(bpf_object_open_opts, kconfig); F(bpf_object_open_opts, btf_custom_path);
        F(bpf_object_open_opts, kernel_log_buf); F(bpf_object_open_opts, kernel_log_size);
        F(bpf_object_open_opts, kernel_log_level);
        printf("bpf_tc_hook.size=%zu\\n", sizeof(struct bpf_tc_hook));
        F(bpf_tc_hook, sz); F(bpf_tc_hook, ifindex); F(bpf_tc_hook, attach_point); F(bpf_tc_hook, parent);
        printf("bpf_tc_opts.size=%zu\\n", sizeof(struct bpf_tc_opts));
        F(bpf_tc_opts, sz); F(bpf_tc_opts, prog_fd); F(bpf_tc_opts, flags); F(bpf_tc_opts, prog_id);
        F(bpf_tc_opts, handle); F(bpf_tc_opts, priority);
        return 0;
      }
      """;

  private static final Map<String, Long> C = new HashMap<>();

  @BeforeAll
  static void compileAndRun(@TempDir Path dir) throws Exception {
    boolean haveHeader = Files.exists(Path.of("/usr/include/bpf/libbpf.h"));
    boolean haveClang = Files.isExecutable(Path.of("/usr/bin/clang"));
    if (!haveHeader || !haveClang) {
      String reason = "needs /usr/include/bpf/libbpf.h and /usr/bin/clang (libbpf-dev, clang)";
      if (System.getenv("CI") != null) {
        throw new AssertionError(reason);
      }
      Assumptions.abort(reason);
    }
    Path source = dir.resolve("layout.c");
    Files.writeString(source, PROGRAM);
    Path binary = dir.resolve("layout");
    run(new ProcessBuilder("/usr/bin/clang", "-o", binary.toString(), source.toString()));
    for (String line : run(new ProcessBuilder(binary.toString())).split("\n")) {
      String[] kv = line.split("=");
      C.put(kv[0], Long.parseLong(kv[1].strip()));
    }
  }

  @Test
  void uprobeOptsMatchesLibbpfHeader() {
    check("bpf_uprobe_opts", NativeStructs.UPROBE_OPTS, "sz", "ref_ctr_offset", "bpf_cookie", "retprobe", "func_name");
  }

  @Test
  void objectOpenOptsMatchesLibbpfHeader() {
    check("bpf_object_open_opts", NativeStructs.OBJECT_OPEN_OPTS, "sz", "object_name", "relaxed_maps",
        "pin_root_path", "kconfig", "btf_custom_path", "kernel_log_buf", "kernel_log_size", "kernel_log_level");
  }

  @Test
  void tcHookAndOptsMatchLibbpfHeader() {
    check("bpf_tc_hook", NativeStructs.TC_HOOK, "sz", "ifindex", "attach_point", "parent");
    check("bpf_tc_opts", NativeStructs.TC_OPTS, "sz", "prog_fd", "flags", "prog_id", "handle", "priority");
  }

  private static void check(String struct, StructLayout layout, String... fields) {
    assertEquals(C.get(struct + ".size"), layout.byteSize(), "sizeof(struct " + struct + ")");
    for (String field : fields) {
      assertEquals(C.get(struct + "." + field), NativeStructs.offsetOf(layout, field), struct + "." + field);
    }
  }

  private static String run(ProcessBuilder builder) throws Exception {
    Process process = builder.redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new AssertionError("failed: " + builder.command() + "\n" + out);
    }
    return out;
  }
}
