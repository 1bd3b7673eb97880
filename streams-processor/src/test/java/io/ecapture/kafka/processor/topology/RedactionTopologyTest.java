package io.ecapture.kafka.processor.topology;

import static io.ecapture.kafka.processor.topology.TopologyBytes.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.redact.Redaction;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials never reach ecapture.parsed by default ({@code --redact}): header lists and the
 * rendered text of HTTP/1, HTTP/2 (gRPC included) and a WebSocket's upgrade request, and header
 * lines inside data of unknown protocol; {@code --redact none} keeps them.
 */
class RedactionTopologyTest {
  private static final String SECRET = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.s1gn4ture";
  private static final String REQUEST = "POST /login?next=/home HTTP/1.1\r\nHost: app.test\r\n"
      + "Authorization: Bearer " + SECRET + "\r\n"
      + "COOKIE: session=s3ss10n; theme=dark\r\n"
      + "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"
      + "X-Api-Key: k3y\r\n"
      + "Content-Length: 9\r\n\r\nuser=anna";
  private static final String RESPONSE = "HTTP/1.1 200 OK\r\n"
      + "Set-Cookie: session=n3w; Path=/; HttpOnly; SameSite=Lax\r\n"
      + "Content-Length: 2\r\n\r\nok";

  @TempDir Path stateDir;

  private TopologyHarness harness(Redaction redaction) {
    return new TopologyHarness(ProcessorConfig.builder().stateDir(stateDir).redaction(redaction).build());
  }

  @Test
  void http1CredentialsAreRedactedByDefaultInHeadersAndRenderedText() {
    try (TopologyHarness harness = harness(ProcessorConfig.defaults().redaction())) {
      RawEvents events = new RawEvents("h/1/5/1");
      harness.send(events.data(Direction.WRITE, 0, REQUEST, 0));
      harness.send(events.data(Direction.READ, 0, RESPONSE, 1000));
      List<ParsedMessage> out = harness.output();
      assertEquals(2, out.size());

      Map<String, String> request = headers(out.get(0));
      assertEquals("Bearer <redacted>", request.get("Authorization"));
      assertEquals("session=<redacted>; theme=<redacted>", request.get("COOKIE"), "names kept, any case");
      assertEquals("Basic <redacted>", request.get("Proxy-Authorization"));
      assertEquals("k3y", request.get("X-Api-Key"), "not listed by default");
      assertEquals("app.test", request.get("Host"));
      String rendered = ParsedText.rendered(out.get(0)).toStringUtf8();
      assertTrue(rendered.startsWith("POST /login?next=/home HTTP/1.1\r\nHost: app.test\r\n"
          + "Authorization: Bearer <redacted>\r\nCOOKIE: session=<redacted>; theme=<redacted>\r\n"
          + "Proxy-Authorization: Basic <redacted>\r\nX-Api-Key: k3y\r\n"), rendered);
      assertTrue(rendered.endsWith("\r\n\r\nuser=anna"), "the body is left alone: " + rendered);
      assertFalse(out.get(0).toString().contains(SECRET), "nowhere in the record");
      assertFalse(out.get(0).toString().contains("s3ss10n"));
      assertFalse(out.get(0).toString().contains("dXNlcjpwYXNz"));
      assertEquals("user=anna", out.get(0).getHttp().getBody().toStringUtf8());

      assertEquals("session=<redacted>; Path=/; HttpOnly; SameSite=Lax", headers(out.get(1)).get("Set-Cookie"));
      assertTrue(ParsedText.rendered(out.get(1)).toStringUtf8().contains("Set-Cookie: session=<redacted>; Path=/; HttpOnly"));
      assertFalse(out.get(1).toString().contains("n3w"));
      assertEquals(out.get(0).getPairId(), out.get(1).getPairId(), "pairing unaffected");
      assertEquals(4, harness.metrics.redactedHeaders());
      assertEquals(4, harness.metrics.snapshot().get("redacted_headers"));
    }
  }

  @Test
  void redactNoneKeepsEveryValue() {
    try (TopologyHarness harness = harness(Redaction.parse("none"))) {
      RawEvents events = new RawEvents("h/1/5/2");
      harness.send(events.data(Direction.WRITE, 0, REQUEST, 0));
      List<ParsedMessage> out = harness.output();
      assertEquals("Bearer " + SECRET, headers(out.get(0)).get("Authorization"));
      assertTrue(ParsedText.rendered(out.get(0)).toStringUtf8().contains("Authorization: Bearer " + SECRET + "\r\n"));
      assertEquals("session=s3ss10n; theme=dark", headers(out.get(0)).get("COOKIE"));
      assertEquals(0, harness.metrics.redactedHeaders());
    }
  }

  @Test
  void aCustomListRedactsExactlyItsHeaders() {
    try (TopologyHarness harness = harness(Redaction.parse(" X-API-KEY ,authorization"))) {
      RawEvents events = new RawEvents("h/1/5/3");
      harness.send(events.data(Direction.WRITE, 0, REQUEST, 0));
      Map<String, String> request = headers(harness.output().get(0));
      assertEquals("<redacted>", request.get("X-Api-Key"));
      assertEquals("Bearer <redacted>", request.get("Authorization"));
      assertEquals("session=s3ss10n; theme=dark", request.get("COOKIE"), "not in this list");
    }
  }

