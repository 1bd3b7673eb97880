package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole messages through the whole product with its default limits: one fleet (broker child JVM,
 * processor, gateway, collector with real eBPF probes on the system libssl), curl against a local
 * CPython HTTPS server. An eCaptureQ client receives a 1 MiB download, a 1 MiB upload and an 8 MiB
 * download whole (SHA-256 of the body part of the event payload equals that of the bytes curl
 * received or sent); a 9 MiB download arrives cut at the 8 MiB body limit, its first 8 MiB intact
 * and the cut stated at the end; and a curl over IPv6 to a server on ::1 shows its addresses in
 * RFC 5952 form ({@code ::1}) in the event and its uuid.
 */
class LargeBodiesEndToEndTest {
  private static final Duration ARRIVAL = Duration.ofSeconds(120);
  private static final int MIB = 1 << 20;
  /**
   * GET /size/N answers N bytes of hex text (SHA-256 blocks), written 64 KiB at a time (one
   * SSL_write per block, under the collector's 1 MiB capture limit per call); POST answers the
   * SHA-256 of its body.
   */
  private static final String SERVER =
      """
      import hashlib, http.server, ssl
      def text(n):
          blocks = (hashlib.sha256(b"%d" % i).hexdigest().encode() for i in range(n // 64 + 1))
          return b"".join(blocks)[:n]
      class Handler(http.server.BaseHTTPRequestHandler):
          protocol_version = "HTTP/1.1"
          def reply(self, body):
              self.send_response(200)
              self.send_header("Content-Type", "text/plain")
              self.send_header("Content-Length", str(len(body)))
              self.end_headers()
              for i in range(0, len(body), 65536):
                  self.wfile.write(body[i:i + 65536])
          def do_GET(self):
              self.reply(text(int(self.path.rsplit("/", 1)[1])))
          def do_POST(self):
              left = int(self.headers["Content-Length"])
              digest = hashlib.sha256()
              while left:
                  chunk = self.rfile.read(min(65536, left))
                  digest.update(chunk)
                  left -= len(chunk)
              self.reply(digest.hexdigest().encode())
          def log_message(self, *args):
              pass
      server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
      ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
      ctx.load_cert_chain("cert.pem", "key.pem")
      server.socket = ctx.wrap_socket(server.socket, server_side=True)
      print(server.server_address[1], flush=True)
      server.serve_forever()
      """;

  @TempDir Path dir;

