package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.Tuple;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * node's TLS runs over memory BIOs: no socket syscall happens inside SSL_read/SSL_write. The
 * kernel binds the SSL object to the socket its thread writes right after an unbound SSL call
 * (the handshake's first flight), so node's request and response carry the real fd and 4-tuple,
 * the reverse of what the CPython server (socket BIO) sees.
 */
class MemoryBioTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  /** Waits for the file named by GO (the collector has probed node), then one https GET. */
  private static final String NODE_CLIENT =
      """
      const fs = require('fs'), https = require('https');
      const timer = setInterval(() => {
        if (!fs.existsSync(process.env.GO)) return;
        clearInterval(timer);
        https.get({host: '127.0.0.1', port: Number(process.env.PORT), path: '/node-' + process.env.MARKER,
                   headers: {'x-marker': process.env.MARKER}, rejectUnauthorized: false, agent: false}, res => {
          let body = '';
          res.on('data', d => body += d);
          res.on('end', () => { console.log(body); process.exit(0); });
        }).on('error', e => { console.error(e); process.exit(2); });
      }, 20);
      """;

  @TempDir Path dir;

  @Test
  void nodeEventsCarryTheSocketOfItsMemoryBio() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("node");
    EbpfEnvironment.requireTool("python3");
    EbpfEnvironment.requireTool("openssl");
    String marker = UUID.randomUUID().toString();
    Path go = dir.resolve("go");
    RecordingSink sink = new RecordingSink();
    CollectorConfig config = CollectorConfig.defaults().withHostId("membio-host").withStatusPort(-1)
        .withDiscoveryInterval(Duration.ofSeconds(1));
    try (TlsTestServer certificates = TlsTestServer.start(dir, false); // writes cert.pem and key.pem
        PythonHttpsServer server = new PythonHttpsServer(dir);
        Collector collector = Collector.start(config, stats -> sink)) {
      ProcessBuilder builder = new ProcessBuilder(List.of("node", "-e", NODE_CLIENT))
          .redirectError(ProcessBuilder.Redirect.INHERIT);
      builder.environment().put("GO", go.toString());
      builder.environment().put("PORT", Integer.toString(server.port()));
      builder.environment().put("MARKER", marker);
      Process node = builder.start();
      try {
        awaitProbed(collector, node.pid());
        Files.writeString(go, "go");
        String body = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertTrue(node.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "node finished");
        assertEquals(0, node.exitValue());
        assertEquals("path=/node-" + marker, body);

        RawEvent request = first(sink, nodeData(node.pid(), Direction.WRITE, "x-marker: " + marker));
        RawEvent response = first(sink, nodeData(node.pid(), Direction.READ, "HTTP/1.1 200"));
        RawEvent bodyEvent = first(sink, nodeData(node.pid(), Direction.READ, "path=/node-" + marker));
        RawEvent served = first(sink, e -> e.getProcess().getPid() == server.pid() && e.hasData()
            && e.getData().getDirection() == Direction.READ && payload(e).contains("x-marker: " + marker));

        Tuple tuple = request.getTuple();
        assertEquals(AddressFamily.INET, tuple.getFamily(), request.toString());
        assertEquals(server.port(), tuple.getDstPort(), "node's remote port is the server's");
        assertNotEquals(0, tuple.getSrcPort(), "a real ephemeral port");
        assertNotEquals(server.port(), tuple.getSrcPort());
        assertTrue(request.getFd() > 2, "a real socket fd: " + request.getFd());
        assertEquals(0, request.getData().getOffset(), "the request is the first byte node wrote");
        assertEquals(tuple, response.getTuple(), "response on the same socket");
        assertEquals(request.getFd(), response.getFd());
        assertEquals(request.getConnectionId(), response.getConnectionId(), "one connection");
        assertEquals(0, response.getData().getOffset(), "the response is the first byte node read");
        assertEquals(request.getConnectionId(), bodyEvent.getConnectionId(), "the body too");
        assertEquals(tuple, bodyEvent.getTuple());
        assertTrue(request.getConnectionId().startsWith("membio-host/" + node.pid() + "/" + request.getFd() + "/"),
            request.getConnectionId());

        Tuple seenByServer = served.getTuple();
        assertEquals(tuple.getSrcAddr(), seenByServer.getDstAddr());
        assertEquals(tuple.getSrcPort(), seenByServer.getDstPort(), "the server sees node's port");
        assertEquals(tuple.getDstAddr(), seenByServer.getSrcAddr());
        assertEquals(tuple.getDstPort(), seenByServer.getSrcPort());

        assertTrue(sink.events.stream().anyMatch(e -> e.hasOpen() && e.getConnectionId().equals(request.getConnectionId())),
            "OPEN for node's connection");
        assertTrue(!sink.awaitEvents(e -> e.hasClose() && e.getConnectionId().equals(request.getConnectionId()), WAIT).isEmpty(),
            "CLOSE for node's connection");
        assertEquals(List.of(request.getConnectionId()), sink.events.stream()
            .filter(e -> e.getProcess().getPid() == node.pid()).map(RawEvent::getConnectionId).distinct().toList(),
            "no event of node went out without the socket (no SSL*-keyed connection)");
      } finally {
        node.destroyForcibly().waitFor();
      }
    }
  }

  /** Polls until a discovery scan attached the probes to node's executable (listed with its pid). */
  private static void awaitProbed(Collector collector, long pid) throws Exception {
    Path executable = Path.of("/proc/" + pid + "/exe").toRealPath();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (collector.libraries().stream().anyMatch(l -> l.discovered() && l.pids().contains((int) pid)
          && l.path().toString().endsWith(executable.toString()))) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("node " + executable + " not probed: " + collector.libraries());
  }

  private static Predicate<RawEvent> nodeData(long pid, Direction direction, String text) {
    return e -> e.getProcess().getPid() == pid && e.getProcess().getComm().equals("node") && e.hasData()
        && e.getData().getDirection() == direction && payload(e).contains(text);
  }

  private static RawEvent first(RecordingSink sink, Predicate<RawEvent> matching) throws InterruptedException {
    return sink.awaitEvents(matching, WAIT).stream().findFirst()
        .orElseThrow(() -> new AssertionError("not captured; events: " + sink.events.size()));
  }

  private static String payload(RawEvent event) {
    return event.getData().getPayload().toString(StandardCharsets.UTF_8);
  }
}
