package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.protocol.http2.Http2Handler;
import io.ecapture.kafka.processor.protocol.websocket.MessageInflater;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.processor.state.ProcessorHttp2Stream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import io.ecapture.kafka.processor.fuzz.Fuzz;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Whole connections (HTTP/1, and HTTP/2 and WebSocket exchanges written by Netty) with random
 * mutations, cut into random chunks delivered in random order with random idle flushes, through
 * the real topology with small limits: nothing fails (no processing error, no dead letter), and
 * after every record each connection's stored state stays within the configured limits.
 */
class TopologyFuzzTest {
  private static final ProcessorLimits LIMITS =
      ProcessorLimits.builder().maxStartLineBytes(256).maxHeaderBytes(1024).maxBodyBytes(2048)
          .maxBufferedBytes(4096).maxOutOfOrderBytes(4096).maxHttp2FrameBytes(16384)
          .maxRenderedBytes(1024).build();
  private static final AtomicInteger CONNECTIONS = new AtomicInteger();
  private static TopologyHarness harness;
  private static List<byte[][]> streams;
  private static long carriedErrors;
  private static long restored;
  private static int restarts;

  @BeforeAll
  static void start() throws IOException {
    harness = new TopologyHarness(ProcessorConfig.builder()
        .stateDir(Files.createTempDirectory("topology-fuzz"))
        .limits(LIMITS)
        .build());
    Http2RealBytesTest.Exchange h2 = Http2RealBytesTest.buildExchange();
    WebSocketRealBytesTest.Exchange ws = WebSocketRealBytesTest.buildExchange();
    byte[] request = ("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
        + "GET /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1);
    byte[] response = ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        + "HTTP/1.1 204 No Content\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    // past every limit: a 20 kB body, 12 kB of binary, many HTTP/2 DATA frames
    byte[] bigBody = new byte[20_000];
    new Random(7).nextBytes(bigBody);
    byte[] bigRequest = WebSocketRealBytesTest.concat(("PUT /big HTTP/1.1\r\nHost: h\r\n"
        + "Content-Length: 20000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), bigBody);
    byte[] blob = Arrays.copyOf(bigBody, 12_000);
    byte[] manyFrames;
    try (NettyHttp2Wire c = new NettyHttp2Wire()) {
      c.preface().headers(1, new io.netty.handler.codec.http2.DefaultHttp2Headers().method("POST")
          .path("/upload").scheme("https").authority("h"), 0, false);
      for (int i = 0; i < 40; i++) {
        c.data(1 + 2 * (i % 5), Arrays.copyOf(bigBody, 700), i % 3, false);
      }
      manyFrames = c.take();
    }
    streams = List.of(new byte[][] {request, response}, new byte[][] {h2.client(), h2.server()},
        new byte[][] {ws.client(), ws.server()}, new byte[][] {bigRequest, blob},
        new byte[][] {manyFrames, h2.server()},
        sides(PostgresTopologyTest.conversation()), sides(MysqlTopologyTest.conversation()),
        sides(RedisTopologyTest.conversation()));
  }

  /** A database conversation as its client's and its server's bytes. */
  private static byte[][] sides(List<DbConversations.Step> steps) {
    java.io.ByteArrayOutputStream client = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream server = new java.io.ByteArrayOutputStream();
    for (DbConversations.Step step : steps) {
      (step.direction() == Direction.WRITE ? client : server).writeBytes(step.bytes());
    }
    return new byte[][] {client.toByteArray(), server.toByteArray()};
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  @Test
  void mutatedConnectionsNeverFailAndStateStaysBounded() {
    Fuzz.run(300, TopologyFuzzTest::fuzzOneConnection);
    assertTrue(restarts > 0, "the seeded inputs include restarts");
  }

  private static void fuzzOneConnection(Random random) {
    byte[][] pair = streams.get(random.nextInt(streams.size()));
    String id = "fuzz-" + CONNECTIONS.incrementAndGet();
    RawEvents events = new RawEvents(id);
    long errors = errors();
    for (int side = 0; side < 2; side++) {
      byte[] bytes = mutate(pair[side], random);
      Direction direction = side == 0 ? Direction.WRITE : Direction.READ;
      int[] cuts = random.ints(random.nextInt(6), 0, Math.max(1, bytes.length)).sorted().toArray();
      List<int[]> chunks = chunks(bytes.length, cuts);
      if (random.nextBoolean()) {
        java.util.Collections.shuffle(chunks, random);
      }
      for (int[] chunk : chunks) {
        if (random.nextInt(10) == 0) {
          continue; // a lost chunk: a hole the processor must declare a gap
        }
        harness.send(events.data(direction, chunk[0],
            Arrays.copyOfRange(bytes, chunk[0], chunk[1]), chunk[0]));
        assertBounded(harness.store().get(id));
        if (random.nextInt(60) == 0) {
          restart(); // decoding contexts come back from the state, whatever the bytes were
        }
        if (random.nextInt(8) == 0) {
          harness.idle(Duration.ofMillis(1500));
          assertBounded(harness.store().get(id));
        }
      }
    }
    if (random.nextBoolean()) {
      harness.send(events.close(pair[1].length, pair[0].length));
    }
    harness.idle(Duration.ofSeconds(2));
    assertBounded(harness.store().get(id));
    harness.output(); // drain
    assertEquals(errors, errors());
  }

  private static void restart() {
    carriedErrors += harness.metrics.processingErrors() + harness.metrics.deadLettered();
    restored += harness.metrics.contextsRestored();
    harness = harness.restart();
    restarts++;
  }

  /** Processing errors and dead letters of every harness so far. */
  private static long errors() {
    return carriedErrors + harness.metrics.processingErrors() + harness.metrics.deadLettered();
  }

  private static void assertBounded(ProcessorConnectionState state) {
    if (state == null) {
      return;
    }
    for (ProcessorDirectionState dir : List.of(state.getRead(), state.getWrite())) {
      assertTrue(dir.getBuffer().size() <= LIMITS.maxBufferedBytes(), "buffer " + dir.getBuffer().size());
      long waiting = dir.getOutOfOrderList().stream().mapToLong(c -> c.getPayload().size()).sum();
      assertTrue(waiting <= LIMITS.maxOutOfOrderBytes(), "out of order " + waiting);
      assertTrue(dir.getHttp2StreamsCount() <= LIMITS.maxOpenStreams());
      long bodies = 0;
      for (ProcessorHttp2Stream stream : dir.getHttp2StreamsList()) {
        assertTrue(stream.getBody().size() <= LIMITS.maxBodyBytes());
        assertTrue(stream.getHeaderBlock().size() <= LIMITS.maxHeaderBytes());
        bodies += stream.getBody().size();
      }
      assertTrue(bodies <= LIMITS.maxBufferedBytes(), "open HTTP/2 bodies " + bodies);
      assertTrue(dir.getWsMessage().getPayload().size() <= LIMITS.maxBodyBytes());
      assertTrue(dir.getBufferTimesCount() <= LIMITS.maxBufferedBytes());
      // decoding contexts: the HPACK table within its size (itself within what the decoder
      // accepts), the deflate window at most DEFLATE's 32 KiB
      long tableSize = dir.getHpackEntriesList().stream()
          .mapToLong(h -> h.getName().length() + h.getValue().length() + 32).sum();
      long tableMax = dir.hasHpackTableMaxSize()
          ? Integer.toUnsignedLong(dir.getHpackTableMaxSize()) : Http2Handler.DEFAULT_HPACK_TABLE_SIZE;
      assertTrue(tableSize <= tableMax, "HPACK table " + tableSize + " > " + tableMax);
      assertTrue(tableMax <= LIMITS.maxHpackTableBytes(), "HPACK table size " + tableMax);
      assertTrue(dir.getWsInflateWindow().size() <= MessageInflater.WINDOW_BYTES,
          "deflate window " + dir.getWsInflateWindow().size());
    }
    assertTrue(state.getPendingRequestsCount() <= LIMITS.maxPendingRequests());
  }

  private static List<int[]> chunks(int length, int[] cuts) {
    List<int[]> out = new java.util.ArrayList<>();
    int from = 0;
    for (int cut : cuts) {
      if (cut > from) {
        out.add(new int[] {from, cut});
        from = cut;
      }
    }
    if (from < length) {
      out.add(new int[] {from, length});
    }
    return out;
  }

  private static byte[] mutate(byte[] original, Random random) {
    byte[] data = original.clone();
    int mutations = random.nextInt(4);
    for (int i = 0; i < mutations && data.length > 0; i++) {
      int at = random.nextInt(data.length);
      switch (random.nextInt(3)) {
        case 0 -> data[at] ^= (byte) (1 << random.nextInt(8));
        case 1 -> data[at] = (byte) (random.nextBoolean() ? 0xff : 0x00);
        default -> {
          byte[] longer = new byte[data.length + 64];
          System.arraycopy(data, 0, longer, 0, at);
          random.nextBytes(Arrays.copyOfRange(longer, at, at + 64));
          Arrays.fill(longer, at, at + 64, (byte) random.nextInt(256));
          System.arraycopy(data, at, longer, at + 64, data.length - at);
          data = longer;
        }
      }
    }
    return data;
  }
}
