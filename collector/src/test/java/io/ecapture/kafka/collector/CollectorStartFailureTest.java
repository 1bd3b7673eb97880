package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.sink.RecordingSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollectorStartFailureTest {
  @TempDir Path dir;

  @Test
  void noProbeableLibsslFailsTheStartClearlyAndReleasesEverything() throws Exception {
    EbpfEnvironment.requireEbpf();
    Path notElf = Files.writeString(dir.resolve("libssl.so.3"), "not an ELF file");
    CollectorConfig config =
        CollectorConfig.builder()
            .hostId("fail-host")
            .libsslPaths(List.of(dir.resolve("missing/libssl.so.3"), notElf))
            .statusPort(CollectorConfig.STATUS_DISABLED).build();
    RecordingSink sink = new RecordingSink();

    CollectorStartException e =
        assertThrows(CollectorStartException.class, () -> Collector.start(config, stats -> sink));

    assertTrue(e.getMessage().startsWith("no OpenSSL function could be probed"), e.getMessage());
    assertTrue(e.getMessage().contains("missing/libssl.so.3:SSL_write"), e.getMessage());
    assertTrue(sink.closed, "the sink is closed when start fails");
    assertTrue(sink.logs.stream().anyMatch(l -> l.getMessage().startsWith("attach failed")), "attach failures logged");
  }

  @Test
  void commandExitsWithOneAndAMessageWhenTheCollectorCannotStart() throws Exception {
    EbpfEnvironment.requireEbpf();
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int exit;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      exit = new picocli.CommandLine(new CollectorCommand())
          .execute("--libssl", dir.resolve("missing.so").toString(), "--status-port", "-1",
              "--bootstrap", "127.0.0.1:1", "--host-id", "cli-host",
              "--spool-dir", dir.resolve("spool").toString());
    } finally {
      System.setErr(original);
    }
    org.junit.jupiter.api.Assertions.assertEquals(1, exit);
    assertTrue(err.toString(java.nio.charset.StandardCharsets.UTF_8)
        .contains("collector: no OpenSSL function could be probed"), err.toString());
  }
}
