package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The gateway read by a client on a different stack (Node's ws + protobufjs decoding with the
 * project's ecaptureq.proto, see src/test/node/client.mjs): replayed process logs, heartbeats
 * with their counters, events with every field, and permessage-deflate, which ws offers by
 * default, negotiated.
 */
class NodeClientCompatibilityTest {

  @Test
  void aNodeWsClientReadsReplayHeartbeatsAndEvents() throws Exception {
    GatewayConfig cfg =
        GatewayConfig.builder()
            .listen("127.0.0.1:0")
            .bootstrapServers("")
            .replayLogs(2)
            .heartbeatInterval(Duration.ofMillis(200))
            .build();
    try (Gateway gateway = Gateway.start(cfg)) {
      gateway.publishLog("first line");
      gateway.publishLog("second line");
      gateway.publishLog("third line");
      String url = "ws://127.0.0.1:" + gateway.port() + "/?pname=curl";
      try (NodeScripts.Run client =
          new NodeScripts.Run("client.mjs", url, "2", "3", "20000", "http://localhost")) {
        String open = client.nextLine(30);
        assertTrue(open.startsWith("{\"open\":true"), open);
        assertTrue(open.contains("permessage-deflate"), "deflate negotiated: " + open);
        // the replay (most recent 2 lines) comes before heartbeat 0
        assertEquals("{\"log\":\"second line\"}", client.nextLine(10));
        assertEquals("{\"log\":\"third line\"}", client.nextLine(10));
        String hb0 = client.nextLine(10);
        assertTrue(hb0.startsWith("{\"heartbeat\":0,"), hb0);
        assertTrue(hb0.endsWith(",\"message\":\"heartbeat:0\"}"), hb0);

        gateway.publish(message(4242, "wget", "filtered out by pname"));
        gateway.publish(message(4242, "curl", "GET / HTTP/1.1\r\nHost: example\r\n\r\n"));
        gateway.publish(message(4243, "curl", "HTTP/1.1 200 OK\r\n\r\n"));

        List<String> events = new ArrayList<>();
        List<Integer> beats = new ArrayList<>(List.of(0));
        String done;
        while (true) {
          String line = client.nextLine(20);
          if (line.startsWith("{\"done\"")) {
            done = line;
            break;
          }
          if (line.startsWith("{\"event\"")) {
            events.add(line);
          } else if (line.startsWith("{\"heartbeat\"")) {
            beats.add(Integer.parseInt(line.substring(13, line.indexOf(','))));
          }
        }
        assertTrue(done.startsWith("{\"done\":true"), done + "\n" + client.stderr());
        assertEquals(0, client.awaitExit(10));
        assertEquals(List.of(0, 1, 2), beats.subList(0, 3), "per-connection counter: " + beats);
        assertEquals(2, events.size(), events.toString());
        String request = events.get(0);
        assertTrue(request.startsWith("{\"event\":\"GET / HTTP/1.1\\r\\nHost: example\\r\\n\\r\\n\""), request);
        assertTrue(request.contains("\"pid\":4242,\"pname\":\"curl\",\"type\":1,\"length\":33"), request);
        assertTrue(request.contains("\"src\":\"10.0.0.1:50000\",\"dst\":\"10.0.0.2:443\""), request);
        assertTrue(request.contains("\"timestamp\":\"1700000000123456789\""), request);
        assertTrue(events.get(1).contains("\"pid\":4243"), events.get(1));
      }
    }
  }

  @Test
  void theBrowserViewsDecoderAgreesWithProtobufjs() throws Exception {
    try (NodeScripts.Run decoder = new NodeScripts.Run("decoder.mjs")) {
      assertEquals("ok 21", decoder.nextLine(30), decoder.stderr());
      assertEquals(0, decoder.awaitExit(10));
    }
  }

  static ParsedMessage message(int pid, String comm, String text) {
    return ParsedMessage.newBuilder()
        .setHostId("node-test-host")
        .setPid(pid)
        .setTid(pid)
        .setComm(comm)
        .setFd(5)
        .setSrc(Endpoint.newBuilder().setIp("10.0.0.1").setPort(50000))
        .setDst(Endpoint.newBuilder().setIp("10.0.0.2").setPort(443))
        .setFirstByteTimeNs(1_700_000_000_123_456_789L)
        .setProtocol(Protocol.HTTP1).setKind(MessageKind.REQUEST)
        .setRendered(ByteString.copyFromUtf8(text))
        .build();
  }
}
