package io.ecapture.kafka.processor.topology;

import static io.ecapture.kafka.processor.topology.TopologyBytes.REQUEST;
import static io.ecapture.kafka.processor.topology.TopologyBytes.RESPONSE;
import static io.ecapture.kafka.processor.topology.TopologyBytes.slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1 through the topology: request/response pairing (latency, identity, pipelining, HEAD),
 * chunked and compressed bodies, large bodies in small chunks, the rendered text's cap.
 */
class Http1PairingTopologyTest extends HarnessTopologyTest {
  @Test
  void requestAndResponseArePairedWithLatencyAndIdentity() {
    harness.send(events.open());
    harness.send(events.data(Direction.WRITE, 0, REQUEST, 1_000));
    harness.send(events.data(Direction.READ, 0, RESPONSE, 5_000_000));

    List<ParsedMessage> out = harness.parsed().readValuesToList();
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
    assertTrue(ParsedText.rendered(request).toStringUtf8().startsWith("POST /submit HTTP/1.1\r\nHost: example.test\r\n"));
    assertTrue(ParsedText.rendered(request).toStringUtf8().endsWith("\r\n\r\nname=ecapture"));

    assertEquals(MessageKind.RESPONSE, response.getKind());
    assertEquals(201, response.getHttp().getStatus());
    assertEquals("Created", response.getHttp().getReason());
    assertEquals(MessageKind.RESPONSE, response.getKind());
    assertFalse(request.getPairId().isEmpty());
    assertEquals(request.getPairId(), response.getPairId());
    assertEquals(5_000_000 - 1_000, response.getLatencyNs());
    assertEquals(3, harness.metrics.recordsIn());
    assertEquals(2, harness.metrics.messagesOut());
  }

  @Test
  void pipelinedRequestsAreEachEmittedAndPairedInOrder() {
    String a = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    String b = "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n";
    harness.send(events.data(Direction.WRITE, 0, a + b, 0));
    String ra = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    // the HEAD response announces a length but has no body (RFC 9112 §6.3)
    String rb = "HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n";
    harness.send(events.data(Direction.READ, 0, ra + rb, 10));

    List<ParsedMessage> out = harness.parsed().readValuesToList();
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
  void chunkedResponsesDeliveredByteByByteGiveOneMessageEach() {
    String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n3;x=y\r\n123\r\n0\r\nX-Trailer: t\r\n\r\n";
    byte[] stream = (chunked + chunked).getBytes(StandardCharsets.ISO_8859_1);
    harness.send(events.data(Direction.WRITE, 0, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 0));
    for (int i = 0; i < stream.length; i++) {
      harness.send(events.data(Direction.READ, i, slice(stream, i, i + 1), i));
    }
    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(4, out.size());
    for (ParsedMessage response : out.subList(2, 4)) {
      assertEquals("abcdefghijklmnopqrstuvwxyz123", response.getHttp().getBody().toStringUtf8());
      assertEquals(chunked.length(), response.getLength());
    }
    assertEquals(out.get(1).getPairId(), out.get(3).getPairId());
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
    harness.send(events.data(Direction.READ, 0, response, 0));

    ParsedMessage message = harness.parsed().readValue();
    assertTrue(message.getHttp().getBodyDecoded());
    assertEquals("gzip", message.getHttp().getContentEncoding());
    assertArrayEquals(json, message.getHttp().getBody().toByteArray());
    assertTrue(ParsedText.rendered(message).toStringUtf8().endsWith("\r\n\r\n{\"answer\":42}"));
  }

  @Test
  void aTextBodyShownWholeIsSentOnceAsTheBodyAndTheTextHoldsTheHead() throws IOException {
    String json = "{\"items\":[" + "{\"id\":1,\"name\":\"alpha\"},".repeat(20) + "{}]}";
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(json.getBytes(StandardCharsets.UTF_8));
    }
    String headText = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + gz.size()
        + "\r\n\r\n";
    byte[] head = headText.getBytes(StandardCharsets.ISO_8859_1);
    byte[] response = new byte[head.length + gz.size()];
    System.arraycopy(head, 0, response, 0, head.length);
    System.arraycopy(gz.toByteArray(), 0, response, head.length, gz.size());
    harness.send(events.data(Direction.READ, 0, response, 0));

    ParsedMessage message = harness.parsed().readValue();
    assertTrue(message.getRenderedBodyShared());
    assertEquals(headText, message.getRendered().toStringUtf8(), "the body is not repeated");
    assertEquals(json, message.getHttp().getBody().toStringUtf8());
    assertEquals(headText + json, ParsedText.rendered(message).toStringUtf8());
    assertFalse(message.getRenderedTruncated());
  }

  @Test
  void ipv6EndpointsAreWrittenInRfc5952Form() {
    byte[] loopback = new byte[16];
    loopback[15] = 1;
    byte[] doc = new byte[16];
    doc[0] = 0x20;
    doc[1] = 0x01;
    doc[2] = 0x0d;
    doc[3] = (byte) 0xb8;
    doc[15] = 1;
    harness.send(events.data(Direction.WRITE, 0, REQUEST, 0).toBuilder()
        .setTuple(io.ecapture.kafka.proto.capture.Tuple.newBuilder().setFamily(AddressFamily.INET6)
            .setSrcAddr(com.google.protobuf.ByteString.copyFrom(loopback)).setSrcPort(50000)
            .setDstAddr(com.google.protobuf.ByteString.copyFrom(doc)).setDstPort(443))
        .build());
    ParsedMessage request = harness.parsed().readValue();
    assertEquals(AddressFamily.INET6, request.getFamily());
    assertEquals("::1", request.getSrc().getIp());
    assertEquals("2001:db8::1", request.getDst().getIp());
  }

  @Test
  void renderedTextIsCappedWhileTheBodyIsKept() {
    harness.close();
    harness = new TopologyHarness(stateDir,
        io.ecapture.kafka.processor.ProcessorLimits.builder().maxRenderedBytes(64 << 10).build());
    String body = "line of text\n".repeat(15_000); // 195 KB
    harness.send(events.data(Direction.READ, 0, "HTTP/1.1 200 OK\r\nContent-Length: " + body.length()
        + "\r\n\r\n" + body, 0));
    ParsedMessage message = harness.parsed().readValue();
    assertEquals(body, message.getHttp().getBody().toStringUtf8());
    String rendered = ParsedText.rendered(message).toStringUtf8();
    assertTrue(rendered.length() < (64 << 10) + 200, "rendered " + rendered.length());
    assertTrue(rendered.endsWith("more characters not shown]"));
    assertTrue(message.getRenderedTruncated());
    String head = "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n";
    assertEquals(head.length() + body.length(), message.getRenderedOriginalLength());
  }

  @Test
  void aLargeBodyArrivingInSmallChunksIsOneMessage() {
    byte[] body = new byte[100_000];
    new Random(5).nextBytes(body);
    byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
        + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    harness.send(events.data(Direction.READ, 0, head, 0));
    for (int pos = 0; pos < body.length; pos += 1000) {
      harness.send(events.data(Direction.READ, head.length + pos, slice(body, pos, pos + 1000), pos + 1));
    }
    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(1, out.size());
    assertArrayEquals(body, out.get(0).getHttp().getBody().toByteArray());
    assertEquals(RawEvents.BASE_NS + body.length - 1000 + 1, out.get(0).getLastByteTimeNs());
    assertTrue(ParsedText.rendered(out.get(0)).toStringUtf8().contains("00000000  "));
  }
}
