package io.ecapture.kafka.gateway;

import io.ecapture.kafka.proto.parsed.MessageKind;

import io.ecapture.kafka.proto.parsed.Protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.capture.LogLevel;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gateway's small pure parts: replay ring, origin policy, filters, formats, options. */
class SmallPartsTest {

  @Test
  void replayBufferKeepsTheMostRecentLinesOldestFirst() {
    ReplayBuffer ring = new ReplayBuffer(3);
    for (int i = 1; i <= 5; i++) {
      ring.add(new byte[] {(byte) i});
    }
    assertEquals(List.of(3, 4, 5), ring.snapshot().stream().map(b -> (int) b[0]).toList());
    ReplayBuffer off = new ReplayBuffer(0);
    off.add(new byte[] {1});
    assertTrue(off.snapshot().isEmpty());
  }

  @Test
  void originPolicyAcceptsLocalPagesAndNoOriginAndRefusesOtherSites() {
    OriginPolicy policy = new OriginPolicy(GatewayConfig.DEFAULT_ORIGIN_HOSTS, true);
    assertNull(policy.refusal("http://localhost/"));
    assertNull(policy.refusal("tauri://localhost"));
    assertNull(policy.refusal("http://127.0.0.1:1420"));
    assertNull(policy.refusal(null));
    assertNotNull(policy.refusal("https://evil.example"));
    assertNotNull(policy.refusal("null"));
    assertNotNull(new OriginPolicy(List.of("localhost"), false).refusal(null));
    assertNull(new OriginPolicy(List.of("*"), true).refusal("https://any.example"));
  }

  @Test
  void filtersAreOrWithinAKeyAndAndAcrossKeys() {
    ClientFilter f = ClientFilter.parse("/?host=a&host=b&port=443&token=secret");
    ParsedMessage.Builder m =
        ParsedMessage.newBuilder()
            .setHostId("b")
            .setSrc(Endpoint.newBuilder().setIp("10.0.0.1").setPort(50000))
            .setDst(Endpoint.newBuilder().setIp("10.0.0.2").setPort(443));
    assertTrue(f.accepts(m.build()));
    assertFalse(f.accepts(m.setHostId("c").build()));
    assertFalse(f.accepts(m.setHostId("a").setDst(Endpoint.newBuilder().setPort(80)).build()));
    assertTrue(ClientFilter.parse("/").isAll());
    ClientFilter byPname = ClientFilter.parse("/x?pname=my%20app&type=1&pid=9");
    assertTrue(byPname.accepts(ParsedMessage.newBuilder().setComm("my app").setProtocol(Protocol.HTTP1).setKind(MessageKind.REQUEST).setPid(9).build()));
    assertFalse(byPname.accepts(ParsedMessage.newBuilder().setComm("my app").setProtocol(Protocol.HTTP1).setKind(MessageKind.RESPONSE).setPid(9).build()));
  }

