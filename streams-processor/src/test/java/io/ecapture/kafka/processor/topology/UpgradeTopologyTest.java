package io.ecapture.kafka.processor.topology;

import static io.ecapture.kafka.processor.topology.TopologyBytes.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Protocol switches after HTTP/1: an accepted WebSocket upgrade, a refused one, a CONNECT tunnel.
 */
class UpgradeTopologyTest extends HarnessTopologyTest {
  @Test
  void webSocketFramesAreParsedAfterAnAcceptedUpgrade() {
    byte[] maskedHello = java.util.HexFormat.of().parseHex("818537fa213d7f9f4d5158");
    byte[] upgrade = ("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1);
    harness.send(events.data(Direction.WRITE, 0, concat(upgrade, maskedHello), 0));
    byte[] accepted = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] frames = java.util.HexFormat.of().parseHex("810548656c6c6f" + "880203e8");
    harness.send(events.data(Direction.READ, 0, concat(accepted, frames), 10));

    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(5, out.size());
    assertEquals(MessageKind.REQUEST, out.get(0).getKind());
    assertEquals(Protocol.WEBSOCKET, out.get(1).getProtocol());
    assertEquals(MessageKind.DATA, out.get(1).getKind());
    assertTrue(out.get(1).getWebsocket().getMasked());
    assertEquals("Hello", out.get(1).getWebsocket().getPayload().toStringUtf8());
    assertEquals(101, out.get(2).getHttp().getStatus());
    assertEquals(out.get(0).getPairId(), out.get(2).getPairId());
    assertEquals("text", out.get(3).getWebsocket().getOpcodeName());
    assertTrue(ParsedText.rendered(out.get(3)).toStringUtf8().endsWith("\r\n\r\nHello"));
    assertEquals(1000, out.get(4).getWebsocket().getCloseCode());
  }

  @Test
  void aRefusedUpgradeKeepsTheConnectionHttp() {
    String upgrade = "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n";
    harness.send(events.data(Direction.WRITE, 0, upgrade, 0));
    String refused = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    harness.send(events.data(Direction.READ, 0, refused, 1));
    String next = "GET /plain HTTP/1.1\r\nHost: h\r\n\r\n";
    harness.send(events.data(Direction.WRITE, upgrade.length(), next, 2));

    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(3, out.size());
    assertEquals("/plain", out.get(2).getHttp().getPath());
  }

  @Test
  void anAcceptedConnectTurnsTheConnectionIntoAnOpaqueTunnel() {
    String connect = "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n";
    harness.send(events.data(Direction.WRITE, 0, connect, 0));
    String established = "HTTP/1.1 200 Connection Established\r\n\r\n";
    harness.send(events.data(Direction.READ, 0, established, 1));
    // what follows is the tunnelled stream (here the start of a TLS ClientHello), not HTTP
    byte[] tunnel = java.util.HexFormat.of().parseHex("16030100a5010000a10303");
    harness.send(events.data(Direction.WRITE, connect.length(), tunnel, 2));
    harness.idle(1500);

    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(3, out.size(), out.toString());
    assertEquals("CONNECT", out.get(0).getHttp().getMethod());
    assertEquals(200, out.get(1).getHttp().getStatus());
    assertEquals(out.get(0).getPairId(), out.get(1).getPairId());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(2).getProtocol());
    assertArrayEquals(tunnel, out.get(2).getRaw().toByteArray());
    assertEquals(0, harness.metrics.deadLettered());
    assertEquals(0, harness.metrics.processingErrors());
  }
}
