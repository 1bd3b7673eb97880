package io.ecapture.kafka.processor.topology;

import static io.ecapture.kafka.processor.topology.TopologyBytes.REQUEST;
import static io.ecapture.kafka.processor.topology.TopologyBytes.RESPONSE;
import static io.ecapture.kafka.processor.topology.TopologyBytes.slice;
import static io.ecapture.kafka.processor.topology.TopologyBytes.split;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Reassembly of a direction's byte stream from chunks: by stream offset whatever their order,
 * one call split into several records, repeats dropped.
 */
class ReassemblyTopologyTest extends HarnessTopologyTest {
  @Test
  void outOfOrderChunksAreReassembledByOffset() {
    byte[] request = REQUEST.getBytes(StandardCharsets.ISO_8859_1);
    harness.send(events.data(Direction.WRITE, 40, slice(request, 40, request.length), 3));
    harness.send(events.data(Direction.WRITE, 0, slice(request, 0, 10), 1));
    assertTrue(harness.parsed().isEmpty());
    harness.send(events.data(Direction.WRITE, 10, slice(request, 10, 40), 2));

    ParsedMessage message = harness.parsed().readValue();
    assertEquals("POST", message.getHttp().getMethod());
    assertEquals("name=ecapture", message.getHttp().getBody().toStringUtf8());
    assertEquals(RawEvents.BASE_NS + 1, message.getFirstByteTimeNs());
    assertEquals(RawEvents.BASE_NS + 3, message.getLastByteTimeNs());
    assertFalse(message.getGapBefore());
    assertTrue(harness.parsed().isEmpty());
  }

  @Test
  void randomSplitsDeliveredInShuffledOrderGiveTheSameMessages() {
    Random random = new Random(20261124);
    for (int round = 0; round < 50; round++) {
      RawEvents conn = new RawEvents("conn-" + round);
      String key = "conn-" + round;
      List<RawEvent> chunks = new ArrayList<>();
      chunks.addAll(split(conn, Direction.WRITE, (REQUEST + REQUEST).getBytes(StandardCharsets.ISO_8859_1), random));
      chunks.addAll(split(conn, Direction.READ, (RESPONSE + RESPONSE).getBytes(StandardCharsets.ISO_8859_1), random));
      Collections.shuffle(chunks, random);
      for (RawEvent chunk : chunks) {
        harness.sendRaw(key, chunk.toByteArray());
      }
      List<ParsedMessage> out = harness.parsed().readValuesToList();
      assertEquals(4, out.size(), "round " + round);
      long requests = out.stream().filter(m -> m.getKind() == MessageKind.REQUEST).count();
      assertEquals(2, requests, "round " + round);
      for (ParsedMessage m : out) {
        assertEquals(Protocol.HTTP1, m.getProtocol());
        String body = m.getHttp().getBody().toStringUtf8();
        assertEquals(m.getKind() == MessageKind.REQUEST ? "name=ecapture" : "{\"ok\":true}", body);
      }
    }
    assertEquals(0, harness.metrics.gaps());
  }

  @Test
  void aCallSplitIntoSeveralRecordsIsReassembled() {
    byte[] body = new byte[40_000];
    java.util.Arrays.fill(body, (byte) 'b');
    byte[] head = ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1);
    byte[] call = new byte[head.length + body.length];
    System.arraycopy(head, 0, call, 0, head.length);
    System.arraycopy(body, 0, call, head.length, body.length);
    int chunk = 16 * 1024;
    for (int start = call.length - call.length % chunk; start >= 0; start -= chunk) {
      // delivered last record first: the records of one call may be reordered too
      int end = Math.min(call.length, start + chunk);
      harness.send(events.chunk(Direction.READ, start, slice(call, start, end), call.length, start, false, start));
    }
    ParsedMessage message = harness.parsed().readValue();
    assertArrayEquals(body, message.getHttp().getBody().toByteArray());
    assertFalse(message.getHttp().getBodyTruncated());
    assertEquals(0, harness.metrics.gaps());
  }

  @Test
  void duplicateChunksAreDroppedAndCounted() {
    RawEvent chunk = events.data(Direction.WRITE, 0, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0);
    harness.send(chunk);
    harness.send(chunk);
    assertEquals(1, harness.parsed().readValuesToList().size());
    assertEquals(1, harness.metrics.duplicateChunks());
  }
}
