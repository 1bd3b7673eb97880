package io.ecapture.kafka.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What a client's URL query asks for: {@link ClientFilter} and {@link ClientOptions}. */
class ClientOptionsTest {

  @Test
  void filtersAreOrWithinAKeyAndAndAcrossKeys() {
    ClientFilter f = ClientFilter.parse("/?host=a&host=b&port=443&token=secret");
    ParsedMessage.Builder m =
        ParsedMessage.newBuilder()
            .setHostId("b")
            .setSrc(Endpoint.newBuilder().setIp("10.0.0.1").setPort(50000))
            .setDst(Endpoint.newBuilder().setIp("10.0.0.2").setPort(443));
    assertTrue(f.accepts(m.build()));
    assertFalse(f.accepts(m.setHostId("c").build()));
    assertFalse(f.accepts(m.setHostId("a").setDst(Endpoint.newBuilder().setPort(80)).build()));
    assertTrue(ClientFilter.parse("/").isAll());
    ClientFilter byPname = ClientFilter.parse("/x?pname=my%20app&type=1&pid=9");
    assertTrue(byPname.accepts(ParsedMessage.newBuilder().setComm("my app").setProtocol(Protocol.HTTP1).setKind(MessageKind.REQUEST).setPid(9).build()));
    assertFalse(byPname.accepts(ParsedMessage.newBuilder().setComm("my app").setProtocol(Protocol.HTTP1).setKind(MessageKind.RESPONSE).setPid(9).build()));
  }

  @Test
  void badFilterNumbersAreRefusedWithTheirName() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ClientFilter.parse("/?pid=abc"));
    assertTrue(e.getMessage().contains("pid=abc"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ClientFilter.parse("/?type=6"));
    assertThrows(IllegalArgumentException.class, () -> ClientFilter.parse("/?port=70000"));
  }

  @Test
  void clientOptionsParseAnnotationsAndReplayBoundsAndRejectNonsense() {
    ClientOptions o = ClientOptions.parse("/?pid=3&annotate=host&since=90s&last=5&token=x");
    assertTrue(o.annotateHost());
    assertEquals(Duration.ofSeconds(90), o.since());
    assertEquals(5, o.last());
    assertTrue(o.wantsReplay());
    assertTrue(o.filter().pids().contains(3L));
    assertEquals(ClientOptions.DEFAULT, ClientOptions.parse("/?token=x"));
    assertFalse(ClientOptions.parse("/").wantsReplay());
    assertEquals(Duration.ofMillis(500), ClientOptions.parseAge("500ms"));
    assertEquals(Duration.ofMinutes(5), ClientOptions.parseAge("5m"));
    assertEquals(Duration.ofHours(1), ClientOptions.parseAge("PT1H"));
    assertEquals(Duration.ofSeconds(7), ClientOptions.parseAge("7"));
    assertThrows(IllegalArgumentException.class, () -> ClientOptions.parse("/?since=soon"));
    assertThrows(IllegalArgumentException.class, () -> ClientOptions.parse("/?since=0s"));
    assertThrows(IllegalArgumentException.class, () -> ClientOptions.parse("/?last=-1"));
    assertThrows(IllegalArgumentException.class, () -> ClientOptions.parse("/?annotate=everything"));
  }

  @Test
  void annotatePairAddsThePairFieldsToEventFrames() {
    ClientOptions o = ClientOptions.parse("/?annotate=host,pair");
    assertTrue(o.annotatePair());
    assertTrue(o.annotateHost());
    assertFalse(o.annotateWorkload());
    assertTrue(o.annotates());
    assertTrue(ClientOptions.parse("/?annotate=pair").annotatePair());
    io.ecapture.kafka.proto.parsed.ParsedMessage m = io.ecapture.kafka.proto.parsed.ParsedMessage
        .newBuilder().setHostId("h").setPairId("c#0").setLatencyNs(5).build();
    byte[] frame = {0x08, 0x02};
    byte[] pairOnly = ClientOptions.parse("/?annotate=pair").annotate(frame, m);
    assertEquals(java.util.Arrays.toString(io.ecapture.kafka.gateway.wire.LogEntries.withPair(frame, m)),
        java.util.Arrays.toString(pairOnly));
  }
}
