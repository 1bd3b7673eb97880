package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.PythonHttpsServer;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole HTTP exchanges against a keep-alive HTTPS server: several requests on one connection, a
 * 1 MiB upload and a 1 MiB download arriving whole and in order, and a client process that exits
 * right after its request still captured with its pid and comm.
 */
class HttpCaptureTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir static Path dir;
  private static RecordingSink sink;
  private static Collector collector;
  private static TlsTestServer certificates;
  private static PythonHttpsServer server;

  @BeforeAll
  static void start() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("python3");
    EbpfEnvironment.requireTool("curl");
    sink = new RecordingSink();
    collector = Collector.start(
        CollectorConfig.builder().hostId("http-host").statusPort(-1).discoveryInterval(Duration.ZERO).build(),
        stats -> sink);
    certificates = TlsTestServer.start(dir, false); // writes cert.pem and key.pem
    server = new PythonHttpsServer(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (certificates != null) {
      certificates.close();
    }
    if (collector != null) {
      collector.close();
    }
  }

  @Test
  void keepAliveRequestsShareOneConnectionInOrder() throws Exception {
    String base = "https://127.0.0.1:" + server.port();
    long pid = curl(List.of(base + "/first", base + "/second", base + "/third"));
    List<RawEvent> writes = stream(pid, Direction.WRITE);
    List<RawEvent> reads = stream(pid, Direction.READ);
    assertEquals(1, writes.stream().map(RawEvent::getConnectionId).distinct().count(), "one connection");
    String requests = text(writes);
    int first = requests.indexOf("GET /first ");
    int second = requests.indexOf("GET /second ");
    int third = requests.indexOf("GET /third ");
    assertTrue(first == 0 && first < second && second < third, requests);
    String responses = text(reads);
    assertTrue(responses.indexOf("path=/first") < responses.indexOf("path=/second")
        && responses.indexOf("path=/second") < responses.indexOf("path=/third"), responses);
  }

  @Test
  void oneMebibyteUploadArrivesWholeAndInOrder() throws Exception {
    byte[] upload = new byte[PythonHttpsServer.BIG];
    new Random(7).nextBytes(upload);
    Path file = Files.write(dir.resolve("upload.bin"), upload);
    long pid = curl(List.of("--data-binary", "@" + file, "https://127.0.0.1:" + server.port() + "/upload"));
    byte[] sent = bytes(stream(pid, Direction.WRITE));
    byte[] body = java.util.Arrays.copyOfRange(sent, sent.length - upload.length, sent.length);
    assertArrayEquals(upload, body, "the request body as captured");
    assertTrue(new String(sent, 0, 200, StandardCharsets.ISO_8859_1).startsWith("POST /upload HTTP/1.1\r\n"));
  }

  @Test
  void oneMebibyteDownloadArrivesWholeAndInOrder() throws Exception {
    long pid = curl(List.of("https://127.0.0.1:" + server.port() + "/big"));
    byte[] received = bytes(stream(pid, Direction.READ));
    byte[] expected = new byte[PythonHttpsServer.BIG];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = (byte) i;
    }
    assertArrayEquals(expected, java.util.Arrays.copyOfRange(received, received.length - expected.length, received.length));
  }

  @Test
  void aClientThatExitsRightAfterItsRequestIsCapturedWithItsPidAndComm() throws Exception {
    String script = "import ssl, urllib.request\n"
        + "ctx = ssl._create_unverified_context()\n"
        + "urllib.request.urlopen('https://127.0.0.1:" + server.port() + "/short-lived', context=ctx).read()\n";
    Process process = new ProcessBuilder("python3", "-c", script).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue());
    long pid = process.pid();
    sink.awaitEvents(e -> e.getProcess().getPid() == pid && e.hasClose(), WAIT);
    List<RawEvent> events = sink.events.stream().filter(e -> e.getProcess().getPid() == pid).toList();
    assertTrue(events.stream().allMatch(e -> e.getProcess().getComm().equals("python3")), events.toString());
    assertTrue(text(stream(pid, Direction.WRITE)).startsWith("GET /short-lived HTTP/1.1\r\n"));
    assertTrue(text(stream(pid, Direction.READ)).contains("path=/short-lived"));
    assertTrue(events.getLast().hasClose(), "the connection's close is captured even though the process exited");
  }

  private static long curl(List<String> arguments) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("curl", "-sk", "-o", "/dev/null"));
    command.addAll(arguments);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue());
    long pid = process.pid();
    assertTrue(!sink.awaitEvents(e -> e.getProcess().getPid() == pid && e.hasClose(), WAIT).isEmpty(), "curl's close captured");
    return pid;
  }

  /** One direction of a process's data events, by stream offset, checked contiguous from 0. */
  private static List<RawEvent> stream(long pid, Direction direction) {
    List<RawEvent> events = sink.events.stream()
        .filter(e -> e.getProcess().getPid() == pid && e.hasData() && e.getData().getDirection() == direction)
        .sorted(Comparator.comparingLong(e -> e.getData().getOffset()))
        .toList();
    long expected = 0;
    for (RawEvent e : events) {
      assertEquals(expected, e.getData().getOffset(), "no gap or overlap in the " + direction + " stream");
      assertTrue(!e.getData().getTruncated());
      expected += e.getData().getPayload().size();
    }
    return events;
  }

  private static byte[] bytes(List<RawEvent> events) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    events.forEach(e -> out.writeBytes(e.getData().getPayload().toByteArray()));
    return out.toByteArray();
  }

  private static String text(List<RawEvent> events) {
    return new String(bytes(events), StandardCharsets.ISO_8859_1);
  }
}
