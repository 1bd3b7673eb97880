package io.ecapture.kafka.collector.probe.gotls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.GoPrograms;
import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.probe.ModuleStatus;
import io.ecapture.kafka.collector.probe.ModulesConfig;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.collector.sink.SpoolConfig;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real capture of Go crypto/tls: a Go HTTPS server and client built here from source (Debian's Go
 * toolchain), unstripped and stripped, probed by a collector given both binaries, producing into a
 * real (embedded) broker. The request and the response are read back from {@code ecapture.raw} on
 * both sides with their tuple and direction, and the key-log lines from {@code ecapture.keylog}
 * against Go's own {@code KeyLogWriter} output.
 */
class GoTlsCaptureTest {
  private static final String HOST = "gotls-host";

  @TempDir static Path dir;
  private static EmbeddedKafka kafka;
  private static Collector collector;
  private static GoPrograms.Builds builds;
  private static final List<Process> servers = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    EbpfEnvironment.requireEbpf();
    builds = GoPrograms.build();
    EmbeddedKafka.trapKafkaExit();
    kafka = EmbeddedKafka.start(dir.resolve("kafka"));
    TopicSetup.ensureTopics(kafka.bootstrapServers(), 3);
    collector = Collector.start(CollectorConfig.builder().bootstrapServers(kafka.bootstrapServers())
        .hostId(HOST)
        .statusPort(0)
        .dataDir(dir.resolve("data"))
        .discoveryInterval(Duration.ZERO)
        .gotls(new GoTlsConfig(true, List.of(builds.unstripped(), builds.stripped(), builds.strippedPie())))
        .spool(SpoolConfig.builder().maxBytes(64L << 20).directory(dir.resolve("spool")).build())
        .build());
  }

  @AfterAll
  static void stop() throws Exception {
    for (Process server : servers) {
      server.destroyForcibly();
    }
    if (collector != null) {
      collector.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"unstripped", "stripped", "pie"})
  void requestAndResponseOfGoClientAndServerWithTupleAndDirection(String build) throws Exception {
    boolean stripped = !build.equals("unstripped");
    Path binary = switch (build) {
      case "stripped" -> builds.stripped();
      case "pie" -> builds.strippedPie();
      default -> builds.unstripped();
    };
    Process server = startServer(binary, "port-" + build);
    int port = awaitPort(dir.resolve("port-" + build));
    String marker = UUID.randomUUID().toString();
    Process client = new ProcessBuilder(binary.toString(), "client", "https://127.0.0.1:" + port + "/", marker)
        .redirectErrorStream(true).redirectOutput(dir.resolve("client-" + build + ".out").toFile()).start();
    assertTrue(client.waitFor(60, TimeUnit.SECONDS), "Go client did not finish");
    String printed = Files.readString(dir.resolve("client-" + build + ".out"));
    assertEquals(0, client.exitValue(), printed);
    assertTrue(printed.contains("go-server-reply to " + marker), printed);

    String reply = "go-server-reply to " + marker;
    List<RawEvent> events = readRaw(all -> has(all, client.pid(), Direction.WRITE, marker)
        && has(all, client.pid(), Direction.READ, reply)
        && has(all, server.pid(), Direction.READ, marker)
        && has(all, server.pid(), Direction.WRITE, reply));
    RawEvent request = find(events, client.pid(), Direction.WRITE, marker).orElseThrow();
    RawEvent response = find(events, client.pid(), Direction.READ, reply).orElseThrow();
    RawEvent served = find(events, server.pid(), Direction.READ, marker).orElseThrow();
    RawEvent answered = find(events, server.pid(), Direction.WRITE, reply).orElseThrow();

    String library = request.getData().getTlsLibrary();
    assertTrue(library.startsWith("go go1.") && library.endsWith(binary.toString()), library);
    assertTrue(request.getData().getPayload().toString(StandardCharsets.UTF_8).startsWith("GET / HTTP/1.1\r\n"));
    assertTrue(response.getData().getPayload().toString(StandardCharsets.UTF_8).startsWith("HTTP/1.1 200 OK\r\n"));
    // the client's tuple: 127.0.0.1:ephemeral -> 127.0.0.1:port; the server's is its mirror image
    assertEquals(port, request.getTuple().getDstPort());
    assertEquals(port, served.getTuple().getSrcPort());
    assertEquals(request.getTuple().getSrcPort(), served.getTuple().getDstPort());
    assertArrayEquals(new byte[] {127, 0, 0, 1}, request.getTuple().getDstAddr().toByteArray());
    assertEquals(request.getConnectionId(), response.getConnectionId());
    assertEquals(served.getConnectionId(), answered.getConnectionId());
    assertTrue(request.getConnectionId().startsWith(HOST + "/" + client.pid() + "/" + request.getFd() + "/"),
        request.getConnectionId());
    assertTrue(request.getFd() > 2, "the client's socket fd");
    assertEquals(request.getProcess().getPid(), client.pid());
    // OPEN: the server side is the accepting one (tls.Conn.isClient false)
    assertTrue(events.stream().anyMatch(e -> e.hasOpen() && e.getConnectionId().equals(served.getConnectionId())
        && e.getOpen().getIsAccept()));
    assertTrue(events.stream().anyMatch(e -> e.hasOpen() && e.getConnectionId().equals(request.getConnectionId())
        && !e.getOpen().getIsAccept() && e.getOpen().getTlsVersion() == 0x0304), "client OPEN, TLS 1.3 (tls.Conn.vers)");
    // stream offsets count the plaintext of each direction from 0
    assertEquals(0, request.getData().getOffset());
    assertEquals(0, response.getData().getOffset());

    // the status says what was found and attached
    GoTlsModule.BinaryStatus status = collector.goTls().binaries().stream()
        .filter(b -> b.path().equals(binary.toString())).findFirst().orElseThrow();
    assertEquals(stripped, status.stripped());
    assertEquals(stripped ? "go-version table (go1." : "dwarf", stripped ? status.offsets().substring(0, 22) : status.offsets());
    assertTrue(status.attached().stream().anyMatch(a -> a.matches("crypto/tls\\.\\(\\*Conn\\)\\.Read \\d+ RET")),
        status.attached().toString());
    assertEquals("", status.error());
    ModuleStatus module = collector.modules().stream().filter(m -> m.name().equals("gotls")).findFirst().orElseThrow();
    assertTrue(module.enabled() && module.attached() && module.events() > 0, module.toString());
    assertTrue(module.attachments().contains(binary + ":crypto/tls.(*Conn).writeRecordLocked"), module.toString());
    String json = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + collector.statusPort() + "/status")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(json.contains("\"gotls\"") && json.contains(binary.toString()), json);
    assertTrue(json.contains("\"name\":\"gotls\""), json);
    server.destroy();
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void keyLogLinesMatchGoKeyLogWriter(boolean tls12) throws Exception {
    Process server = startServer(builds.stripped(), "port-keylog-" + tls12);
    int port = awaitPort(dir.resolve("port-keylog-" + tls12));
    Path keyLog = dir.resolve("go-keylog-" + tls12 + ".txt");
    ProcessBuilder builder = new ProcessBuilder(builds.unstripped().toString(), "client",
        "https://127.0.0.1:" + port + "/", "keylog").redirectErrorStream(true)
        .redirectOutput(dir.resolve("client-keylog.out").toFile());
    builder.environment().put("SSLKEYLOGFILE", keyLog.toString());
    if (tls12) {
      builder.environment().put("GOTLS_MAX_TLS12", "1");
    }
    Process client = builder.start();
    assertTrue(client.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, client.exitValue(), Files.readString(dir.resolve("client-keylog.out")));
    Set<String> written = new HashSet<>(Files.readAllLines(keyLog));
    written.removeIf(String::isBlank);
    if (tls12) {
      assertEquals(1, written.size(), "TLS 1.2: one CLIENT_RANDOM line: " + written);
      assertTrue(written.iterator().next().startsWith("CLIENT_RANDOM "), written.toString());
    } else {
      assertEquals(4, written.size(), "TLS 1.3: two handshake and two application traffic secrets: " + written);
    }
    Set<String> published = readKeyLog(written);
    assertTrue(published.containsAll(written), "missing from ecapture.keylog: " + diff(written, published));
    server.destroy();
  }

  @Test
  void notSelectedByModulesProbesNoGoBinary() throws Exception {
    try (Collector other = Collector.start(CollectorConfig.builder().hostId(HOST).statusPort(-1)
        .dataDir(dir.resolve("data-other")).discoveryInterval(Duration.ZERO)
        .gotls(new GoTlsConfig(true, List.of(builds.stripped())))
        .modules(ModulesConfig.only(List.of("tls"))).build(), stats -> new RecordingSink())) {
      ModuleStatus module = other.modules().stream().filter(m -> m.name().equals("gotls")).findFirst().orElseThrow();
      assertFalse(module.enabled(), module.toString());
      assertEquals("not selected by --modules", module.reason());
      assertTrue(other.goTls().binaries().isEmpty());
    }
  }

  @Test
  void keepAliveRequestsAreContiguousPerDirection() throws Exception {
    Process server = startServer(builds.stripped(), "port-many");
    int port = awaitPort(dir.resolve("port-many"));
    String marker = UUID.randomUUID().toString();
    int requests = 50;
    Process client = new ProcessBuilder(builds.stripped().toString(), "client", "https://127.0.0.1:" + port + "/",
        marker, String.valueOf(requests)).redirectErrorStream(true)
        .redirectOutput(dir.resolve("client-many.out").toFile()).start();
    assertTrue(client.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, client.exitValue(), Files.readString(dir.resolve("client-many.out")));
    String reply = "go-server-reply to " + marker;
    Predicate<RawEvent> clientData = e -> e.hasData() && e.getProcess().getPid() == client.pid();
    List<RawEvent> events = readRaw(all -> all.stream().filter(clientData)
        .filter(e -> e.getData().getPayload().toString(StandardCharsets.UTF_8).contains(reply)).count() >= requests);
    for (Direction direction : List.of(Direction.WRITE, Direction.READ)) {
      List<RawEvent> stream = events.stream().filter(clientData)
          .filter(e -> e.getData().getDirection() == direction).toList();
      assertEquals(1, stream.stream().map(RawEvent::getConnectionId).distinct().count(), "one keep-alive connection");
      long next = 0;
      StringBuilder text = new StringBuilder();
      for (RawEvent e : stream) {
        assertEquals(next, e.getData().getOffset(), direction + " offsets contiguous");
        next += e.getData().getPayload().size();
        text.append(e.getData().getPayload().toString(StandardCharsets.UTF_8));
      }
      String needle = direction == Direction.WRITE ? "X-Marker: " + marker : reply;
      assertEquals(requests, text.toString().split(java.util.regex.Pattern.quote(needle), -1).length - 1, direction.name());
    }
    server.destroy();
  }

  /**
   * The process filter applies in the kernel to Go binaries as to OpenSSL: with a pid filter on
   * the Go server, its side is captured and the Go client's is not. A second client's request,
   * read by the server after everything the first client did, bounds the wait.
   */
  @Test
  void pidFilterKeepsTheGoServerAndDropsTheGoClient() throws Exception {
    Process server = startServer(builds.stripped(), "port-filter");
    int port = awaitPort(dir.resolve("port-filter"));
    collector.updateFilter(new CaptureFilter(Set.of((int) server.pid()), Set.of(), Set.of()));
    try {
      String first = UUID.randomUUID().toString();
      String second = UUID.randomUUID().toString();
      Process client = goClient(port, first, "client-filter1.out");
      Process later = goClient(port, second, "client-filter2.out");
      List<RawEvent> events = readRaw(all -> has(all, server.pid(), Direction.READ, second)
          && has(all, server.pid(), Direction.READ, first));
      assertTrue(has(events, server.pid(), Direction.WRITE, "go-server-reply to " + first), "the server's reply");
      for (Process dropped : List.of(client, later)) {
        assertTrue(events.stream().noneMatch(e -> e.getProcess().getPid() == dropped.pid()),
            "the Go client outside the pid filter is not captured");
      }
    } finally {
      collector.updateFilter(CaptureFilter.ALL);
      server.destroy();
    }
  }

  private static Process goClient(int port, String marker, String output) throws Exception {
    Process client = new ProcessBuilder(builds.unstripped().toString(), "client", "https://127.0.0.1:" + port + "/",
        marker).redirectErrorStream(true).redirectOutput(dir.resolve(output).toFile()).start();
    assertTrue(client.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, client.exitValue(), Files.readString(dir.resolve(output)));
    return client;
  }

  @Test
  void runningGoProgramIsDiscovered() throws Exception {
    Path copy = dir.resolve("discovered-go-server");
    Files.copy(builds.stripped(), copy, StandardCopyOption.REPLACE_EXISTING);
    copy.toFile().setExecutable(true);
    Process server = startServer(copy, "port-discovered");
    int port = awaitPort(dir.resolve("port-discovered"));
    assertTrue(collector.rescanGoBinaries() >= 1, collector.goTls().toString());
    GoTlsModule.BinaryStatus status = collector.goTls().binaries().stream()
        .filter(b -> b.path().equals(copy.toString())).findFirst()
        .orElseThrow(() -> new AssertionError(collector.goTls().toString()));
    assertEquals("discovered", status.origin());
    assertTrue(status.pids().contains((int) server.pid()), status.toString());
    String marker = UUID.randomUUID().toString();
    Process client = new ProcessBuilder(builds.unstripped().toString(), "client", "https://127.0.0.1:" + port + "/",
        marker).redirectErrorStream(true).redirectOutput(dir.resolve("client-disc.out").toFile()).start();
    assertTrue(client.waitFor(60, TimeUnit.SECONDS));
    List<RawEvent> events = readRaw(all -> has(all, server.pid(), Direction.READ, marker));
    RawEvent served = find(events, server.pid(), Direction.READ, marker).orElseThrow();
    assertTrue(served.getData().getTlsLibrary().endsWith(copy.toString()), served.getData().getTlsLibrary());
    server.destroy();
  }

  private static Process startServer(Path binary, String portFile) throws Exception {
    Process server = new ProcessBuilder(binary.toString(), "server", dir.resolve(portFile).toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve(portFile + ".log").toFile()).start();
    servers.add(server);
    return server;
  }

  private static int awaitPort(Path file) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (Files.exists(file)) {
        return Integer.parseInt(Files.readString(file).trim());
      }
      Thread.sleep(50);
    }
    throw new AssertionError("Go server wrote no port to " + file);
  }

  private static boolean has(List<RawEvent> events, long pid, Direction direction, String text) {
    return find(events, pid, direction, text).isPresent();
  }

  private static Optional<RawEvent> find(List<RawEvent> events, long pid, Direction direction, String text) {
    return events.stream().filter(e -> e.hasData() && e.getProcess().getPid() == pid
        && e.getData().getDirection() == direction
        && e.getData().getPayload().toString(StandardCharsets.UTF_8).contains(text)).findFirst();
  }

  /** ecapture.raw from the start until {@code done} holds for what was read (at most 90 s). */
  private static List<RawEvent> readRaw(Predicate<List<RawEvent>> done) {
    List<RawEvent> seen = new ArrayList<>();
    try (KafkaConsumer<String, RawEvent> consumer = new KafkaConsumer<>(consumerProps(),
        Topics.RAW.keySerde().deserializer(), Topics.RAW.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.RAW.name()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, RawEvent> record : consumer.poll(Duration.ofMillis(200))) {
          if (record.value().hasProgress()) {
            continue; // the collector's progress marks: not capture events
          }
          assertEquals(record.value().getConnectionId(), record.key());
          seen.add(record.value());
        }
        if (done.test(seen)) {
          return seen;
        }
      }
    }
    throw new AssertionError("expected events not in ecapture.raw; read " + seen.size() + " records; status "
        + collector.goTls() + "; stats " + collector.stats().summary());
  }

  private static Set<String> readKeyLog(Set<String> expected) {
    Set<String> seen = new HashSet<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps(),
        Topics.KEYLOG.keySerde().deserializer(), Topics.KEYLOG.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.KEYLOG.name()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (System.nanoTime() < deadline && !seen.containsAll(expected)) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          assertEquals(HOST, record.key());
          seen.add(record.value());
        }
      }
    }
    return seen;
  }

  private static Set<String> diff(Set<String> want, Set<String> got) {
    Set<String> missing = new HashSet<>(want);
    missing.removeAll(got);
    return missing;
  }

  private static Map<String, Object> consumerProps() {
    return Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "gotls-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
  }
}