  @Test
  void badFilterNumbersAreRefusedWithTheirName() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ClientFilter.parse("/?pid=abc"));
    assertTrue(e.getMessage().contains("pid=abc"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ClientFilter.parse("/?type=6"));
    assertThrows(IllegalArgumentException.class, () -> ClientFilter.parse("/?port=70000"));
  }

  @Test
  void processLogLineNamesHostComponentAndLevel() {
    String line =
        ProcessLogFormatter.format(
            ProcessLog.newBuilder()
                .setHostId("web-1")
                .setComponent("collector")
                .setLevel(LogLevel.WARN)
                .setWallTimeNs(1_700_000_000_000_000_000L)
                .setMessage("ring buffer full, 3 records lost\n")
                .build());
    assertEquals("2023-11-14T22:13:20Z WRN [web-1/collector] ring buffer full, 3 records lost", line);
  }

  @Test
  void hostPortAcceptsTheUsualFormsAndNamesBadInput() {
    assertEquals(new InetSocketAddress("127.0.0.1", 28257), HostPort.parse("127.0.0.1:28257"));
    assertEquals(new InetSocketAddress("::1", 1), HostPort.parse("[::1]:1"));
    assertEquals(new InetSocketAddress(9), HostPort.parse(":9"));
    assertThrows(IllegalArgumentException.class, () -> HostPort.parse("localhost"));
    assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h:99999"));
    assertThrows(IllegalArgumentException.class, () -> HostPort.parse("::1:80"));
  }

  @Test
  void commandOptionsBecomeTheConfig() {
    GatewayCommand cmd = new GatewayCommand();
    new picocli.CommandLine(cmd)
        .parseArgs("--bootstrap", "k1:9092,k2:9092", "--listen", "0.0.0.0:0", "--replay-logs", "7",
            "--heartbeat", "2", "--from-beginning");
    GatewayConfig c = cmd.config();
    assertEquals("k1:9092,k2:9092", c.bootstrapServers());
    assertEquals(0, c.listen().getPort());
    assertEquals(7, c.replayLogs());
    assertEquals(Duration.ofSeconds(2), c.heartbeatInterval());
    assertFalse(c.startFromLatest());
    GatewayConfig defaults = new GatewayCommand().config();
    assertEquals(GatewayConfig.defaults(), defaults);
    assertEquals(Duration.ofMillis(1500), GatewayCommand.parseDuration("1.5s"));
  }

  @Test
  void configRejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> GatewayConfig.builder().replayLogs(-1).build());
    assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.builder().heartbeatInterval(Duration.ZERO).build());
    assertThrows(IllegalArgumentException.class, () -> GatewayConfig.builder().maxQueuedBytes(0).build());
  }

  @Test
  void wireSizeFollowsRfc6455LengthEncoding() {
    assertEquals(2 + 125, ClientSession.wireSize(125));
    assertEquals(4 + 126, ClientSession.wireSize(126));
    assertEquals(4 + 65535, ClientSession.wireSize(65535));
    assertEquals(10 + 65536, ClientSession.wireSize(65536));
  }

  @Test
  void clientOptionsParseAnnotationsAndReplayBoundsAndRejectNonsense() {
    ClientOptions o = ClientOptions.parse("/?pid=3&annotate=host&since=90s&last=5&token=x");
    assertTrue(o.annotateHost());
    assertEquals(Duration.ofSeconds(90), o.since());
    assertEquals(5, o.last());
    assertTrue(o.wantsReplay());
    assertTrue(o.filter().pids().contains(3L));
    assertEquals(ClientOptions.DEFAULT, ClientOptions.parse("/?token=x"));
    assertFalse(ClientOptions.parse("/").wantsReplay());
    assertEquals(Duration.ofMillis(500), ClientOptions.parseAge("500ms"));
    assertEquals(Duration.ofMinutes(5), ClientOptions.parseAge("5m"));
    assertEquals(Duration.ofHours(1), ClientOptions.parseAge("PT1H"));
    assertEquals(Duration.ofSeconds(7), ClientOptions.parseAge("7"));
    assertThrows(IllegalArgumentException.class, () -> ClientOptions.parse("/?since=soon"));
    assertThrows(IllegalArgumentException.class, () -> ClientOptions.parse("/?since=0s"));
    assertThrows(IllegalArgumentException.class, () -> ClientOptions.parse("/?last=-1"));
    assertThrows(IllegalArgumentException.class, () -> ClientOptions.parse("/?annotate=everything"));
  }

  @Test
  void handshakeGateSeparatesMalformedFromRefused() {
    HandshakeGate gate = new HandshakeGate(GatewayConfig.builder().token("t").build());
    String key = "dGhlIHNhbXBsZSBub25jZQ==";
    assertTrue(gate.check("GET", "/?token=t", key, "13", null, null).admitted());
    assertTrue(gate.check("GET", "/", key, "13", null, "Bearer t").admitted());
    assertEquals(426, gate.check("GET", "/?token=t", key, "8", null, null).status());
    assertEquals(400, gate.check("GET", "/?token=t", null, "13", null, null).status());
    assertEquals(400, gate.check("GET", "/?token=t", "bm90IDE2IGJ5dGVz", "13", null, null).status());
    assertEquals(400, gate.check("PUT", "/?token=t", key, "13", null, null).status());
    HandshakeGate.Verdict noToken = gate.check("GET", "/", key, "13", null, null);
    assertEquals(403, noToken.status());
    assertFalse(noToken.malformed());
    assertEquals(403, gate.check("GET", "/?token=t", key, "13", "https://evil.example", null).status());
    assertEquals(403, gate.check("GET", "/?token=t&pid=x", key, "13", null, null).status());
  }

  @Test
  void hostAnnotationIsAnExtraFieldThatReferenceDecodersSkip() throws Exception {
    byte[] plain = LogEntries.frame(LogEntries.runLog("line"));
    byte[] annotated = LogEntries.withHost(plain, "web-1");
    io.ecapture.kafka.proto.ecaptureq.LogEntry decoded =
        io.ecapture.kafka.proto.ecaptureq.LogEntry.parseFrom(annotated);
    assertEquals("line", decoded.getRunLog());
    assertEquals("web-1",
        decoded.getUnknownFields().getField(LogEntries.HOST_FIELD).getLengthDelimitedList().get(0).toStringUtf8());
    // the original bytes are a prefix: nothing eCaptureQ reads changed
    assertEquals(java.util.Arrays.toString(plain),
        java.util.Arrays.toString(java.util.Arrays.copyOf(annotated, plain.length)));
  }
}
