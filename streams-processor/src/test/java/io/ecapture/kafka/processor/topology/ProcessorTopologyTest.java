package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.StreamsProcessor;
import io.ecapture.kafka.proto.Serdes;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessorTopologyTest {
  private static final String CONN = "host-a/4242/5/1";
  private static final String REQUEST = "POST /submit HTTP/1.1\r\n"
      + "Host: example.test\r\n"
      + "User-Agent: curl/7.88.1\r\n"
      + "Content-Length: 13\r\n"
      + "\r\n"
      + "name=ecapture";
  private static final String RESPONSE = "HTTP/1.1 201 Created\r\n"
      + "Content-Type: application/json\r\n"
      + "Content-Length: 11\r\n"
      + "\r\n"
      + "{\"ok\":true}";

  @TempDir Path stateDir;
  private TopologyTestDriver driver;
  private ProcessorMetrics metrics;
  private TestInputTopic<String, byte[]> raw;
  private TestOutputTopic<String, ParsedMessage> parsed;
  private TestOutputTopic<byte[], byte[]> dlq;
  private KeyValueStore<String, ProcessorConnectionState> store;
  private final RawEvents events = new RawEvents(CONN);

  @BeforeEach
  void start() {
    ProcessorConfig config = ProcessorConfig.defaults()
        .withStateDir(stateDir)
        .withProcessingGuarantee(StreamsConfig.AT_LEAST_ONCE)
        .withIdleFlush(Duration.ofSeconds(1))
        .withConnectionTtl(Duration.ofMinutes(5));
    metrics = new ProcessorMetrics();
    driver = new TopologyTestDriver(StreamsProcessor.buildTopology(config, metrics),
        config.toStreamsProperties(), Instant.parse("2026-01-01T00:00:00Z"));
    raw = driver.createInputTopic(Topics.RAW.name(), new StringSerializer(), new ByteArraySerializer());
    parsed = driver.createOutputTopic(Topics.PARSED.name(), new StringDeserializer(),
        Serdes.PARSED_MESSAGE.deserializer());
    dlq = driver.createOutputTopic(Topics.DLQ.name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    store = driver.getKeyValueStore(TopologyNames.STATE_STORE);
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private void send(RawEvent event) {
    raw.pipeInput(CONN, event.toByteArray());
  }

  private void idle(long ms) {
    driver.advanceWallClockTime(Duration.ofMillis(ms));
  }

  @Test
  void requestAndResponseArePairedWithLatencyAndIdentity() {
    send(events.open());
    send(events.data(Direction.WRITE, 0, REQUEST, 1_000));
    send(events.data(Direction.READ, 0, RESPONSE, 5_000_000));

    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(2, out.size());
    ParsedMessage request = out.get(0);
    ParsedMessage response = out.get(1);

    assertEquals(Protocol.HTTP1, request.getProtocol());
    assertEquals(MessageKind.REQUEST, request.getKind());
    assertEquals(Direction.WRITE, request.getDirection());
    assertEquals("POST", request.getHttp().getMethod());
    assertEquals("/submit", request.getHttp().getPath());
    assertEquals("example.test", request.getHttp().getAuthority());
    assertEquals("name=ecapture", request.getHttp().getBody().toStringUtf8());
    assertEquals(MessageKind.REQUEST, request.getKind());
    assertEquals(CONN, request.getConnectionId());
    assertEquals("host-a", request.getHostId());
    assertEquals(4242, request.getPid());
    assertEquals(4243, request.getTid());
    assertEquals("curl", request.getComm());
    assertEquals(5, request.getFd());
    assertEquals(AddressFamily.INET, request.getFamily());
    assertEquals("10.0.0.5", request.getSrc().getIp());
    assertEquals(51000, request.getSrc().getPort());
    assertEquals("93.184.215.14", request.getDst().getIp());
    assertEquals(443, request.getDst().getPort());
    assertEquals(REQUEST.length(), request.getLength());
    assertEquals(RawEvents.BASE_NS + 1_000, request.getFirstByteTimeNs());
    assertTrue(request.getRendered().toStringUtf8().startsWith("POST /submit HTTP/1.1\r\nHost: example.test\r\n"));
    assertTrue(request.getRendered().toStringUtf8().endsWith("\r\n\r\nname=ecapture"));

    assertEquals(MessageKind.RESPONSE, response.getKind());
    assertEquals(201, response.getHttp().getStatus());
    assertEquals("Created", response.getHttp().getReason());
    assertEquals(MessageKind.RESPONSE, response.getKind());
    assertFalse(request.getPairId().isEmpty());
    assertEquals(request.getPairId(), response.getPairId());
    assertEquals(5_000_000 - 1_000, response.getLatencyNs());
    assertEquals(3, metrics.recordsIn());
    assertEquals(2, metrics.messagesOut());
  }

  @Test
  void outOfOrderChunksAreReassembledByOffset() {
    byte[] request = REQUEST.getBytes(StandardCharsets.ISO_8859_1);
    send(events.data(Direction.WRITE, 40, slice(request, 40, request.length), 3));
    send(events.data(Direction.WRITE, 0, slice(request, 0, 10), 1));
    assertTrue(parsed.isEmpty());
    send(events.data(Direction.WRITE, 10, slice(request, 10, 40), 2));

    ParsedMessage message = parsed.readValue();
    assertEquals("POST", message.getHttp().getMethod());
    assertEquals("name=ecapture", message.getHttp().getBody().toStringUtf8());
    assertEquals(RawEvents.BASE_NS + 1, message.getFirstByteTimeNs());
    assertEquals(RawEvents.BASE_NS + 3, message.getLastByteTimeNs());
    assertFalse(message.getGapBefore());
    assertTrue(parsed.isEmpty());
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
        raw.pipeInput(key, chunk.toByteArray());
      }
      List<ParsedMessage> out = parsed.readValuesToList();
      assertEquals(4, out.size(), "round " + round);
      long requests = out.stream().filter(m -> m.getKind() == MessageKind.REQUEST).count();
      assertEquals(2, requests, "round " + round);
      for (ParsedMessage m : out) {
        assertEquals(Protocol.HTTP1, m.getProtocol());
        String body = m.getHttp().getBody().toStringUtf8();
        assertEquals(m.getKind() == MessageKind.REQUEST ? "name=ecapture" : "{\"ok\":true}", body);
      }
    }
    assertEquals(0, metrics.gaps());
  }

  @Test
  void chunkedResponsesDeliveredByteByByteGiveOneMessageEach() {
    String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n3;x=y\r\n123\r\n0\r\nX-Trailer: t\r\n\r\n";
    byte[] stream = (chunked + chunked).getBytes(StandardCharsets.ISO_8859_1);
    send(events.data(Direction.WRITE, 0, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 0));
    for (int i = 0; i < stream.length; i++) {
      send(events.data(Direction.READ, i, slice(stream, i, i + 1), i));
    }
    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(4, out.size());
    for (ParsedMessage response : out.subList(2, 4)) {
      assertEquals("abcdefghijklmnopqrstuvwxyz123", response.getHttp().getBody().toStringUtf8());
      assertEquals(chunked.length(), response.getLength());
    }
    assertEquals(out.get(1).getPairId(), out.get(3).getPairId());
  }

  @Test
  void unknownDataIsFlushedAsHexDumpOnlyAfterTheDirectionIsIdle() {
    byte[] binary = {0x16, 0x03, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};
    send(events.data(Direction.WRITE, 0, binary, 0));
    idle(900);
    assertTrue(parsed.isEmpty());
    idle(200);

    ParsedMessage message = parsed.readValue();
    assertEquals(Protocol.PROTOCOL_UNKNOWN, message.getProtocol());
    assertEquals(MessageKind.DATA, message.getKind());
    assertArrayEquals(binary, message.getRaw().toByteArray());
    assertEquals("00000000  16 03 01 00 05 68 65 6c  6c 6f                    |.....hello|\n",
        message.getRendered().toStringUtf8());
    assertTrue(parsed.isEmpty());
  }

  @Test
  void responseWithoutLengthIsFlushedWhenIdle() {
    send(events.data(Direction.WRITE, 0, "GET / HTTP/1.0\r\n\r\n", 0));
    send(events.data(Direction.READ, 0, "HTTP/1.0 200 OK\r\n\r\nstreamed", 10));
    assertEquals(1, parsed.readValuesToList().size());
    idle(1000);
    ParsedMessage response = parsed.readValue();
    assertEquals(200, response.getHttp().getStatus());
    assertEquals("streamed", response.getHttp().getBody().toStringUtf8());
    assertFalse(response.getPairId().isEmpty());
  }

  @Test
  void closeFlushesAnIncompleteMessageAtOnceAndDropsTheState() {
    String partial = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-this";
    send(events.data(Direction.READ, 0, partial, 0));
    assertTrue(parsed.isEmpty());
    assertNotNull(store.get(CONN));
    send(events.close(partial.length(), 0));

    ParsedMessage response = parsed.readValue();
    assertTrue(response.getHttp().getBodyTruncated());
    assertEquals(100, response.getHttp().getBodyOriginalLength());
    assertEquals("only-this", response.getHttp().getBody().toStringUtf8());
    assertEquals(null, store.get(CONN));
    assertEquals(1, metrics.truncatedMessages());
  }

  @Test
  void closeBeforeLateDataWaitsForTheAnnouncedBytes() {
    byte[] request = REQUEST.getBytes(StandardCharsets.ISO_8859_1);
    send(events.data(Direction.WRITE, 0, slice(request, 0, 20), 0));
    send(events.close(0, request.length));
    assertTrue(parsed.isEmpty());
    send(events.data(Direction.WRITE, 20, slice(request, 20, request.length), 1));

    ParsedMessage message = parsed.readValue();
    assertEquals("name=ecapture", message.getHttp().getBody().toStringUtf8());
    assertEquals(null, store.get(CONN));
  }

  @Test
  void closedConnectionWithLostBytesIsFlushedWithAGapAfterIdle() {
    send(events.data(Direction.WRITE, 0, "GET /a HTTP/1.1\r\nHost: h\r\n", 0));
    send(events.data(Direction.WRITE, 60, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n", 1));
    send(events.close(0, 200));
    assertTrue(parsed.isEmpty());
    idle(1000);

    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(2, out.size());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(0).getProtocol()); // headers never ended
    assertFalse(out.get(0).getGapBefore());
    assertEquals("/b", out.get(1).getHttp().getPath());
    assertTrue(out.get(1).getGapBefore());
    assertEquals(60, out.get(1).getStreamOffset());
    assertEquals(1, metrics.gaps());
    assertEquals(null, store.get(CONN));
  }

  @Test
  void aCutCallIsFlushedAsSoonAsTheNextCallArrivesAndTheNextMessageHasAGap() {
    String body = "x".repeat(30);
    byte[] call = ("HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n" + body)
        .getBytes(StandardCharsets.ISO_8859_1);
    int captured = call.length - 20; // the capture kept only the start of this call
    send(events.chunk(Direction.READ, 0, slice(call, 0, captured), call.length, 0, true, 0));
    assertTrue(parsed.isEmpty());

    // the next call starts where the cut one ended: no idle wait for bytes that never come
    send(events.data(Direction.READ, call.length, "HTTP/1.1 204 No Content\r\n\r\n", 1));
    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(2, out.size());
    assertTrue(out.get(0).getHttp().getBodyTruncated());
    assertEquals(30, out.get(0).getHttp().getBodyOriginalLength());
    assertEquals(204, out.get(1).getHttp().getStatus());
    assertTrue(out.get(1).getGapBefore());
    assertEquals(call.length, out.get(1).getStreamOffset());
    assertEquals(1, metrics.gaps());
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
      send(events.chunk(Direction.READ, start, slice(call, start, end), call.length, start, false, start));
    }
    ParsedMessage message = parsed.readValue();
    assertArrayEquals(body, message.getHttp().getBody().toByteArray());
    assertFalse(message.getHttp().getBodyTruncated());
    assertEquals(0, metrics.gaps());
  }

  @Test
  void aChunkLostToAReadFaultIsSkippedAtOnce() {
    String first = "GET /a HTTP/1.1\r\nHost: h\r\nX-Pad: aaaa";
    String second = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    int lost = 16;
    int callLength = first.length() + lost + second.length();
    byte[] a = first.getBytes(StandardCharsets.ISO_8859_1);
    byte[] b = second.getBytes(StandardCharsets.ISO_8859_1);
    send(events.chunk(Direction.WRITE, 0, a, callLength, 0, false, 0));
    // the record whose user memory could not be read arrives empty and flagged
    send(events.chunk(Direction.WRITE, a.length, new byte[0], callLength, a.length, true, 1));
    send(events.chunk(Direction.WRITE, a.length + lost, b, callLength, a.length + lost, false, 2));

    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(2, out.size());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(0).getProtocol());
    assertEquals("/b", out.get(1).getHttp().getPath());
    assertTrue(out.get(1).getGapBefore());
    assertEquals(1, metrics.gaps());
  }

  @Test
  void pipelinedRequestsAreEachEmittedAndPairedInOrder() {
    String a = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    String b = "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n";
    send(events.data(Direction.WRITE, 0, a + b, 0));
    String ra = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    // the HEAD response announces a length but has no body (RFC 9112 §6.3)
    String rb = "HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n";
    send(events.data(Direction.READ, 0, ra + rb, 10));

    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(4, out.size());
    assertEquals("/a", out.get(0).getHttp().getPath());
    assertEquals("/b", out.get(1).getHttp().getPath());
    assertEquals(out.get(0).getPairId(), out.get(2).getPairId());
    assertEquals(out.get(1).getPairId(), out.get(3).getPairId());
    assertFalse(out.get(0).getPairId().equals(out.get(1).getPairId()));
    assertEquals(0, out.get(3).getHttp().getBody().size());
    assertEquals(ra.length(), out.get(3).getStreamOffset());
  }

  @Test
  void duplicateChunksAreDroppedAndCounted() {
    RawEvent chunk = events.data(Direction.WRITE, 0, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0);
    send(chunk);
    send(chunk);
    assertEquals(1, parsed.readValuesToList().size());
    assertEquals(1, metrics.duplicateChunks());
  }

  @Test
  void gzipBodiesAreDecodedAndRenderedAsText() throws IOException {
    byte[] json = "{\"answer\":42}".getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(json);
    }
    byte[] head = ("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + gz.size()
        + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] response = new byte[head.length + gz.size()];
    System.arraycopy(head, 0, response, 0, head.length);
    System.arraycopy(gz.toByteArray(), 0, response, head.length, gz.size());
    send(events.data(Direction.READ, 0, response, 0));

    ParsedMessage message = parsed.readValue();
    assertTrue(message.getHttp().getBodyDecoded());
    assertEquals("gzip", message.getHttp().getContentEncoding());
    assertArrayEquals(json, message.getHttp().getBody().toByteArray());
    assertTrue(message.getRendered().toStringUtf8().endsWith("\r\n\r\n{\"answer\":42}"));
  }

  @Test
  void unknownBytesBeforeARequestAreSplitOffAtOnce() {
    send(events.data(Direction.WRITE, 0, "\u0000\u0001garbage\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 0));
    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(2, out.size());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(0).getProtocol());
    assertEquals(10, out.get(0).getLength());
    assertEquals(Protocol.HTTP1, out.get(1).getProtocol());
    assertEquals(10, out.get(1).getStreamOffset());
  }

  @Test
  void binaryDataInManyChunksIsOneUnknownMessageOnceARequestFollows() {
    byte[] binary = new byte[5000];
    new Random(3).nextBytes(binary);
    binary[0] = 0x17; // not the start of any HTTP message
    for (int i = 0; i < binary.length; i++) {
      if (binary[i] == '\n') {
        binary[i] = ' '; // keep every would-be line start out of the data
      }
    }
    for (int pos = 0; pos < binary.length; pos += 100) {
      send(events.data(Direction.WRITE, pos, slice(binary, pos, pos + 100), pos));
    }
    assertTrue(parsed.isEmpty());
    send(events.data(Direction.WRITE, binary.length, "\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n", 9));

    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(2, out.size());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(0).getProtocol());
    assertEquals(binary.length + 1, out.get(0).getLength());
    assertEquals("/after", out.get(1).getHttp().getPath());
    assertEquals(1, metrics.resyncs());
  }

  @Test
  void aLargeBodyArrivingInSmallChunksIsOneMessage() {
    byte[] body = new byte[100_000];
    new Random(5).nextBytes(body);
    byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
        + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    send(events.data(Direction.READ, 0, head, 0));
    for (int pos = 0; pos < body.length; pos += 1000) {
      send(events.data(Direction.READ, head.length + pos, slice(body, pos, pos + 1000), pos + 1));
    }
    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(1, out.size());
    assertArrayEquals(body, out.get(0).getHttp().getBody().toByteArray());
    assertEquals(RawEvents.BASE_NS + body.length - 1000 + 1, out.get(0).getLastByteTimeNs());
    assertTrue(out.get(0).getRendered().toStringUtf8().contains("00000000  "));
  }

  @Test
  void webSocketFramesAreParsedAfterAnAcceptedUpgrade() {
    byte[] maskedHello = java.util.HexFormat.of().parseHex("818537fa213d7f9f4d5158");
    byte[] upgrade = ("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1);
    send(events.data(Direction.WRITE, 0, concat(upgrade, maskedHello), 0));
    byte[] accepted = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] frames = java.util.HexFormat.of().parseHex("810548656c6c6f" + "880203e8");
    send(events.data(Direction.READ, 0, concat(accepted, frames), 10));

    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(5, out.size());
    assertEquals(MessageKind.REQUEST, out.get(0).getKind());
    assertEquals(Protocol.WEBSOCKET, out.get(1).getProtocol());
    assertEquals(MessageKind.DATA, out.get(1).getKind());
    assertTrue(out.get(1).getWebsocket().getMasked());
    assertEquals("Hello", out.get(1).getWebsocket().getPayload().toStringUtf8());
    assertEquals(101, out.get(2).getHttp().getStatus());
    assertEquals(out.get(0).getPairId(), out.get(2).getPairId());
    assertEquals("text", out.get(3).getWebsocket().getOpcodeName());
    assertTrue(out.get(3).getRendered().toStringUtf8().endsWith("\r\n\r\nHello"));
    assertEquals(1000, out.get(4).getWebsocket().getCloseCode());
  }

  @Test
  void anAcceptedConnectTurnsTheConnectionIntoAnOpaqueTunnel() {
    String connect = "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n";
    send(events.data(Direction.WRITE, 0, connect, 0));
    String established = "HTTP/1.1 200 Connection Established\r\n\r\n";
    send(events.data(Direction.READ, 0, established, 1));
    // what follows is the tunnelled stream (here the start of a TLS ClientHello), not HTTP
    byte[] tunnel = java.util.HexFormat.of().parseHex("16030100a5010000a10303");
    send(events.data(Direction.WRITE, connect.length(), tunnel, 2));
    idle(1500);

    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(3, out.size(), out.toString());
    assertEquals("CONNECT", out.get(0).getHttp().getMethod());
    assertEquals(200, out.get(1).getHttp().getStatus());
    assertEquals(out.get(0).getPairId(), out.get(1).getPairId());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(2).getProtocol());
    assertArrayEquals(tunnel, out.get(2).getRaw().toByteArray());
    assertEquals(0, metrics.deadLettered());
    assertEquals(0, metrics.processingErrors());
  }

  @Test
  void aRefusedUpgradeKeepsTheConnectionHttp() {
    String upgrade = "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n";
    send(events.data(Direction.WRITE, 0, upgrade, 0));
    String refused = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    send(events.data(Direction.READ, 0, refused, 1));
    String next = "GET /plain HTTP/1.1\r\nHost: h\r\n\r\n";
    send(events.data(Direction.WRITE, upgrade.length(), next, 2));

    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(3, out.size());
    assertEquals("/plain", out.get(2).getHttp().getPath());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** RFC 7541 Appendix C.3: three requests on one connection sharing the dynamic table. */
  private static final String HPACK_C31 = "828684410f7777772e6578616d706c652e636f6d";
  private static final String HPACK_C32 = "828684be58086e6f2d6361636865";
  private static final String HPACK_C33 = "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565";
  /** RFC 7541 Appendix C.5.1: a 302 response. */
  private static final String HPACK_C51 = "4803333032580770726976617465611d4d6f6e2c203231204f637420"
      + "323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d";

  @Test
  void http2StreamsAreParsedWithOneHpackTableAndPairedByStreamId() {
    java.util.HexFormat hex = java.util.HexFormat.of();
    int endHeaders = 0x4;
    int endStream = 0x1;
    byte[] client = concat(concat(concat(concat(concat(
        io.ecapture.kafka.processor.protocol.http2.Http2FrameParser.CLIENT_PREFACE,
        h2(0x4, 0, 0, new byte[0])),
        h2(0x1, endHeaders | endStream, 1, hex.parseHex(HPACK_C31))),
        h2(0x1, endHeaders, 3, hex.parseHex(HPACK_C32))),
        h2(0x0, endStream, 3, "abc".getBytes(StandardCharsets.US_ASCII))),
        // C.3.3's block split over HEADERS + CONTINUATION
        concat(h2(0x1, endStream, 5, hex.parseHex(HPACK_C33.substring(0, 20))),
            h2(0x9, endHeaders, 5, hex.parseHex(HPACK_C33.substring(20)))));
    byte[] server = concat(concat(concat(
        h2(0x4, 0, 0, new byte[0]),
        h2(0x1, endHeaders, 3, hex.parseHex(HPACK_C51))),
        h2(0x0, endStream, 3, "moved".getBytes(StandardCharsets.US_ASCII))),
        h2(0x1, endHeaders | endStream, 1, new byte[] {(byte) 0x88}));
    // the client bytes in random pieces, as several SSL_write calls would deliver them
    Random random = new Random(11);
    int pos = 0;
    while (pos < client.length) {
      int length = 1 + random.nextInt(Math.min(30, client.length - pos));
      send(events.data(Direction.WRITE, pos, slice(client, pos, pos + length), pos));
      pos += length;
    }
    send(events.data(Direction.READ, 0, server, 1000));

    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(5, out.size());
    ParsedMessage get1 = out.get(0);
    assertEquals(Protocol.HTTP2, get1.getProtocol());
    assertEquals(MessageKind.REQUEST, get1.getKind());
    assertEquals(1, get1.getHttp2StreamId());
    assertEquals("GET", get1.getHttp().getMethod());
    assertEquals("/", get1.getHttp().getPath());
    assertEquals("www.example.com", get1.getHttp().getAuthority());
    ParsedMessage get3 = out.get(1);
    assertEquals("www.example.com", get3.getHttp().getAuthority()); // from the dynamic table
    assertTrue(get3.getHttp().getHeadersList().stream()
        .anyMatch(h -> h.getName().equals("cache-control") && h.getValue().equals("no-cache")));
    assertEquals("abc", get3.getHttp().getBody().toStringUtf8());
    ParsedMessage get5 = out.get(2);
    assertEquals("/index.html", get5.getHttp().getPath());
    assertTrue(get5.getHttp().getHeadersList().stream().anyMatch(h -> h.getName().equals("custom-key")));
    ParsedMessage moved = out.get(3);
    assertEquals(MessageKind.RESPONSE, moved.getKind());
    assertEquals(302, moved.getHttp().getStatus());
    assertEquals("moved", moved.getHttp().getBody().toStringUtf8());
    assertEquals(get3.getPairId(), moved.getPairId());
    ParsedMessage ok = out.get(4);
    assertEquals(200, ok.getHttp().getStatus());
    assertEquals(get1.getPairId(), ok.getPairId());
    assertTrue(ok.getRendered().toStringUtf8().startsWith("HTTP/2 200\r\n"));
    assertTrue(get1.getRendered().toStringUtf8().startsWith("GET / HTTP/2\r\n"));
  }

  @Test
  void anOpenHttp2StreamIsFlushedTruncatedWhenIdle() {
    byte[] client = concat(io.ecapture.kafka.processor.protocol.http2.Http2FrameParser.CLIENT_PREFACE,
        concat(h2(0x1, 0x4, 1, java.util.HexFormat.of().parseHex(HPACK_C31)),
            h2(0x0, 0, 1, "partial".getBytes(StandardCharsets.US_ASCII))));
    send(events.data(Direction.WRITE, 0, client, 0));
    assertTrue(parsed.isEmpty());
    idle(1000);
    ParsedMessage message = parsed.readValue();
    assertEquals("GET", message.getHttp().getMethod());
    assertEquals("partial", message.getHttp().getBody().toStringUtf8());
    assertTrue(message.getHttp().getBodyTruncated());
  }

  @Test
  void grpcCallsAreTaggedGrpc() {
    // literal fields without indexing (RFC 7541 §6.2.2): :method POST, :path, content-type
    java.io.ByteArrayOutputStream block = new java.io.ByteArrayOutputStream();
    block.write(0x83); // :method POST (static index 3)
    block.write(0x04); // :path, literal value follows
    byte[] path = "/pkg.Svc/Call".getBytes(StandardCharsets.US_ASCII);
    block.write(path.length);
    block.writeBytes(path);
    block.write(0x0f); // content-type is static index 31: 4-bit prefix 15 + 16
    block.write(0x10);
    byte[] type = "application/grpc".getBytes(StandardCharsets.US_ASCII);
    block.write(type.length);
    block.writeBytes(type);
    byte[] client = concat(io.ecapture.kafka.processor.protocol.http2.Http2FrameParser.CLIENT_PREFACE,
        concat(h2(0x1, 0x4, 1, block.toByteArray()), h2(0x0, 0x1, 1, new byte[] {0, 0, 0, 0, 2, 8, 1})));
    send(events.data(Direction.WRITE, 0, client, 0));
    ParsedMessage call = parsed.readValue();
    assertEquals(Protocol.GRPC, call.getProtocol());
    assertEquals("/pkg.Svc/Call", call.getHttp().getPath());
    assertEquals(MessageKind.REQUEST, call.getKind());
    assertEquals(7, call.getHttp().getBody().size());
  }

  private static byte[] h2(int type, int flags, int stream, byte[] payload) {
    return io.ecapture.kafka.processor.protocol.http2.Http2TestFrames.frame(type, flags, stream, payload);
  }

  @Test
  void largeUnknownDataIsSplitIntoRecordsUnderTheKafkaLimit() {
    byte[] binary = new byte[600 << 10];
    new Random(9).nextBytes(binary);
    binary[0] = 0x17;
    for (int i = 0; i < binary.length; i++) {
      if (binary[i] == '\n') {
        binary[i] = 0;
      }
    }
    for (int pos = 0; pos < binary.length; pos += 16384) {
      int end = Math.min(binary.length, pos + 16384);
      send(events.data(Direction.READ, pos, slice(binary, pos, end), pos));
    }
    idle(1000);
    List<ParsedMessage> out = parsed.readValuesToList();
    assertEquals(3, out.size());
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    long expectedOffset = 0;
    for (ParsedMessage m : out) {
      assertEquals(expectedOffset, m.getStreamOffset());
      expectedOffset += m.getLength();
      joined.writeBytes(m.getRaw().toByteArray());
      assertTrue(m.getSerializedSize() < 1 << 19, "record of " + m.getSerializedSize() + " bytes");
      assertTrue(m.getRendered().toStringUtf8().contains("more bytes not shown]"));
    }
    assertArrayEquals(binary, joined.toByteArray());
  }

  @Test
  void renderedTextIsCappedWhileTheBodyIsKept() {
    String body = "line of text\n".repeat(15_000); // 195 KB
    send(events.data(Direction.READ, 0, "HTTP/1.1 200 OK\r\nContent-Length: " + body.length()
        + "\r\n\r\n" + body, 0));
    ParsedMessage message = parsed.readValue();
    assertEquals(body, message.getHttp().getBody().toStringUtf8());
    String rendered = message.getRendered().toStringUtf8();
    assertTrue(rendered.length() < (64 << 10) + 200, "rendered " + rendered.length());
    assertTrue(rendered.endsWith("more characters not shown]"));
  }

  @Test
  void poisonPillGoesToTheDeadLetterTopicAndProcessingContinues() {
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01};
    raw.pipeInput(new TestRecord<>(CONN, garbage));
    send(events.data(Direction.WRITE, 0, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0));

    TestRecord<byte[], byte[]> dead = dlq.readRecord();
    assertArrayEquals(garbage, dead.value());
    assertEquals(CONN, new String(dead.key(), StandardCharsets.UTF_8));
    Header error = dead.headers().lastHeader(DeadLetters.HEADER_ERROR);
    assertTrue(new String(error.value(), StandardCharsets.UTF_8).contains("RawEvent"));
    assertEquals(Topics.RAW.name(), new String(
        dead.headers().lastHeader(DeadLetters.HEADER_SOURCE_TOPIC).value(), StandardCharsets.UTF_8));
    assertEquals(1, metrics.deadLettered());
    assertEquals(1, parsed.readValuesToList().size());
  }

  @Test
  void eventsThatCannotBeProcessedAreDeadLettered() {
    raw.pipeInput(CONN, RawEvent.newBuilder().setConnectionId(CONN).build().toByteArray());
    raw.pipeInput(CONN, (byte[]) null);
    assertEquals(2, dlq.readRecordsToList().size());
    assertEquals(2, metrics.deadLettered());
    assertTrue(parsed.isEmpty());
  }

  @Test
  void idleConnectionStateIsEvictedAfterItsTtl() {
    send(events.data(Direction.WRITE, 0, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0));
    assertNotNull(store.get(CONN));
    assertEquals(1, metrics.openConnections());
    idle(Duration.ofMinutes(4).toMillis());
    assertNotNull(store.get(CONN));
    idle(Duration.ofMinutes(1).toMillis());
    assertEquals(null, store.get(CONN));
    assertEquals(1, metrics.evictedConnections());
    assertEquals(0, metrics.openConnections());
  }

  private static List<RawEvent> split(RawEvents conn, Direction direction, byte[] data, Random random) {
    List<RawEvent> chunks = new ArrayList<>();
    int pos = 0;
    while (pos < data.length) {
      int length = 1 + random.nextInt(Math.min(40, data.length - pos));
      chunks.add(conn.data(direction, pos, slice(data, pos, pos + length), pos));
      pos += length;
    }
    return chunks;
  }

  private static byte[] slice(byte[] data, int from, int to) {
    return java.util.Arrays.copyOfRange(data, from, to);
  }
}
