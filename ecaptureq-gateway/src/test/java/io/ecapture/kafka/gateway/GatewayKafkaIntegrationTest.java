package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.gateway.wire.LogEntries;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.LogLevel;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway against a real single-node KRaft broker: records in, eCaptureQ frames out. */
class GatewayKafkaIntegrationTest {
  @TempDir static Path dataDir;
  static EmbeddedKafka kafka;
  static KafkaProducer<byte[], byte[]> producer;

  @BeforeAll
  static void broker() {
    kafka = EmbeddedKafka.start(dataDir);
    TopicSetup.ensureTopics(kafka.bootstrapServers(), 2);
    producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", kafka.bootstrapServers(), "acks", "all", "linger.ms", "0"),
            new ByteArraySerializer(),
            new ByteArraySerializer());
  }

  @AfterAll
  static void stop() {
    producer.close();
    kafka.close();
  }

  private static GatewayConfig.Builder config() {
    return GatewayConfig.builder().listen("127.0.0.1:0").bootstrapServers(kafka.bootstrapServers());
  }

  private static void produce(String topic, String key, byte[] value) throws Exception {
    producer.send(new ProducerRecord<>(topic, key.getBytes(), value)).get();
  }

  private static void produce(ParsedMessage m) throws Exception {
    produce(Topics.PARSED.name(), m.getConnectionId(), m.toByteArray());
  }

  @Test
  void parsedMessagesAndProcessLogsFromKafkaReachTheClientAndPoisonIsSkipped() throws Exception {
    // written before the gateway starts: comes back through the tail replay of ecapture.logs
    produce(
        Topics.LOGS.name(),
        "web-1",
        ProcessLog.newBuilder()
            .setHostId("web-1")
            .setComponent("collector")
            .setLevel(LogLevel.INFO)
            .setMessage("attached to libssl.so.3")
            .build()
            .toByteArray());
    try (Gateway gateway = Gateway.start(config().build())) {
      assertTrue(gateway.awaitKafkaAssignment(Duration.ofSeconds(30)), "partitions assigned");
      try (WsClient client = WsClient.connect(gateway.port())) {
        LogEntry log;
        do {
          log = client.nextOfType(LogType.PROCESS_LOG);
        } while (!log.getRunLog().contains("[web-1/collector]"));
        assertTrue(log.getRunLog().endsWith("INF [web-1/collector] attached to libssl.so.3"), log.getRunLog());

        // same key as the message after it: same partition, so it is processed first
        produce(Topics.PARSED.name(), "conn-1", new byte[] {(byte) 0xFF, (byte) 0xFF});
        produce(
            ParsedMessage.newBuilder()
                .setConnectionId("conn-1")
                .setHostId("web-1")
                .setPid(4242)
                .setTid(4243)
                .setComm("curl")
                .setFd(6)
                .setDirection(Direction.READ)
                .setSrc(Endpoint.newBuilder().setIp("10.1.1.1").setPort(51000))
                .setDst(Endpoint.newBuilder().setIp("10.2.2.2").setPort(443))
                .setFirstByteTimeNs(1_763_000_000_000_000_000L)
                .setProtocol(Protocol.HTTP1).setKind(MessageKind.RESPONSE)
                .setRendered(ByteString.copyFromUtf8("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"))
                .build());
        Event event = client.nextOfType(LogType.EVENT).getEventPayload();
        assertEquals("4242_4243_curl_6_0_10.1.1.1:51000-10.2.2.2:443", event.getUuid());
        assertEquals(1_763_000_000_000_000_000L, event.getTimestamp());
        assertEquals(3, event.getType());
        assertEquals(4242, event.getPid());
        assertEquals("curl", event.getPname());
        assertEquals("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", event.getPayload().toStringUtf8());
        assertEquals(event.getPayload().size(), event.getLength());
        assertEquals(1, gateway.stats().undecodableRecords());
        assertEquals(4, gateway.stats().assignedPartitions());

        // /metrics: the gateway's own series and its consumer's (fetch rates, lag...)
        String metrics = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("\necaptureq_gateway_assigned_partitions 4.0\n"), metrics);
        assertTrue(metrics.contains("\necaptureq_gateway_undecodable_records_total 1.0\n"), metrics);
        assertTrue(metrics.contains("\nkafka_consumer_fetch_manager_metrics_"), metrics);
        assertTrue(metrics.contains("client_id=\"ecaptureq-gateway-"), metrics);
      }
    }
  }

  @Test
  void aClientThatNeverReadsDoesNotHoldUpAnotherAndItsDropsAreCounted() throws Exception {
    int events = 400;
    int batch = 20;
    byte[] filler = new byte[8000];
    Arrays.fill(filler, (byte) 'y');
    GatewayConfig cfg =
        config().replayLogs(0).maxQueuedBytes(1 << 20).socketSendBufferBytes(16 << 10).build();
    try (Gateway gateway = Gateway.start(cfg)) {
      assertTrue(gateway.awaitKafkaAssignment(Duration.ofSeconds(30)), "partitions assigned");
      try (RawWsClient slow = new RawWsClient(gateway.port(), 4096);
          WsClient fast = WsClient.connect(gateway.port())) {
        assertEquals(LogType.HEARTBEAT, slow.next().getLogType());
        for (int i = 0; i < events; i++) {
          // one connection id: one partition, so order is kept end to end
          produce(
              ParsedMessage.newBuilder()
                  .setConnectionId("conn-bulk")
                  .setPid(9)
                  .setComm("bulk")
                  .setRendered(ByteString.copyFromUtf8(i + ":" + new String(filler)))
                  .build());
          if (i % batch == batch - 1) {
            for (int j = i - batch + 1; j <= i; j++) {
              String payload = fast.nextOfType(LogType.EVENT).getEventPayload().getPayload().toStringUtf8();
              assertEquals(j, Integer.parseInt(payload.substring(0, payload.indexOf(':'))));
            }
          }
        }
        GatewayStats stats = gateway.stats();
        assertEquals(events, stats.parsedRecords());
        assertTrue(stats.framesDropped() > 0, "the slow client lost frames: " + stats);
        long clientsWithDrops = stats.clients().stream().filter(c -> c.framesDropped() > 0).count();
        assertEquals(1, clientsWithDrops, stats.toString());
      }
    }
  }

  @Test
  void sinceReplaysRecentMatchingEventsFromKafkaOldestFirstAndLastBoundsThem() throws Exception {
    long now = System.currentTimeMillis();
    produceAt(now - Duration.ofMinutes(10).toMillis(), replayed("conn-r1", "too old"));
    produceAt(now - 20_000, replayed("conn-r2", "recent one"));
    producer.send(new ProducerRecord<>(Topics.PARSED.name(), null, now - 15_000, "conn-r2".getBytes(),
        new byte[] {(byte) 0xFF})).get();   // poison inside the window: skipped, counted
    produceAt(now - 10_000, replayed("conn-r3", "recent two"));
    produceAt(now - 5_000, replayed("conn-r4", "other process").toBuilder().setComm("other").build());

    try (Gateway gateway = Gateway.start(config().replayLogs(0).build())) {
      try (WsClient client =
          WsClient.connect(gateway.port(), "/?since=1m&pname=replay-test&annotate=host", "http://localhost/")) {
        // heartbeat 0 means the session is registered; the replay still needs its consumer, so
        // this live event most likely arrives during it and must be held back until it ends
        assertEquals(LogType.HEARTBEAT, client.nextOfType(LogType.HEARTBEAT).getLogType());
        gateway.publish(replayed("conn-live", "live now"));
        LogEntry first = client.nextOfType(LogType.EVENT);
        assertEquals("recent one", first.getEventPayload().getPayload().toStringUtf8());
        assertEquals((now - 20_000) * 1_000_000L, first.getEventPayload().getTimestamp(),
            "no capture time in the message: the record time is shown");
        assertEquals("replay-host",
            first.getUnknownFields().getField(LogEntries.HOST_FIELD).getLengthDelimitedList().get(0).toStringUtf8(),
            "annotate=host adds the host id as field 15");
        assertEquals("recent two", client.nextOfType(LogType.EVENT).getEventPayload().getPayload().toStringUtf8());
        LogEntry notice = client.nextMatching(e -> e.getLogType() == LogType.PROCESS_LOG
            || e.getLogType() == LogType.EVENT);
        assertEquals(LogType.PROCESS_LOG, notice.getLogType(), "nothing else was replayed: " + notice);
        assertTrue(notice.getRunLog().contains("replayed 2 past events since PT1M"), notice.getRunLog());
        assertEquals("live now", client.nextOfType(LogType.EVENT).getEventPayload().getPayload().toStringUtf8());
      }
      try (WsClient client =
          WsClient.connect(gateway.port(), "/?since=1m&last=1&pname=replay-test", "http://localhost/")) {
        LogEntry only = client.nextOfType(LogType.EVENT);
        assertEquals("recent two", only.getEventPayload().getPayload().toStringUtf8());
        assertTrue(only.getUnknownFields().asMap().isEmpty(), "no annotation unless asked");
        assertTrue(client.nextOfType(LogType.PROCESS_LOG).getRunLog().contains("replayed 1 past events"));
      }
      assertEquals(3, gateway.stats().replayedEvents());
      assertTrue(gateway.stats().undecodableRecords() >= 2, "the poison record, once per replay");
    }
  }

  private static ParsedMessage replayed(String connection, String text) {
    return ParsedMessage.newBuilder()
        .setConnectionId(connection)
        .setHostId("replay-host")
        .setPid(7001)
        .setComm("replay-test")
        .setProtocol(Protocol.HTTP1).setKind(MessageKind.REQUEST)
        .setRendered(ByteString.copyFromUtf8(text))
        .build();
  }

  @Test
  void wholeBodyEventsOfManyMebibytesArriveWholeAndLargerOnesAreCutWithANotice() throws Exception {
    byte[] body = new byte[8 << 20];
    new java.util.Random(11).ints(body.length, 'a', 'z' + 1).forEach(new java.util.function.IntConsumer() {
      int i;

      @Override
      public void accept(int c) {
        body[i++] = (byte) c;
      }
    });
    ByteString rendered = ByteString.copyFromUtf8("HTTP/1.1 200 OK\r\nContent-Length: "
        + body.length + "\r\n\r\n").concat(ByteString.copyFrom(body));
    ParsedMessage big = ParsedMessage.newBuilder()
        .setConnectionId("conn-big").setHostId("web-1").setPid(77).setTid(77).setComm("curl")
        .setFd(5).setDirection(Direction.READ)
        .setProtocol(Protocol.HTTP1).setKind(MessageKind.RESPONSE)
        .setPairId("conn-big#0").setLatencyNs(2_500_000)
        .setHttp(io.ecapture.kafka.proto.parsed.HttpFields.newBuilder().setStatus(200)
            .setAuthority("big.example").setBody(ByteString.copyFrom(body)))
        .setRendered(rendered)
        .build();
    // as the processor produces: whole bodies, compressed batches
    try (KafkaProducer<byte[], byte[]> large = new KafkaProducer<>(Map.of(
            "bootstrap.servers", kafka.bootstrapServers(), "acks", "all",
            "max.request.size", TopicSetup.PARSED_MAX_MESSAGE_BYTES,
            "buffer.memory", 2L * TopicSetup.PARSED_MAX_MESSAGE_BYTES, "compression.type", "lz4"),
            new ByteArraySerializer(), new ByteArraySerializer());
        Gateway gateway = Gateway.start(config().build());
        Gateway capped = Gateway.start(config().maxPayloadBytes(1 << 20).build())) {
      assertTrue(gateway.awaitKafkaAssignment(Duration.ofSeconds(30)), "partitions assigned");
      assertTrue(capped.awaitKafkaAssignment(Duration.ofSeconds(30)), "partitions assigned");
      try (WsClient client = WsClient.connect(gateway.port(), "/?annotate=pair", "http://localhost/");
          WsClient cappedClient = WsClient.connect(capped.port())) {
        client.nextOfType(LogType.HEARTBEAT);
        cappedClient.nextOfType(LogType.HEARTBEAT);
        large.send(new ProducerRecord<>(Topics.PARSED.name(), "conn-big".getBytes(),
            big.toByteArray())).get();

        LogEntry whole = client.nextOfType(LogType.EVENT);
        assertEquals(rendered, whole.getEventPayload().getPayload(), "the whole 8 MiB body");
        assertEquals(rendered.size(), whole.getEventPayload().getLength());
        com.google.protobuf.UnknownFieldSet extra = whole.getUnknownFields();
        assertEquals("conn-big#0", extra.getField(LogEntries.PAIR_FIELD).getLengthDelimitedList()
            .get(0).toStringUtf8());
        assertEquals(2_500_000L, extra.getField(LogEntries.LATENCY_FIELD).getVarintList().get(0));
        assertEquals("big.example", extra.getField(LogEntries.AUTHORITY_FIELD)
            .getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals(0, gateway.stats().truncatedPayloads());

        Event cut = cappedClient.nextOfType(LogType.EVENT).getEventPayload();
        assertTrue(cut.getPayload().size() <= 1 << 20, "size " + cut.getPayload().size());
        String text = cut.getPayload().toStringUtf8();
        int notice = text.lastIndexOf("\n[ecaptureq-gateway: payload cut, ");
        assertTrue(notice > 0, text.substring(text.length() - 200));
        assertEquals("\n[ecaptureq-gateway: payload cut, " + rendered.size() + " bytes, first "
            + notice + " shown]", text.substring(notice));
        assertEquals(rendered.substring(0, notice), cut.getPayload().substring(0, notice));
        assertEquals(1, capped.stats().truncatedPayloads());
      }
    }
  }

  private static void produceAt(long timestampMs, ParsedMessage m) throws Exception {
    producer.send(new ProducerRecord<>(Topics.PARSED.name(), null, timestampMs,
        m.getConnectionId().getBytes(), m.toByteArray())).get();
  }
}
