package io.ecapture.kafka.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ClientSessionTest {

  @Test
  void wireSizeFollowsRfc6455LengthEncoding() {
    assertEquals(2 + 125, ClientSession.wireSize(125));
    assertEquals(4 + 126, ClientSession.wireSize(126));
    assertEquals(4 + 65535, ClientSession.wireSize(65535));
    assertEquals(10 + 65536, ClientSession.wireSize(65536));
  }
}
