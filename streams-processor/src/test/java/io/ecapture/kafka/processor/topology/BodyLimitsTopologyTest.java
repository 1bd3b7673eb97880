package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.StreamsProcessor;
import io.ecapture.kafka.proto.Serdes;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What happens to bodies that are late (idle flush) or too large (buffer limit). */
class BodyLimitsTopologyTest {
  private static final String CONN = "conn-limits";
  @TempDir Path stateDir;
  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> raw;
  private TestOutputTopic<String, ParsedMessage> parsed;
  private final ProcessorMetrics metrics = new ProcessorMetrics();
  private final RawEvents events = new RawEvents(CONN);

  private void start(ProcessorLimits limits) {
    ProcessorConfig config = ProcessorConfig.defaults()
        .withStateDir(stateDir)
        .withProcessingGuarantee(StreamsConfig.AT_LEAST_ONCE)
        .withLimits(limits);
    driver = new TopologyTestDriver(StreamsProcessor.buildTopology(config, metrics),
        config.toStreamsProperties(), Instant.parse("2026-01-01T00:00:00Z"));
    raw = driver.createInputTopic(Topics.RAW.name(), new StringSerializer(), new ByteArraySerializer());
    parsed = driver.createOutputTopic(Topics.PARSED.name(), new StringDeserializer(),
        Serdes.PARSED_MESSAGE.deserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private long send(long offset, String text) {
    raw.pipeInput(CONN, events.data(Direction.READ, offset, text, offset).toByteArray());
    return offset + text.length();
  }

  @Test
  void theRestOfABodyDelayedPastTheIdleFlushIsShownNotDropped() {
    start(ProcessorLimits.defaults());
    long offset = send(0, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nfirst-half");
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    ParsedMessage cut = parsed.readValue();
    assertTrue(cut.getHttp().getBodyTruncated());
    assertEquals("first-half", cut.getHttp().getBody().toStringUtf8());

    offset = send(offset, "secondhalf");
    send(offset, "HTTP/1.1 204 No Content\r\n\r\n");
    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(2, out.size());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(0).getProtocol());
    assertEquals("secondhalf", out.get(0).getRendered().toStringUtf8());
    assertEquals(204, out.get(1).getHttp().getStatus());
  }

  @Test
  void aBodyLargerThanTheBufferIsCutOnceAndItsRestDiscarded() {
    start(new ProcessorLimits(1024, 2048, 1000, 4096, 8192, 16384, 4096));
    String body = "b".repeat(10_000);
    String response = "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    long offset = 0;
    for (int pos = 0; pos < response.length(); pos += 1000) {
      offset = send(offset, response.substring(pos, Math.min(response.length(), pos + 1000)));
    }
    send(offset, "HTTP/1.1 204 No Content\r\n\r\n");

    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(2, out.size());
    assertTrue(out.get(0).getHttp().getBodyTruncated());
    assertEquals(10_000, out.get(0).getHttp().getBodyOriginalLength());
    assertEquals(1000, out.get(0).getHttp().getBody().size());
    assertEquals(204, out.get(1).getHttp().getStatus());
    assertEquals(0, metrics.unknownMessages());
  }
}
