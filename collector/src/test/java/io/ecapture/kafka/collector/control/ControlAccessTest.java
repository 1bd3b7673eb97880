package io.ecapture.kafka.collector.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ecapture.kafka.common.Json;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may change what the collector captures: {@code POST /config} and eCapture's module
 * endpoints need the token, JSON and no foreign Origin; reading stays open. Requests are written
 * on a raw socket so every header (Host, Origin, Content-Type) is exactly what a browser or a
 * script would send.
 */
class ControlAccessTest {
  private static final CollectorStats.Snapshot SNAPSHOT = new CollectorStats().snapshot();

  @TempDir Path dir;

  /** A filter that takes any change (a pid of 99 fails to attach, as a process without OpenSSL). */
  private static final class Recording implements FilterControl {
    final AtomicReference<CaptureFilter> current = new AtomicReference<>(
        new CaptureFilter(Set.of(), Set.of(), Set.of("curl"), Set.of()));
    volatile CountDownLatch hold;
    volatile CountDownLatch entered;

    @Override
    public CaptureFilter current() {
      return current.get();
    }

    @Override
    public void update(CaptureFilter next) {
      if (entered != null) {
        entered.countDown();
      }
      if (hold != null) {
        try {
          hold.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (next.pids().contains(99)) {
        throw new IllegalStateException("no OpenSSL function could be probed for pids [99]");
      }
      current.set(next);
    }
  }

  private record Reply(int status, Map<String, String> headers, String body) {
    JsonNode json() {
      return Json.tree(body);
    }
  }

  @Test
  void configChangesNeedTheTokenJsonAndNoForeignOrigin() throws Exception {
    Recording filter = new Recording();
    CollectorStats stats = new CollectorStats();
    ControlToken token = ControlToken.generate(dir.resolve("data/collector.token"));
    CollectorStatus status = new CollectorStatus("h", stats::snapshot, filter, List::of, "socket tracepoints", Map::of)
        .onControlRefused(stats::onControlRefused);
    try (StatusServer server = StatusServer.start(0, status, token)) {
      int port = server.port();
      String body = "{\"pids\":[7]}";
      CaptureFilter before = filter.current();

      Reply noToken = send(port, "POST", "/config", Map.of("Content-Type", "application/json"), body);
      assertEquals(401, noToken.status(), noToken.body());
      assertEquals("Bearer realm=\"ecapture-kafka collector\"", noToken.headers().get("www-authenticate"));
      assertTrue(noToken.body().contains(dir.resolve("data/collector.token").toString()), "says where the token is");

      Reply wrongToken = send(port, "POST", "/config",
          Map.of("Content-Type", "application/json", "Authorization", "Bearer " + token.value() + "x"), body);
      assertEquals(401, wrongToken.status());

      Reply textPlain = send(port, "POST", "/config",
          Map.of("Content-Type", "text/plain", "Authorization", "Bearer " + token.value()), body);
      assertEquals(415, textPlain.status(), textPlain.body());
      Reply noType = send(port, "POST", "/config", Map.of("Authorization", "Bearer " + token.value()), body);
      assertEquals(415, noType.status(), noType.body());

      Reply foreign = send(port, "POST", "/config", Map.of("Content-Type", "application/json",
          "Authorization", "Bearer " + token.value(), "Origin", "https://evil.example"), body);
      assertEquals(403, foreign.status(), foreign.body());
      Reply sandboxed = send(port, "POST", "/config", Map.of("Content-Type", "application/json",
          "Authorization", "Bearer " + token.value(), "Origin", "null"), body);
      assertEquals(403, sandboxed.status(), "an opaque origin is foreign too");
      Reply otherPort = send(port, "POST", "/config", Map.of("Content-Type", "application/json",
          "Authorization", "Bearer " + token.value(), "Origin", "http://127.0.0.1:" + (port + 1)), body);
      assertEquals(403, otherPort.status(), "another local page is foreign too");

      // what a web page can send without a preflight: text/plain, its own Origin, no token
      Reply crossSite = send(port, "POST", "/config",
          Map.of("Content-Type", "text/plain;charset=UTF-8", "Origin", "https://evil.example"), body);
      assertEquals(403, crossSite.status(), crossSite.body());
      Reply rebinding = send(port, "POST", "/config", Map.of("Host", "evil.example:" + port,
          "Content-Type", "application/json", "Authorization", "Bearer " + token.value()), body);
      assertEquals(403, rebinding.status(), "a DNS-rebinding page names its own host");
      assertEquals(before, filter.current(), "no refused request changed the filter");

      Reply ownOrigin = send(port, "POST", "/config", Map.of("Content-Type", "application/json; charset=utf-8",
          "Authorization", "bearer " + token.value(), "Origin", "http://localhost:" + port), body);
      assertEquals(200, ownOrigin.status(), ownOrigin.body());
      assertEquals(Set.of(7), filter.current().pids());
      Reply script = send(port, "PUT", "/config", Map.of("Content-Type", "application/json",
          "Authorization", "Bearer " + token.value()), "{\"comms\":[\"python3\"]}");
      assertEquals(200, script.status(), "a script sends no Origin");
      assertEquals(Set.of("python3"), filter.current().comms());

      // reading needs nothing, and never shows the token
      Reply read = send(port, "GET", "/config", Map.of(), null);
      assertEquals(200, read.status());
      Reply statusDoc = send(port, "GET", "/status", Map.of(), null);
      assertEquals(200, statusDoc.status());
      assertFalse(statusDoc.body().contains(token.value()), statusDoc.body());
      JsonNode control = statusDoc.json().get("control");
      assertEquals("***", control.get("token").asText());
      assertEquals(dir.resolve("data/collector.token").toString(), control.get("tokenFile").asText());
      assertEquals(9, statusDoc.json().get("controlRefused").asLong(), "every refusal counted");
      assertEquals(9, stats.snapshot().controlRefused());
      Reply metrics = send(port, "GET", "/metrics", Map.of(), null);
      assertTrue(metrics.body().contains("ecapture_collector_control_requests_refused_total{host=\"h\"} 9.0"), metrics.body());
      assertFalse(token.toString().contains(token.value()), token.toString());
    }
  }

  @Test
  void withoutATokenEveryChangeIsRefused() throws Exception {
    Recording filter = new Recording();
    try (StatusServer server = StatusServer.start(0,
        new CollectorStatus("h", () -> SNAPSHOT, filter, List::of, "socket tracepoints", Map::of))) {
      Reply reply = send(server.port(), "POST", "/config",
          Map.of("Content-Type", "application/json", "Authorization", "Bearer anything"), "{\"pids\":[7]}");
      assertEquals(403, reply.status(), reply.body());
      assertEquals("none (changes refused)", send(server.port(), "GET", "/status", Map.of(), null)
          .json().get("control").get("token").asText());
    }
  }

  @Test
  void ecaptureModuleRequestsGetEcaptureAnswers() throws Exception {
    Recording filter = new Recording();
    ControlToken token = ControlToken.random();
    try (StatusServer server = StatusServer.start(0,
        new CollectorStatus("h", () -> SNAPSHOT, filter, List::of, "socket tracepoints", Map::of), token)) {
      int port = server.port();
      Map<String, String> auth = Map.of("Content-Type", "application/json", "Authorization", "Bearer " + token.value());

      // eCapture's own example body (docs/remote-config-update-api.md), pid and uid set
      Reply ok = send(port, "POST", "/tls", auth, "{\"pid\":4242,\"uid\":1000,\"debug\":false,\"is_hex\":false,"
          + "\"btf_mode\":0,\"per_cpu_map_size\":1024,\"truncate_size\":0,\"cgroup_path\":\"\"}");
      assertEquals(200, ok.status(), ok.body());
      JsonNode envelope = ok.json();
      assertEquals(List.of("code", "module_type", "msg", "data"), fieldNames(envelope));
      assertEquals(0, envelope.get("code").asInt());
      assertEquals("openssl", envelope.get("module_type").asText());
      assertEquals("RespOK", envelope.get("msg").asText());
      assertEquals("[4242]", envelope.get("data").get("filter").get("pids").toString());
      assertEquals("[1000]", envelope.get("data").get("filter").get("uids").toString());
      assertEquals("[\"btf_mode\",\"debug\",\"is_hex\",\"per_cpu_map_size\"]", envelope.get("data").get("ignored").toString());
      assertEquals(new CaptureFilter(Set.of(4242), Set.of(1000), Set.of("curl"), Set.of()), filter.current(),
          "pid and uid replaced, the comm filter eCapture cannot express kept");

      Reply openssl = send(port, "POST", "/openssl", auth, "{\"pid\":0,\"uid\":0,\"cgroup_path\":\"/kubepods.slice\"}");
      assertEquals(0, openssl.json().get("code").asInt(), openssl.body());
      assertEquals(new CaptureFilter(Set.of(), Set.of(), Set.of("curl"), Set.of("/kubepods.slice")), filter.current(),
          "0 means every process and user, as in eCapture; cgroup_path becomes the cgroup filter");
      Reply boring = send(port, "POST", "/boringssl", auth, "{\"pid\":12}");
      assertEquals("openssl", boring.json().get("module_type").asText());
      assertEquals(Set.of(12), filter.current().pids());
      CaptureFilter applied = filter.current();

      assertCode(send(port, "POST", "/tls", auth, "{\"pid\":"), 400, 4);
      assertCode(send(port, "POST", "/tls", auth, "[1,2]"), 400, 4);
      assertCode(send(port, "POST", "/tls", auth, "{\"pid\":-1}"), 400, 4);
      assertCode(send(port, "POST", "/tls", auth, "{\"pid\":\"12\"}"), 400, 4);
      Reply misspelt = send(port, "POST", "/tls", auth, "{\"pdi\":12}");
      assertCode(misspelt, 400, 4);
      assertTrue(misspelt.json().get("msg").asText().contains("unknown key 'pdi'"), misspelt.body());
      assertCode(send(port, "POST", "/tls", auth, "{\"pid\":12,\"port\":443}"), 400, 5);
      assertCode(send(port, "POST", "/tls", auth, "{\"capturemode\":\"keylog\"}"), 400, 5);
      assertCode(send(port, "POST", "/tls", auth, "{\"pid\":99999999999}"), 400, 5);
      assertCode(send(port, "POST", "/tls", auth, "{\"pid\":99}"), 400, 5);
      Reply gotls = send(port, "POST", "/gotls", auth, "{\"pid\":12}");
      assertCode(gotls, 404, 3);
      assertEquals("gotls", gotls.json().get("module_type").asText());
      assertEquals(applied, filter.current(), "no refused request changed the filter");

      Reply noToken = send(port, "POST", "/tls", Map.of("Content-Type", "application/json"), "{\"pid\":1}");
      assertCode(noToken, 401, 1);
      assertEquals("Bearer realm=\"ecapture-kafka collector\"", noToken.headers().get("www-authenticate"));
      assertCode(send(port, "POST", "/tls", Map.of("Authorization", "Bearer " + token.value()), "{\"pid\":1}"), 415, 1);
      assertCode(send(port, "POST", "/tls", Map.of("Content-Type", "application/json", "Authorization",
          "Bearer " + token.value(), "Origin", "https://evil.example"), "{\"pid\":1}"), 403, 1);
      assertCode(send(port, "GET", "/tls", Map.of(), null), 405, 1);
      assertEquals(applied, filter.current());
    }
  }

  @Test
  void aSecondChangeWhileOneIsAppliedIsAnsweredBusy() throws Exception {
    Recording filter = new Recording();
    filter.hold = new CountDownLatch(1);
    filter.entered = new CountDownLatch(1);
    ControlToken token = ControlToken.random();
    try (StatusServer server = StatusServer.start(0,
        new CollectorStatus("h", () -> SNAPSHOT, filter, List::of, "socket tracepoints", Map::of), token)) {
      Map<String, String> auth = Map.of("Content-Type", "application/json", "Authorization", "Bearer " + token.value());
      AtomicReference<Reply> first = new AtomicReference<>();
      Thread slow = Thread.ofVirtual().start(() -> {
        try {
          first.set(send(server.port(), "POST", "/tls", auth, "{\"pid\":5}"));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      assertTrue(filter.entered.await(30, TimeUnit.SECONDS), "the first change is being applied");
      Reply busy = send(server.port(), "POST", "/tls", auth, "{\"pid\":6}");
      assertCode(busy, 503, 6);
      assertEquals("RespSendToChanFailed", busy.json().get("msg").asText());
      filter.hold.countDown();
      slow.join(30_000);
      assertEquals(0, first.get().json().get("code").asInt(), first.get().body());
      assertEquals(Set.of(5), filter.current().pids());
    }
  }

  @Test
  void theGeneratedTokenFileIsPrivateAndReadBack() throws Exception {
    Path file = dir.resolve("fresh/collector.token");
    ControlToken token = ControlToken.generate(file);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    assertTrue(token.value().matches("[A-Za-z0-9_-]{43}"), "32 random bytes, base64url: " + token.value().length());
    assertEquals(token.value() + "\n", Files.readString(file));
    assertEquals(token.value(), ControlToken.read(file).value());
    assertTrue(ControlToken.read(file).admits("Bearer " + token.value()));
    assertFalse(ControlToken.read(file).admits(token.value()), "the scheme is required");
    assertFalse(ControlToken.read(file).admits("Basic " + token.value()));
    ControlToken next = ControlToken.generate(file);
    assertFalse(next.value().equals(token.value()), "a new start, a new token");
    assertFalse(ControlToken.read(file).admits("Bearer " + token.value()), "the old one no longer works");
    Files.writeString(dir.resolve("empty"), "\n");
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> ControlToken.read(dir.resolve("empty")));
  }

  private static void assertCode(Reply reply, int httpStatus, int code) {
    assertEquals(httpStatus, reply.status(), reply.body());
    JsonNode envelope = reply.json();
    assertEquals(code, envelope.get("code").asInt(), reply.body());
    assertTrue(envelope.has("module_type") && envelope.has("msg") && envelope.has("data"), reply.body());
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** One HTTP/1.1 request on a fresh connection; Host defaults to 127.0.0.1:port. */
  private static Reply send(int port, String method, String path, Map<String, String> headers, String body)
      throws Exception {
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
    if (!headers.containsKey("Host")) {
      request.append("Host: 127.0.0.1:").append(port).append("\r\n");
    }
    headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
    request.append("Content-Length: ").append(content.length).append("\r\nConnection: close\r\n\r\n");
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(content);
      out.flush();
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int end = response.indexOf("\r\n\r\n");
      String[] lines = response.substring(0, end).split("\r\n");
      Map<String, String> replyHeaders = new java.util.HashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        replyHeaders.put(lines[i].substring(0, colon).strip().toLowerCase(java.util.Locale.ROOT),
            lines[i].substring(colon + 1).strip());
      }
      return new Reply(Integer.parseInt(lines[0].split(" ")[1]), replyHeaders, response.substring(end + 4));
    }
  }
}
