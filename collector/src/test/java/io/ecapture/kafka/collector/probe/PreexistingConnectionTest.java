package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TLS connection connected and handshaken BEFORE the collector started is still captured with its
 * 4-tuple, fd, pid and comm once it sends: the kernel side finds the socket from the fd of the
 * first SSL call it sees, not from connect().
 */
class PreexistingConnectionTest {
  /** Connects and handshakes, reports "<local port> <fd>", then sends only when told to. */
  private static final String SCRIPT =
      """
      import socket, ssl, sys
      ctx = ssl._create_unverified_context()
      raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
      s = ctx.wrap_socket(raw, server_hostname="localhost")
      print(s.getsockname()[1], s.fileno(), flush=True)
      sys.stdin.readline()
      s.sendall(b"GET /preexisting HTTP/1.0\\r\\n\\r\\n")
      while s.recv(65536):
          pass
      s.close()
      print("done", flush=True)
      """;

  @TempDir Path dir;

  @Test
  void connectionOpenedBeforeStartGetsTupleFdPidAndComm() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("python3");
    try (TlsTestServer server = TlsTestServer.start(dir, false)) {
      Process client = new ProcessBuilder(List.of("python3", "-c", SCRIPT, Integer.toString(server.port())))
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
      try {
        BufferedReader out = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
        String[] connected = out.readLine().split(" "); // handshake done, nothing sent yet
        int localPort = Integer.parseInt(connected[0]);
        int fd = Integer.parseInt(connected[1]);

        RecordingSink sink = new RecordingSink();
        CollectorConfig config = CollectorConfig.builder().hostId("late-host").statusPort(-1).build();
        try (Collector collector = Collector.start(config, stats -> sink)) {
          Writer in = new OutputStreamWriter(client.getOutputStream(), StandardCharsets.UTF_8);
          in.write("go\n");
          in.flush();
          assertEquals("done", out.readLine());
          long pid = client.pid();
          RawEvent open = sink.awaitEvents(e -> e.getProcess().getPid() == pid && e.hasOpen(), Duration.ofSeconds(10))
              .stream().findFirst().orElseThrow(() -> new AssertionError("no OPEN of pid " + pid));
          assertEquals(fd, open.getFd(), open.toString());
          assertEquals("python3", open.getProcess().getComm());
          assertEquals(localPort, open.getTuple().getSrcPort(), open.toString());
          assertEquals(server.port(), open.getTuple().getDstPort(), open.toString());
          assertEquals(List.of(127, 0, 0, 1), unsigned(open.getTuple().getDstAddr().toByteArray()));
          assertEquals(0x0304, open.getOpen().getTlsVersion());
          List<RawEvent> written = sink.awaitEvents(
              e -> e.getConnectionId().equals(open.getConnectionId()) && e.hasData()
                  && e.getData().getPayload().toStringUtf8().startsWith("GET /preexisting"),
              Duration.ofSeconds(10));
          assertEquals(1, written.size(), "the request, captured once");
          assertEquals(0, written.getFirst().getData().getOffset(), "offsets count from the first call seen");
          // its handshake happened before the probes: none is reported for it
          assertFalse(sink.events.stream().anyMatch(e -> e.getProcess().getPid() == pid && e.hasHandshake()));
        }
      } finally {
        client.destroy();
        assertTrue(client.waitFor(10, TimeUnit.SECONDS));
      }
    }
  }

  private static List<Integer> unsigned(byte[] bytes) {
    return java.util.stream.IntStream.range(0, bytes.length).map(i -> Byte.toUnsignedInt(bytes[i])).boxed().toList();
  }
}
