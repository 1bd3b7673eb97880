package io.ecapture.kafka.processor.topology;

import static io.ecapture.kafka.processor.topology.TopologyBytes.REQUEST;
import static io.ecapture.kafka.processor.topology.TopologyBytes.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When leftovers leave and lost bytes become gaps: idle flushes, closes (with and without every
 * announced byte), calls the capture cut, chunks lost to read faults, and the connection TTL.
 */
class GapsAndFlushTopologyTest extends HarnessTopologyTest {
  @Test
  void responseWithoutLengthIsFlushedWhenIdle() {
    harness.send(events.data(Direction.WRITE, 0, "GET / HTTP/1.0\r\n\r\n", 0));
    harness.send(events.data(Direction.READ, 0, "HTTP/1.0 200 OK\r\n\r\nstreamed", 10));
    assertEquals(1, harness.parsed().readValuesToList().size());
    harness.idle(1000);
    ParsedMessage response = harness.parsed().readValue();
    assertEquals(200, response.getHttp().getStatus());
    assertEquals("streamed", response.getHttp().getBody().toStringUtf8());
    assertFalse(response.getPairId().isEmpty());
  }

  @Test
  void closeFlushesAnIncompleteMessageAtOnceAndDropsTheState() {
    String partial = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-this";
    harness.send(events.data(Direction.READ, 0, partial, 0));
    assertTrue(harness.parsed().isEmpty());
    assertNotNull(harness.store().get(CONN));
    harness.send(events.close(partial.length(), 0));

    ParsedMessage response = harness.parsed().readValue();
    assertTrue(response.getHttp().getBodyTruncated());
    assertEquals(100, response.getHttp().getBodyOriginalLength());
    assertEquals("only-this", response.getHttp().getBody().toStringUtf8());
    assertEquals(null, harness.openState(CONN));
    assertEquals(1, harness.metrics.truncatedMessages());
  }

  @Test
  void closeBeforeLateDataWaitsForTheAnnouncedBytes() {
    byte[] request = REQUEST.getBytes(StandardCharsets.ISO_8859_1);
    harness.send(events.data(Direction.WRITE, 0, slice(request, 0, 20), 0));
    harness.send(events.close(0, request.length));
    assertTrue(harness.parsed().isEmpty());
    harness.send(events.data(Direction.WRITE, 20, slice(request, 20, request.length), 1));

    ParsedMessage message = harness.parsed().readValue();
    assertEquals("name=ecapture", message.getHttp().getBody().toStringUtf8());
    assertEquals(null, harness.openState(CONN));
  }

  @Test
  void closedConnectionWithLostBytesIsFlushedWithAGapAfterIdle() {
    harness.send(events.data(Direction.WRITE, 0, "GET /a HTTP/1.1\r\nHost: h\r\n", 0));
    harness.send(events.data(Direction.WRITE, 60, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n", 1));
    harness.send(events.close(0, 200));
    assertTrue(harness.parsed().isEmpty());
    harness.idle(1000);

    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(2, out.size());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(0).getProtocol()); // headers never ended
    assertFalse(out.get(0).getGapBefore());
    assertEquals("/b", out.get(1).getHttp().getPath());
    assertTrue(out.get(1).getGapBefore());
    assertEquals(60, out.get(1).getStreamOffset());
    assertEquals(1, harness.metrics.gaps());
    assertEquals(null, harness.openState(CONN));
  }

  @Test
  void aCutCallIsFlushedAsSoonAsTheNextCallArrivesAndTheNextMessageHasAGap() {
    String body = "x".repeat(30);
    byte[] call = ("HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n" + body)
        .getBytes(StandardCharsets.ISO_8859_1);
    int captured = call.length - 20; // the capture kept only the start of this call
    harness.send(events.chunk(Direction.READ, 0, slice(call, 0, captured), call.length, 0, true, 0));
    assertTrue(harness.parsed().isEmpty());

    // the next call starts where the cut one ended: no idle wait for bytes that never come
    harness.send(events.data(Direction.READ, call.length, "HTTP/1.1 204 No Content\r\n\r\n", 1));
    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(2, out.size());
    assertTrue(out.get(0).getHttp().getBodyTruncated());
    assertEquals(30, out.get(0).getHttp().getBodyOriginalLength());
    assertEquals(204, out.get(1).getHttp().getStatus());
    assertTrue(out.get(1).getGapBefore());
    assertEquals(call.length, out.get(1).getStreamOffset());
    assertEquals(1, harness.metrics.gaps());
  }

  @Test
  void aChunkLostToAReadFaultIsSkippedAtOnce() {
    String first = "GET /a HTTP/1.1\r\nHost: h\r\nX-Pad: aaaa";
    String second = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    int lost = 16;
    int callLength = first.length() + lost + second.length();
    byte[] a = first.getBytes(StandardCharsets.ISO_8859_1);
    byte[] b = second.getBytes(StandardCharsets.ISO_8859_1);
    harness.send(events.chunk(Direction.WRITE, 0, a, callLength, 0, false, 0));
    // the record whose user memory could not be read arrives empty and flagged
    harness.send(events.chunk(Direction.WRITE, a.length, new byte[0], callLength, a.length, true, 1));
    harness.send(events.chunk(Direction.WRITE, a.length + lost, b, callLength, a.length + lost, false, 2));

    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(2, out.size());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(0).getProtocol());
    assertEquals("/b", out.get(1).getHttp().getPath());
    assertTrue(out.get(1).getGapBefore());
    assertEquals(1, harness.metrics.gaps());
  }

  @Test
  void idleConnectionStateIsEvictedAfterItsTtl() {
    harness.send(events.data(Direction.WRITE, 0, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0));
    assertNotNull(harness.store().get(CONN));
    assertEquals(1, harness.metrics.openConnections());
    harness.idle(Duration.ofMinutes(4).toMillis());
    assertNotNull(harness.store().get(CONN));
    harness.idle(Duration.ofMinutes(1).toMillis());
    assertEquals(null, harness.openState(CONN));
    assertEquals(1, harness.metrics.evictedConnections());
    assertEquals(0, harness.metrics.openConnections());
  }
}
