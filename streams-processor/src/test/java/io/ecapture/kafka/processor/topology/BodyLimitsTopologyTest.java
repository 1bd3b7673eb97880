package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What happens to bodies that are late (idle flush) or too large (buffer limit). */
class BodyLimitsTopologyTest {
  private static final String CONN = "conn-limits";
  @TempDir Path stateDir;
  private TopologyHarness harness;
  private final RawEvents events = new RawEvents(CONN);

  private void start(ProcessorLimits limits) {
    harness = new TopologyHarness(stateDir, limits);
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  private long send(long offset, String text) {
    harness.send(events.data(Direction.READ, offset, text, offset));
    return offset + text.length();
  }

  @Test
  void theRestOfABodyDelayedPastTheIdleFlushIsShownNotDropped() {
    start(ProcessorLimits.defaults());
    long offset = send(0, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nfirst-half");
    harness.idle(1000);
    ParsedMessage cut = harness.parsed().readValue();
    assertTrue(cut.getHttp().getBodyTruncated());
    assertEquals("first-half", cut.getHttp().getBody().toStringUtf8());

    offset = send(offset, "secondhalf");
    send(offset, "HTTP/1.1 204 No Content\r\n\r\n");
    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(2, out.size());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(0).getProtocol());
    assertEquals("secondhalf", out.get(0).getRendered().toStringUtf8());
    assertEquals(204, out.get(1).getHttp().getStatus());
  }

  @Test
  void aBodyLargerThanTheBufferIsCutOnceAndItsRestDiscarded() {
    start(ProcessorLimits.builder().maxStartLineBytes(1024).maxHeaderBytes(2048).maxBodyBytes(1000)
        .maxBufferedBytes(4096).maxOutOfOrderBytes(8192).maxHttp2FrameBytes(16384)
        .maxRenderedBytes(4096).build());
    String body = "b".repeat(10_000);
    String response = "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    long offset = 0;
    for (int pos = 0; pos < response.length(); pos += 1000) {
      offset = send(offset, response.substring(pos, Math.min(response.length(), pos + 1000)));
    }
    send(offset, "HTTP/1.1 204 No Content\r\n\r\n");

    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(2, out.size());
    assertTrue(out.get(0).getHttp().getBodyTruncated());
    assertEquals(10_000, out.get(0).getHttp().getBodyOriginalLength());
    assertEquals(1000, out.get(0).getHttp().getBody().size());
    assertEquals(204, out.get(1).getHttp().getStatus());
    assertEquals(0, harness.metrics.unknownMessages());
  }
}
