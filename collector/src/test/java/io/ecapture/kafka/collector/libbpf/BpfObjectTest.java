package io.ecapture.kafka.collector.libbpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failure paths of the libbpf wrapper: errno and verifier log reach the exception. */
class BpfObjectTest {
  @Test
  void openingAMissingFileReportsEnoent(@TempDir Path dir) {
    LibBpfException e = assertThrows(LibBpfException.class, () -> BpfObject.open(dir.resolve("missing.bpf.o")));
    assertEquals(2, e.errno());
    assertTrue(e.getMessage().contains("bpf_object__open_file"), e.getMessage());
  }

  @Test
  void programRejectedByTheVerifierCarriesTheVerifierLog(@TempDir Path dir) throws Exception {
    requireRootAndClang();
    Path source = dir.resolve("bad.bpf.c");
    // reads far past the end of the 16-byte raw tracepoint context: the verifier refuses
    Files.writeString(
        source,
        """
        #define SEC(name) __attribute__((section(name), used))
        SEC("raw_tp/sys_enter")
        int out_of_bounds(void *ctx) { return *(volatile int *)((char *)ctx + 4096); }
        char LICENSE[] SEC("license") = "GPL";
        """);
    Path object = dir.resolve("bad.bpf.o");
    Process clang =
        new ProcessBuilder("/usr/bin/clang", "-O2", "-target", "bpf", "-c", source.toString(), "-o", object.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(clang.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(clang.waitFor(60, TimeUnit.SECONDS) && clang.exitValue() == 0, output);

    try (BpfObject bad = BpfObject.open(object)) {
      LibBpfException e = assertThrows(LibBpfException.class, bad::load);
      assertTrue(e.getMessage().contains("bpf_object__load"), e.getMessage());
      assertTrue(e.verifierLog().contains("invalid bpf_context access"), e.verifierLog());
    }
  }

  private static void requireRootAndClang() throws Exception {
    boolean root = Files.readAllLines(Path.of("/proc/self/status")).stream()
        .anyMatch(line -> line.startsWith("Uid:") && line.split("\\s+")[2].equals("0"));
    boolean clang = Files.isExecutable(Path.of("/usr/bin/clang"));
    if (!root || !clang) {
      String reason = "needs root (BPF load) and /usr/bin/clang";
      if (System.getenv("CI") != null) {
        throw new AssertionError(reason);
      }
      Assumptions.abort(reason);
    }
  }
}
