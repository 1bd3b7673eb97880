package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.PythonHttpsServer;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.sink.RecordingSink;
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

  /**
   * A CPython TLS server (socket BIO): "push" starts a stream of "tick N" lines on that
   * connection; any other line is answered with "pong" and the line.
   */
  private static final String PUSH_SERVER =
      """
      import socket, ssl, sys, threading, time
      ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
      ctx.load_cert_chain("cert.pem", "key.pem")
      listener = socket.create_server(("127.0.0.1", 0))
      print(listener.getsockname()[1], flush=True)
      def serve(raw):
          conn = ctx.wrap_socket(raw, server_side=True)
          reader = conn.makefile("rb")
          try:
              for line in reader:
                  if line.startswith(b"push"):
                      marker = line.split()[1].decode()
                      def ticks():
                          n = 0
                          while True:
                              conn.sendall(("tick %s %d\\n" % (marker, n)).encode())
                              n += 1
                              time.sleep(0.05)
                      threading.Thread(target=ticks, daemon=True).start()
                  else:
                      conn.sendall(b"pong " + line)
          except OSError:
              pass
      while True:
          raw, _ = listener.accept()
          threading.Thread(target=serve, args=(raw,), daemon=True).start()
      """;

  /**
   * Two TLS connections opened before the collector exists: R only receives (after asking for
   * the ticks), W writes a ping every 50 ms once the file GO exists.
   */
  private static final String NODE_OLD_CONNECTIONS =
      """
      const fs = require('fs'), tls = require('tls');
      const opts = {host: '127.0.0.1', port: Number(process.env.PORT), rejectUnauthorized: false};
      let ticks = 0;
      const r = tls.connect(opts, () => r.write('push ' + process.env.MARKER + '\\n'));
      r.on('data', d => { if (ticks++ === 0) w.ready = true; });
      const w = tls.connect(opts);
      w.on('data', () => {});
      const started = setInterval(() => {
        if (!w.ready) return;
        clearInterval(started);
        console.log('connected');
        let n = 0;
        setInterval(() => { if (fs.existsSync(process.env.GO)) w.write('ping ' + process.env.MARKER + ' ' + n++ + '\\n'); }, 50);
      }, 20);
      """;

  /** An https server on a free port of 127.0.0.1 (prints it), answering "node-served <path>". */
  private static final String NODE_SERVER =
      """
      const fs = require('fs'), https = require('https');
      const server = https.createServer({key: fs.readFileSync('key.pem'), cert: fs.readFileSync('cert.pem')},
        (req, res) => res.end('node-served ' + req.url));
      server.listen(0, '127.0.0.1', () => console.log(server.address().port));
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
    CollectorConfig config = CollectorConfig.builder().hostId("membio-host").statusPort(-1)
        .discoveryInterval(Duration.ofSeconds(1)).build();
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

  /**
   * Connections node opened before the probes existed start without a socket; the first socket
   * read before an SSL_read (R, which never writes) or the socket write after an SSL_write (W)
   * binds them later. Each stays one connection (its id keeps fd -1), its later events carry the
   * right 4-tuple (the server's own view of the same socket agrees), and offsets stay contiguous.
   */
  @Test
  void connectionsOlderThanTheProbesAreBoundLaterUnderOneId() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("node");
    EbpfEnvironment.requireTool("python3");
    EbpfEnvironment.requireTool("openssl");
    String marker = UUID.randomUUID().toString().substring(0, 8);
    Path go = dir.resolve("go");
    RecordingSink sink = new RecordingSink();
    try (TlsTestServer certificates = TlsTestServer.start(dir, false)) {
      Process server = new ProcessBuilder(List.of("python3", "-c", PUSH_SERVER)).directory(dir.toFile())
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      Process node = null;
      try {
        BufferedReader serverOut = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        int port = Integer.parseInt(serverOut.readLine().strip());
        ProcessBuilder builder = new ProcessBuilder(List.of("node", "-e", NODE_OLD_CONNECTIONS))
            .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("GO", go.toString());
        builder.environment().put("PORT", Integer.toString(port));
        builder.environment().put("MARKER", marker);
        node = builder.start();
        long nodePid = node.pid();
        BufferedReader nodeOut = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("connected", nodeOut.readLine(), "node's connections are up (and receiving ticks)");

        CollectorConfig config = CollectorConfig.builder().hostId("late-host").statusPort(-1)
            .discoveryInterval(Duration.ofSeconds(1)).build();
        try (Collector collector = Collector.start(config, stats -> sink)) {
          awaitProbed(collector, node.pid());
          Files.writeString(go, "go");
          // wait for a few bound events of both connections
          sink.awaitEvents(e -> isNodeData(e, nodePid, Direction.WRITE, "ping " + marker) && e.getFd() > 2
              && sink.events.stream().filter(x -> isNodeData(x, nodePid, Direction.WRITE, "ping " + marker)).count() >= 4, WAIT);
          sink.awaitEvents(e -> isNodeData(e, nodePid, Direction.READ, "tick " + marker) && e.getFd() > 2
              && sink.events.stream().filter(x -> isNodeData(x, nodePid, Direction.READ, "tick " + marker)).count() >= 4, WAIT);
        }
        List<RawEvent> ticks = sink.events.stream().filter(e -> isNodeData(e, nodePid, Direction.READ, "tick " + marker)).toList();
        List<RawEvent> pings = sink.events.stream().filter(e -> isNodeData(e, nodePid, Direction.WRITE, "ping " + marker)).toList();
        assertTrue(ticks.size() >= 4, "ticks read by node: " + ticks.size());
        assertTrue(pings.size() >= 4, "pings written by node: " + pings.size());
        assertOneLateBoundConnection(ticks, Direction.READ, port);
        assertOneLateBoundConnection(pings, Direction.WRITE, port);
        assertNotEquals(ticks.getFirst().getConnectionId(), pings.getFirst().getConnectionId());
        // no tick went out under W's id, no ping under R's: node's other connection did not steal the binding
        assertTrue(sink.events.stream().filter(e -> isNodeData(e, nodePid, Direction.READ, "pong"))
            .allMatch(e -> e.getConnectionId().equals(pings.getFirst().getConnectionId())), "pongs belong to W");

        Tuple r = ticks.getLast().getTuple();
        Tuple w = pings.getLast().getTuple();
        assertNotEquals(r.getSrcPort(), w.getSrcPort(), "two sockets");
        RawEvent serverTick = first(sink, e -> e.getProcess().getPid() == server.pid() && e.hasData()
            && e.getData().getDirection() == Direction.WRITE && payload(e).contains("tick " + marker));
        RawEvent serverPong = first(sink, e -> e.getProcess().getPid() == server.pid() && e.hasData()
            && e.getData().getDirection() == Direction.WRITE && payload(e).contains("pong ping " + marker));
        assertEquals(r.getSrcPort(), serverTick.getTuple().getDstPort(), "the server sends ticks to R's port");
        assertEquals(w.getSrcPort(), serverPong.getTuple().getDstPort(), "the server answers W's port");
      } finally {
        if (node != null) {
          node.destroyForcibly().waitFor();
        }
        server.destroyForcibly().waitFor();
      }
    }
  }

  /**
   * One connection id, later events bound; offsets contiguous. The id has fd -1 when the first
   * event went out without the socket; when the probes arrived between two reads of the thread,
   * the first data read is already bound (the process was marked by a no-data call): then the id
   * has the real fd. Either way there is exactly one.
   */
  private static void assertOneLateBoundConnection(List<RawEvent> events, Direction direction, int serverPort) {
    String id = events.getFirst().getConnectionId();
    String prefix = "late-host/" + events.getFirst().getProcess().getPid() + "/";
    assertTrue(id.startsWith(prefix + "-1/") || id.startsWith(prefix + events.getLast().getFd() + "/"), id);
    assertEquals(List.of(id), events.stream().map(RawEvent::getConnectionId).distinct().toList(), direction + " events");
    RawEvent last = events.getLast();
    assertEquals(serverPort, last.getTuple().getDstPort(), "bound to the socket to the server: " + last);
    assertTrue(last.getFd() > 2, "a real fd: " + last);
    assertEquals(AddressFamily.INET, last.getTuple().getFamily());
    long expected = events.getFirst().getData().getOffset();
    assertEquals(0, expected, "offsets start where the connection was first seen");
    for (RawEvent e : events) {
      assertEquals(expected, e.getData().getOffset(), "contiguous " + direction + " offsets");
      expected += e.getData().getPayload().size();
    }
    assertTrue(events.stream().dropWhile(e -> e.getTuple().getDstPort() != serverPort)
        .allMatch(e -> e.getTuple().getDstPort() == serverPort), "once bound, always bound");
  }

  private static boolean isNodeData(RawEvent e, long pid, Direction direction, String text) {
    return nodeData(pid, direction, text).test(e);
  }

  /**
   * node as the TLS server: its accepted socket is bound by the ServerHello it writes right after
   * the SSL call, so the request it reads and the response it writes carry the fd and the tuple
   * (the reverse of curl's), under one connection id, with is_accept.
   */
  @Test
  void nodeServerEventsCarryTheAcceptedSocket() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("node");
    EbpfEnvironment.requireTool("curl");
    EbpfEnvironment.requireTool("openssl");
    String marker = UUID.randomUUID().toString();
    RecordingSink sink = new RecordingSink();
    CollectorConfig config = CollectorConfig.builder().hostId("nodesrv-host").statusPort(-1)
        .discoveryInterval(Duration.ofSeconds(1)).build();
    try (TlsTestServer certificates = TlsTestServer.start(dir, false); // writes cert.pem and key.pem
        Collector collector = Collector.start(config, stats -> sink)) {
      Process node = new ProcessBuilder(List.of("node", "-e", NODE_SERVER)).directory(dir.toFile())
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      try {
        int port = Integer.parseInt(new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))
            .readLine().strip());
        awaitProbed(collector, node.pid());
        Process curl = new ProcessBuilder("curl", "-sk", "https://127.0.0.1:" + port + "/srv-" + marker)
            .redirectErrorStream(true).start();
        String body = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(curl.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertEquals("node-served /srv-" + marker, body);

        RawEvent request = first(sink, nodeData(node.pid(), Direction.READ, "GET /srv-" + marker));
        RawEvent response = first(sink, nodeData(node.pid(), Direction.WRITE, "node-served /srv-" + marker));
        RawEvent curlRequest = first(sink, e -> e.getProcess().getPid() == curl.pid() && e.hasData()
            && e.getData().getDirection() == Direction.WRITE && payload(e).contains("GET /srv-" + marker));
        assertEquals(port, request.getTuple().getSrcPort(), "node's local port is the listening one: " + request);
        assertEquals(curlRequest.getTuple().getSrcPort(), request.getTuple().getDstPort(), "the remote is curl's port");
        assertTrue(request.getFd() > 2, request.toString());
        assertEquals(0, request.getData().getOffset());
        assertEquals(request.getConnectionId(), response.getConnectionId());
        assertEquals(0, response.getData().getOffset());
        assertTrue(request.getConnectionId().startsWith("nodesrv-host/" + node.pid() + "/" + request.getFd() + "/"),
            "bound before any data, not late: " + request.getConnectionId());
        RawEvent open = first(sink, e -> e.hasOpen() && e.getConnectionId().equals(request.getConnectionId()));
        assertTrue(open.getOpen().getIsAccept(), "node accepted it: " + open);
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
