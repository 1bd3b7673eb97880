package io.ecapture.kafka.pcapng;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KeyLogIndexTest {
  static final String RANDOM = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

  @Test
  void linesAreFoundByClientRandomOnceEach() {
    KeyLogIndex index = new KeyLogIndex();
    assertEquals(Optional.of(RANDOM), index.add("CLIENT_TRAFFIC_SECRET_0 " + RANDOM + " abcd"));
    index.add("CLIENT_TRAFFIC_SECRET_0 " + RANDOM + " abcd"); // the server side reports it too
    index.add("SERVER_TRAFFIC_SECRET_0 " + RANDOM.toUpperCase() + " ef01");
    assertEquals(List.of("CLIENT_TRAFFIC_SECRET_0 " + RANDOM + " abcd", "SERVER_TRAFFIC_SECRET_0 " + RANDOM.toUpperCase() + " ef01"),
        List.copyOf(index.lines(RANDOM)));
    assertTrue(index.lines("ff".repeat(32)).isEmpty());
  }

  @Test
  void nonKeyLogLinesAreCounted() {
    KeyLogIndex index = new KeyLogIndex();
    assertEquals(Optional.empty(), index.add("garbage"));
    assertEquals(Optional.empty(), index.add("CLIENT_RANDOM 1234 abcd"));
    assertEquals(Optional.empty(), index.add("CLIENT_RANDOM " + RANDOM + " not-hex"));
    assertEquals(3, index.malformed());
  }

  @Test
  void clientHelloRandomIsReadFromARecordStart() {
    byte[] hello = HexFormat.of().parseHex("160301" + "00f0" + "01" + "0000ec" + "0303" + RANDOM + "20");
    assertEquals(Optional.of(RANDOM), KeyLogIndex.clientHelloRandom(hello, 0, hello.length));
    hello[5] = 0x02; // ServerHello
    assertEquals(Optional.empty(), KeyLogIndex.clientHelloRandom(hello, 0, hello.length));
    assertEquals(Optional.empty(), KeyLogIndex.clientHelloRandom(hello, 0, 20), "cut before the random");
  }
}