  @Test
  void theUpgradeRequestOfAWebSocketIsRedacted() {
    try (TopologyHarness harness = harness(Redaction.DEFAULT)) {
      RawEvents events = new RawEvents("h/1/5/4");
      byte[] upgrade = ("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Cookie: ws_token=" + SECRET + "\r\nAuthorization: " + SECRET + "\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1);
      harness.send(events.data(Direction.WRITE, 0, concat(upgrade,
          java.util.HexFormat.of().parseHex("818537fa213d7f9f4d5158")), 0));
      harness.send(events.data(Direction.READ, 0, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", 10));
      List<ParsedMessage> out = harness.output();
      ParsedMessage request = out.get(0);
      assertEquals(MessageKind.REQUEST, request.getKind());
      assertEquals("ws_token=<redacted>", headers(request).get("Cookie"));
      assertEquals("<redacted>", headers(request).get("Authorization"), "no scheme: all of it");
      assertFalse(ParsedText.rendered(request).toStringUtf8().contains(SECRET), ParsedText.rendered(request).toStringUtf8());
      assertTrue(out.stream().anyMatch(m -> m.getProtocol() == Protocol.WEBSOCKET
          && m.getWebsocket().getPayload().toStringUtf8().equals("Hello")), "the socket still parses");
    }
  }

  @Test
  void http2AndGrpcHeadersAreRedacted() throws Exception {
    byte[] client;
    try (NettyHttp2Wire c = new NettyHttp2Wire()) {
      client = concat(c.preface().settings(new Http2Settings()).take(),
          c.headers(1, new DefaultHttp2Headers().method("GET").scheme("https").authority("api.test")
              .path("/me").add("authorization", "Bearer " + SECRET).add("cookie", "a=1; b=2"), 0, true).take());
      client = concat(client, c.headers(3, new DefaultHttp2Headers().method("POST").scheme("https")
          .authority("api.test").path("/pkg.Svc/Call").add("content-type", "application/grpc")
          .add("authorization", "Bearer " + SECRET), 0, true).take());
    }
    try (TopologyHarness harness = harness(Redaction.DEFAULT)) {
      RawEvents events = new RawEvents("h/1/5/5");
      harness.send(events.data(Direction.WRITE, 0, client, 0));
      List<ParsedMessage> out = harness.output();
      assertEquals(2, out.size(), out.toString());
      ParsedMessage h2 = out.get(0);
      assertEquals(Protocol.HTTP2, h2.getProtocol());
      assertEquals("Bearer <redacted>", headers(h2).get("authorization"));
      assertEquals("a=<redacted>; b=<redacted>", headers(h2).get("cookie"));
      assertTrue(ParsedText.rendered(h2).toStringUtf8().contains("authorization: Bearer <redacted>\r\n"),
          ParsedText.rendered(h2).toStringUtf8());
      ParsedMessage grpc = out.get(1);
      assertEquals(Protocol.GRPC, grpc.getProtocol());
      assertEquals("Bearer <redacted>", headers(grpc).get("authorization"));
      assertFalse(out.toString().contains(SECRET));
      assertEquals(3, harness.metrics.redactedHeaders());
    }
  }

  @Test
  void headerLinesInUnknownDataAreRedactedInTextAndRawBytes() {
    try (TopologyHarness harness = harness(Redaction.DEFAULT)) {
      RawEvents events = new RawEvents("h/1/5/6");
      // the middle of a head whose start was lost: no start line, so not HTTP
      String rest = "x-trace: 1\r\nauthorization: Bearer " + SECRET + "\r\nAccept: */*\r\n\r\n";
      harness.send(events.data(Direction.WRITE, 1000, rest, 0));
      harness.idle(1500);
      List<ParsedMessage> out = harness.output();
      ParsedMessage unknown = out.stream().filter(m -> m.getProtocol() == Protocol.PROTOCOL_UNKNOWN)
          .findFirst().orElseThrow(() -> new AssertionError(out.toString()));
      assertTrue(ParsedText.rendered(unknown).toStringUtf8().contains("authorization: Bearer <redacted>\r\nAccept: */*"),
          ParsedText.rendered(unknown).toStringUtf8());
      assertTrue(unknown.getRaw().toStringUtf8().contains("authorization: Bearer <redacted>\r\n"),
          unknown.getRaw().toStringUtf8());
      assertFalse(unknown.toString().contains(SECRET));
      assertEquals(1, harness.metrics.redactedHeaders());
    }
  }

  @Test
  void aRenderedTextCutForSizeKeepsItsWholeLengthTrue() {
    ProcessorConfig base = ProcessorConfig.builder().stateDir(stateDir).build();
    ProcessorConfig small = base.toBuilder()
        .limits(base.limits().toBuilder().maxRenderedBytes(1024).build()).build();
    String body = "b".repeat(3000);
    String request = "POST /u HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer " + SECRET + "\r\nContent-Length: "
        + body.length() + "\r\n\r\n" + body;
    ParsedMessage plain;
    ParsedMessage redacted;
    try (TopologyHarness harness = new TopologyHarness(small.toBuilder().redaction(Redaction.NONE).build())) {
      harness.send(new RawEvents("h/1/5/7").data(Direction.WRITE, 0, request, 0));
      plain = harness.output().get(0);
    }
    try (TopologyHarness harness = new TopologyHarness(small)) {
      harness.send(new RawEvents("h/1/5/7").data(Direction.WRITE, 0, request, 0));
      redacted = harness.output().get(0);
    }
    assertTrue(plain.getRenderedTruncated() && redacted.getRenderedTruncated());
    int delta = ParsedText.rendered(redacted).size() - ParsedText.rendered(plain).size();
    assertEquals(("<redacted>".length() - SECRET.length()), delta);
    assertEquals(plain.getRenderedOriginalLength() + delta, redacted.getRenderedOriginalLength());
  }

  private static Map<String, String> headers(ParsedMessage message) {
    return message.getHttp().getHeadersList().stream()
        .collect(Collectors.toMap(Header::getName, Header::getValue, (a, b) -> a + "," + b));
  }
}