  @Test
  void wholeBodiesReachAnEcaptureqClientAndALargerOneIsCutWithTheCutStated() throws Exception {
    FleetConfig config =
        FleetConfig.builder(dir.resolve("data"))
            .embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, 0)
            .partitions(2)
            .gatewayListen("127.0.0.1:0")
            .capture(true).hostId("large-host").collectorStatusPort(-1)
            // a pause in a transfer must not flush half a body
            .idleFlush(Duration.ofSeconds(3)).build();
    int limit = ProcessorLimits.DEFAULT_MAX_BODY_BYTES;
    assertEquals(8 * MIB, limit, "the documented default");
    Path serverDir = Files.createDirectories(dir.resolve("server"));
    TlsTestServer.Certificate.create(serverDir);
    try (Fleet fleet = Fleet.start(config)) {
      if (!fleet.capturing()) {
        EbpfEnvironment.unavailable(fleet.captureError());
      }
      assertTrue(fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60)), "gateway never got its partitions");
      Process server = new ProcessBuilder("python3", "-c", SERVER).directory(serverDir.toFile())
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      try (EcaptureqTestClient client = new EcaptureqTestClient(fleet.gatewayPort(), "/?pname=curl")) {
        String portLine = new BufferedReader(new InputStreamReader(server.getInputStream(),
            StandardCharsets.UTF_8)).readLine();
        assertNotNull(portLine, "python https server did not start");
        String base = "https://127.0.0.1:" + portLine.strip();
        assertNotNull(client.await(e -> e.getLogType() == LogType.HEARTBEAT, Duration.ofSeconds(10)),
            "no heartbeat at connect");

        Curl oneMiB = curl(dir.resolve("1m.out"), base + "/size/" + MIB);
        byte[] upload = new byte[MIB];
        Random random = new Random(14);
        for (int i = 0; i < upload.length; i++) {
          upload[i] = (byte) ('A' + random.nextInt(26));
        }
        Path uploadFile = dir.resolve("upload.txt");
        Files.write(uploadFile, upload);
        Curl up = curl(dir.resolve("up.out"), base + "/upload", "-H", "Expect:",
            "-H", "Content-Type: text/plain", "--data-binary", "@" + uploadFile);
        assertEquals(sha256(upload), Files.readString(dir.resolve("up.out")), "the server got it all");
        Curl eightMiB = curl(dir.resolve("8m.out"), base + "/size/" + 8 * MIB);
        Curl nineMiB = curl(dir.resolve("9m.out"), base + "/size/" + 9 * MIB);

        // 1 MiB download and upload, 8 MiB download: whole, by hash
        assertWholeBody(awaitEvent(client, oneMiB.pid(), 3, "1 MiB response"), oneMiB.output(), MIB);
        assertWholeBody(awaitEvent(client, up.pid(), 1, "1 MiB upload request"), upload, MIB);
        assertWholeBody(awaitEvent(client, eightMiB.pid(), 3, "8 MiB response"), eightMiB.output(), 8 * MIB);

        // 9 MiB: the first 8 MiB intact, then the processor's note of the cut
        Event cut = awaitEvent(client, nineMiB.pid(), 3, "9 MiB response");
        byte[] nine = nineMiB.output();
        assertEquals(9 * MIB, nine.length);
        ByteString body = bodyPart(cut.getPayload());
        String note = "\n[ecapture-kafka: body cut at the processor's body limit, " + limit + " of "
            + 9 * MIB + " bytes kept]";
        assertTrue(body.endsWith(ByteString.copyFromUtf8(note)),
            "ends: " + body.substring(Math.max(0, body.size() - 200)).toStringUtf8());
        assertEquals(sha256(Arrays.copyOf(nine, limit)),
            sha256(body.substring(0, body.size() - note.length()).toByteArray()), "first 8 MiB");
        assertEquals(cut.getPayload().size(), cut.getLength());
        assertTrue(client.errors().isEmpty(), client.errors().toString());
        assertEquals(0, fleet.gateway().stats().truncatedPayloads(), "the gateway cut nothing");
      } finally {
        server.destroy();
        server.waitFor();
      }

      // IPv6: curl -6 to openssl s_server on ::1; addresses as eCapture prints them
      try (EcaptureqTestClient client = new EcaptureqTestClient(fleet.gatewayPort(), "/?pname=curl");
          TlsTestServer v6 = TlsTestServer.start(Files.createDirectories(dir.resolve("v6")), true)) {
        String marker = UUID.randomUUID().toString();
        TlsTestServer.CurlResult curl = v6.curl(marker);
        LogEntry entry = client.await(e -> e.getLogType() == LogType.EVENT
            && e.getEventPayload().getPid() == curl.pid() && e.getEventPayload().getType() == 1
            && e.getEventPayload().getPayload().toStringUtf8().contains(marker), ARRIVAL);
        assertNotNull(entry, "no IPv6 request event; received " + client.received().size());
        Event e = entry.getEventPayload();
        assertEquals("::1", e.getSrcIp());
        assertEquals("::1", e.getDstIp());
        assertEquals(v6.port(), e.getDstPort());
        assertTrue(e.getUuid().endsWith("_[::1]:" + e.getSrcPort() + "-[::1]:" + v6.port()), e.getUuid());
      }
    }
  }

  /** A finished curl: its pid (to find its events) and the bytes it wrote to its output file. */
  private record Curl(long pid, byte[] output) {}

  private static Curl curl(Path out, String url, String... extra) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("curl", "-sSk", "--http1.1", "-o",
        out.toString()));
    command.addAll(List.of(extra));
    command.add(url);
    Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
    String messages = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!curl.waitFor(60, TimeUnit.SECONDS) || curl.exitValue() != 0) {
      throw new IOException("curl " + url + " failed: " + messages);
    }
    return new Curl(curl.pid(), Files.readAllBytes(out));
  }

  /** The body part of the payload is {@code expected}, compared by SHA-256, and nothing was cut. */
  private static void assertWholeBody(Event event, byte[] expected, int length) throws Exception {
    assertEquals(length, expected.length);
    ByteString body = bodyPart(event.getPayload());
    assertEquals(expected.length, body.size(), () -> "body bytes in the payload, which ends: "
        + body.substring(Math.max(0, body.size() - 300)).toStringUtf8());
    assertEquals(sha256(expected), sha256(body.toByteArray()));
    assertEquals(event.getPayload().size(), event.getLength());
  }

  /** What follows the first blank line (CRLF CRLF) of an HTTP/1 payload. */
  private static ByteString bodyPart(ByteString payload) {
    byte[] bytes = payload.toByteArray();
    for (int i = 0; i + 3 < bytes.length; i++) {
      if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') {
        return payload.substring(i + 4);
      }
    }
    throw new AssertionError("no header end in " + payload.substring(0, Math.min(200, payload.size())).toStringUtf8());
  }

  private static Event awaitEvent(EcaptureqTestClient client, long pid, int type, String what)
      throws InterruptedException {
    Predicate<LogEntry> match = e -> e.getLogType() == LogType.EVENT
        && e.getEventPayload().getPid() == pid && e.getEventPayload().getType() == type;
    LogEntry entry = client.await(match, ARRIVAL);
    if (entry == null) {
      StringBuilder seen = new StringBuilder();
      for (LogEntry e : client.received()) {
        if (e.getLogType() == LogType.EVENT) {
          Event ev = e.getEventPayload();
          seen.append("\n  pid=").append(ev.getPid()).append(" type=").append(ev.getType())
              .append(" length=").append(ev.getLength());
        }
      }
      fail("no " + what + " event (pid " + pid + ") within " + ARRIVAL + "; received:" + seen);
    }
    return entry.getEventPayload();
  }

  private static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }
}
