package io.ecapture.kafka.processor.topology;

import static io.ecapture.kafka.processor.topology.DbConversations.client;
import static io.ecapture.kafka.processor.topology.DbConversations.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.protocol.db.DbWire.Resp;
import io.ecapture.kafka.processor.topology.DbConversations.Step;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Redis through the topology: HELLO 3 with AUTH and a plain AUTH (passwords never emitted), a
 * pipeline of commands answered in order, RESP3 map and push, errors, null bulk.
 */
class RedisTopologyTest extends HarnessTopologyTest {
  static List<Step> conversation() {
    return List.of(
        client(Resp.command("HELLO", "3", "AUTH", "default", "SECRET-PW-1")),
        server("%2\r\n+server\r\n+redis\r\n+proto\r\n:3\r\n".getBytes(StandardCharsets.UTF_8)),
        client(Resp.command("AUTH", "SECRET-PW-2")),
        server(Resp.simple("OK")),
        client(Resp.command("SET", "marker-3", "value one"), Resp.command("GET", "marker-3"),
            Resp.command("INCR", "marker-3"), Resp.command("GET", "missing")),
        server(Resp.simple("OK"), Resp.bulk("value one"),
            Resp.error("ERR value is not an integer or out of range")),
        server("_\r\n>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
            .getBytes(StandardCharsets.UTF_8)),
        client(Resp.command("LRANGE", "list", "0", "-1")),
        server("*3\r\n$1\r\na\r\n:2\r\n$-1\r\n".getBytes(StandardCharsets.UTF_8)),
        // redis-cli --pipe: an empty line, then its closing ECHO
        client("\r\n".getBytes(StandardCharsets.UTF_8), Resp.command("ECHO", "end")),
        server(Resp.bulk("end")));
  }

  @Test
  void commandsAndRepliesArePairedInPipelineOrder() {
    List<ParsedMessage> out = DbConversations.play(harness, CONN, conversation(), 0);
    assertEquals(17, out.size(), out.toString());
    for (ParsedMessage m : out) {
      assertEquals(Protocol.REDIS, m.getProtocol());
      String all = m.toString() + ParsedText.rendered(m).toStringUtf8();
      assertFalse(all.contains("SECRET"), "secret emitted: " + all);
    }
    ParsedMessage hello = out.get(0);
    assertEquals("HELLO", hello.getRedis().getCommand());
    assertEquals(List.of("3", "AUTH", "<redacted>", "<redacted>"),
        hello.getRedis().getArgumentsList());
    assertTrue(hello.getRedis().getRedacted());
    assertEquals("map", out.get(1).getRedis().getReplyType());
    assertEquals(2, out.get(1).getRedis().getReplyElements());
    assertEquals(List.of("<redacted>"), out.get(2).getRedis().getArgumentsList());

    ParsedMessage set = out.get(4);
    assertEquals(MessageKind.REQUEST, set.getKind());
    assertEquals("SET", set.getRedis().getCommand());
    assertEquals("marker-3", set.getRedis().getKey());
    assertEquals("redis SET marker-3 \"value one\"\n", ParsedText.rendered(set).toStringUtf8());
    ParsedMessage get = out.get(5);
    ParsedMessage incr = out.get(6);
    ParsedMessage missing = out.get(7);
    assertEquals(set.getPairId(), out.get(8).getPairId());
    assertEquals("simple_string", out.get(8).getRedis().getReplyType());
    assertEquals(get.getPairId(), out.get(9).getPairId());
    assertEquals("value one", out.get(9).getRedis().getReplyText());
    assertEquals("redis GET marker-3 → bulk_string \"value one\" (1.0 ms)\n",
        ParsedText.rendered(out.get(9)).toStringUtf8());
    assertEquals(incr.getPairId(), out.get(10).getPairId());
    assertTrue(out.get(10).getRedis().getError());
    assertEquals("ERR value is not an integer or out of range", out.get(10).getRedis().getReplyText());
    assertEquals(missing.getPairId(), out.get(11).getPairId());
    assertEquals("null", out.get(11).getRedis().getReplyType());
    assertTrue(out.get(12).getRedis().getPush());
    assertEquals(MessageKind.DATA, out.get(12).getKind());
    assertEquals("redis LRANGE list 0 -1 → array(3) [\"a\", 2, null] (1.0 ms)\n",
        ParsedText.rendered(out.get(14)).toStringUtf8());
    assertEquals("redis ECHO end → bulk_string \"end\" (1.0 ms)\n",
        ParsedText.rendered(out.get(16)).toStringUtf8());
  }

  @Test
  void aPipelineDeeperThanThePendingLimitStillPairsEachReplyWithItsOwnCommand() {
    int depth = harness.config.limits().maxPendingRequests() + 44;
    java.io.ByteArrayOutputStream commands = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream replies = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < depth; i++) {
      commands.writeBytes(Resp.command("GET", "key:" + i));
      replies.writeBytes(Resp.bulk("value:" + i));
    }
    List<ParsedMessage> out = DbConversations.play(harness, CONN, List.of(
        client(commands.toByteArray()), server(replies.toByteArray())), 0);
    assertEquals(2 * depth, out.size());
    java.util.Map<String, String> keyByPair = new java.util.HashMap<>();
    out.stream().filter(m -> m.getKind() == MessageKind.REQUEST)
        .forEach(m -> keyByPair.put(m.getPairId(), m.getRedis().getKey()));
    int paired = 0;
    for (ParsedMessage reply : out.stream().filter(m -> m.getKind() == MessageKind.RESPONSE)
        .toList()) {
      if (!reply.getPairId().isEmpty()) {
        paired++;
        assertEquals(reply.getRedis().getReplyText(),
            keyByPair.get(reply.getPairId()).replace("key:", "value:"), "paired with its own GET");
      }
    }
    assertEquals(harness.config.limits().maxPendingRequests(), paired,
        "the replies to the dropped commands are unpaired, every other one paired right");
  }

  @Test
  void everyByteBoundaryGivesTheSameMessages() {
    DbConversations.sameMessagesAtEveryCut(harness, conversation());
  }
}
