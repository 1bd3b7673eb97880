package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.StreamsProcessor;
import io.ecapture.kafka.processor.redact.Redaction;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.Serdes;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credential redaction on a real capture: the fleet {@code up} runs (broker in a child JVM,
 * processor, gateway, collector with real eBPF probes on the system libssl), curl sends a request
 * with {@code Authorization} and {@code Cookie} headers over TLS. With the default {@code --redact}
 * the eCaptureQ client and every record of ecapture.parsed show {@code Bearer <redacted>} and the
 * cookie names only, while ecapture.raw keeps the bytes (protect it with ACLs). Then a second
 * processor with {@code --redact none} reads the same captured records and writes the real values:
 * the off switch on the same real bytes, without a second fleet.
 */
class RedactionEndToEndTest {
  private static final Duration ARRIVAL = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void aCapturedAuthorizationHeaderIsRedactedByDefaultAndKeptWithRedactNone() throws Exception {
    FleetConfig config =
        FleetConfig.builder(dir.resolve("data"))
            .embeddedBroker(FleetConfig.BrokerMode.CHILD_PROCESS, 0)
            .partitions(2)
            .gatewayListen("127.0.0.1:0")
            .capture(true).hostId("redact-host").collectorStatusPort(-1)
            .idleFlush(Duration.ofMillis(500)).build();
    assertEquals(Redaction.DEFAULT, config.redaction(), "on by default");
    String secret = "tok-" + UUID.randomUUID();
    String session = "sess-" + UUID.randomUUID();
    String marker = UUID.randomUUID().toString();
    try (Fleet fleet = Fleet.start(config)) {
      if (!fleet.capturing()) {
        EbpfEnvironment.unavailable(fleet.captureError());
      }
      assertTrue(fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60)), "gateway never got its partitions");
      TlsTestServer.CurlResult curl;
      try (EcaptureqTestClient client = new EcaptureqTestClient(fleet.gatewayPort());
          TlsTestServer server = TlsTestServer.start(dir, false)) {
        curl = server.curl(marker, "Authorization: Bearer " + secret, "Cookie: session=" + session + "; theme=dark");
        assertTrue(curl.output().contains("<HTML>"), "s_server did not answer: " + curl.output());

        LogEntry entry = client.await(e -> e.getLogType() == LogType.EVENT && e.getEventPayload().getType() == 1
            && e.getEventPayload().getPayload().toStringUtf8().contains(marker), ARRIVAL);
        assertNotNull(entry, "no request event within " + ARRIVAL);
        String shown = entry.getEventPayload().getPayload().toStringUtf8();
        assertTrue(shown.contains("Authorization: Bearer <redacted>\r\n"), shown);
        assertTrue(shown.contains("Cookie: session=<redacted>; theme=<redacted>\r\n"), shown);
        assertTrue(shown.contains("X-Marker: " + marker), "other headers as captured: " + shown);
        assertFalse(shown.contains(secret) || shown.contains(session), shown);
      }

      // ecapture.parsed: the header list and the rendered text, in every record of this connection
      ParsedMessage request = awaitParsed(fleet.bootstrapServers(), "parsed-default",
          m -> m.getPid() == curl.pid() && m.getKind() == MessageKind.REQUEST && rendered(m).contains(marker));
      assertEquals("Bearer <redacted>", header(request, "Authorization"));
      assertEquals("session=<redacted>; theme=<redacted>", header(request, "Cookie"));
      assertFalse(request.toString().contains(secret), request.toString());

      // ecapture.raw keeps what was captured: that topic is what ACLs must protect
      assertTrue(rawContains(fleet.bootstrapServers(), "Authorization: Bearer " + secret),
          "the raw topic holds the captured bytes");

      // --redact none, on the same captured bytes: a processor of its own reads ecapture.raw
      ProcessorConfig none = ProcessorConfig.builder()
          .bootstrapServers(fleet.bootstrapServers())
          .applicationId("redact-none-e2e")
          .stateDir(dir.resolve("streams-none"))
          .statusPort(ProcessorConfig.STATUS_PORT_OFF)
          .idleFlush(Duration.ofMillis(500))
          .redaction(Redaction.parse("none"))
          .build();
      try (StreamsProcessor.Handle plain = StreamsProcessor.start(none)) {
        ParsedMessage unredacted = awaitParsed(fleet.bootstrapServers(), "parsed-none",
            m -> m.getPid() == curl.pid() && m.getKind() == MessageKind.REQUEST && rendered(m).contains(marker)
                && rendered(m).contains(secret));
        assertEquals("Bearer " + secret, header(unredacted, "Authorization"));
        assertEquals("session=" + session + "; theme=dark", header(unredacted, "Cookie"));
        assertTrue(rendered(unredacted).contains("Authorization: Bearer " + secret + "\r\n"));
        assertEquals(0, plain.metrics().redactedHeaders());
      }
    }
  }

  private static String rendered(ParsedMessage m) {
    return ParsedText.rendered(m).toStringUtf8();
  }

  private static String header(ParsedMessage m, String name) {
    return m.getHttp().getHeadersList().stream().filter(h -> h.getName().equalsIgnoreCase(name))
        .map(Header::getValue).findFirst().orElse(null);
  }

  /** The first record of ecapture.parsed (from its start) matching, within {@link #ARRIVAL}. */
  private static ParsedMessage awaitParsed(String bootstrap, String group, Predicate<ParsedMessage> match)
      throws InterruptedException {
    List<ParsedMessage> seen = new ArrayList<>();
    try (KafkaConsumer<String, ParsedMessage> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, group + "-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), Serdes.PARSED_MESSAGE.deserializer())) {
      consumer.subscribe(List.of(Topics.PARSED.name()));
      long deadline = System.nanoTime() + ARRIVAL.toNanos();
      while (System.nanoTime() < deadline) {
        for (var record : consumer.poll(Duration.ofMillis(200))) {
          seen.add(record.value());
          if (match.test(record.value())) {
            return record.value();
          }
        }
      }
    }
    throw new AssertionError("no matching record in " + Topics.PARSED.name() + " within " + ARRIVAL + "; "
        + seen.size() + " seen");
  }

  private static boolean rawContains(String bootstrap, String text) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "raw-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.RAW.name()));
      long deadline = System.nanoTime() + ARRIVAL.toNanos();
      while (System.nanoTime() < deadline) {
        for (var record : consumer.poll(Duration.ofMillis(200))) {
          try {
            RawEvent event = RawEvent.parseFrom(record.value());
            if (event.hasData() && event.getData().getPayload().toString(StandardCharsets.ISO_8859_1).contains(text)) {
              return true;
            }
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            // not ours
          }
        }
      }
    }
    return false;
  }
}
