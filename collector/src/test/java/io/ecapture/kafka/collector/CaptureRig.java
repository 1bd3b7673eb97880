package io.ecapture.kafka.collector;

import io.ecapture.kafka.collector.sink.RecordingSink;
import java.nio.file.Path;

/**
 * What most capture test classes share: a collector recording into a {@link RecordingSink} and an
 * {@code openssl s_server} to send traffic to, started once per class (eBPF gate included).
 */
public record CaptureRig(RecordingSink sink, Collector collector, TlsTestServer server) implements AutoCloseable {

  public static CaptureRig start(Path dir, CollectorConfig config) throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    RecordingSink sink = new RecordingSink();
    Collector collector = Collector.start(config, stats -> sink);
    try {
      return new CaptureRig(sink, collector, TlsTestServer.start(dir, false));
    } catch (Exception e) {
      collector.close();
      throw e;
    }
  }

  /** Closes a rig a {@code @BeforeAll} may not have finished starting. */
  public static void stop(CaptureRig rig) throws Exception {
    if (rig != null) {
      rig.close();
    }
  }

  @Override
  public void close() throws Exception {
    try {
      server.close();
    } finally {
      collector.close();
    }
  }
}
