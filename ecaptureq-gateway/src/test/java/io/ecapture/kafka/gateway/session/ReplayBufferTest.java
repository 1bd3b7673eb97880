package io.ecapture.kafka.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReplayBufferTest {

  @Test
  void replayBufferKeepsTheMostRecentLinesOldestFirst() {
    ReplayBuffer ring = new ReplayBuffer(3);
    for (int i = 1; i <= 5; i++) {
      ring.add(new byte[] {(byte) i});
    }
    assertEquals(List.of(3, 4, 5), ring.snapshot().stream().map(b -> (int) b[0]).toList());
    ReplayBuffer off = new ReplayBuffer(0);
    off.add(new byte[] {1});
    assertTrue(off.snapshot().isEmpty());
  }
}
