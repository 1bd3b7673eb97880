package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.PythonTlsClient;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process running its own copy of libssl (loaded from a temp dir through LD_LIBRARY_PATH) is
 * not covered by the system libssl's probes; after a /proc rescan it is.
 */
class DiscoveryTest {
  @TempDir Path dir;

  @Test
  void aPrivateLibsslCopyIsProbedAfterARescan() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("python3");
    Path system = CollectorConfig.defaults().libsslPaths().getFirst();
    Path privateDir = Files.createDirectories(dir.resolve("private-ssl"));
    Path privateCopy = Files.copy(system.toRealPath(), privateDir.resolve("libssl.so.3"));
    assertEquals(Set.of("SSL_write", "SSL_read"), ElfSymbols.definedFunctions(privateCopy, LibraryDiscovery.REQUIRED));

    RecordingSink sink = new RecordingSink();
    CollectorConfig config =
        CollectorConfig.builder().hostId("discovery-host").statusPort(-1).discoveryInterval(Duration.ZERO).build();
    try (TlsTestServer server = TlsTestServer.start(dir, false);
        Collector collector = Collector.start(config, stats -> sink);
        PythonTlsClient client = new PythonTlsClient(server.port(), Map.of("LD_LIBRARY_PATH", privateDir.toString()))) {
      assertTrue(Files.readString(Path.of("/proc/" + client.pid() + "/maps")).contains(privateCopy.toString()),
          "the client runs the private copy");
      String before = UUID.randomUUID().toString();
      client.request(before);
      assertTrue(sink.awaitEvents(requestWith(before), Duration.ofSeconds(1)).isEmpty(),
          "a private libssl is invisible to the system library's probes");

      assertTrue(collector.rescanProcesses() >= 1, "the private copy is found");
      Library found = collector.libraries().stream()
          .filter(l -> l.discovered() && l.pids().contains((int) client.pid()))
          .findFirst()
          .orElseThrow(() -> new AssertionError("not listed: " + collector.libraries()));
      assertTrue(found.path().toString().endsWith(privateCopy.toString()), found.toString());
      collector.rescanProcesses(); // other processes may appear meanwhile; ours must not be added again
      assertEquals(1, collector.libraries().stream()
          .filter(l -> l.path().toString().endsWith(privateCopy.toString())).count(), "a known file is not probed twice");

      String after = UUID.randomUUID().toString();
      client.request(after);
      RawEvent request = sink.awaitEvents(requestWith(after), Duration.ofSeconds(10)).stream()
          .findFirst()
          .orElseThrow(() -> new AssertionError("request through the private copy not captured after the rescan"));
      assertEquals(client.pid(), request.getProcess().getPid());
      assertTrue(request.getData().getTlsLibrary().endsWith(privateCopy.toString()), request.getData().getTlsLibrary());
    }
  }

  private static Predicate<RawEvent> requestWith(String marker) {
    return e -> e.hasData() && e.getData().getDirection() == Direction.WRITE
        && e.getData().getPayload().toString(StandardCharsets.UTF_8).contains(marker);
  }
}
