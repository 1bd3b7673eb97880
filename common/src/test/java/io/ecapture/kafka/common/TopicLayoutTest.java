package io.ecapture.kafka.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TopicLayoutTest {
  @Test
  void replicationSuitsTheClusterFound() {
    assertEquals(new TopicLayout(4, (short) 1, 1), TopicLayout.auto(4).resolve(1));
    assertEquals(new TopicLayout(4, (short) 2, 1), TopicLayout.auto(4).resolve(2));
    assertEquals(new TopicLayout(4, (short) 3, 2), TopicLayout.auto(4).resolve(3));
    assertEquals(new TopicLayout(4, (short) 3, 2), TopicLayout.auto(4).resolve(7));
  }

  @Test
  void whatTheOperatorSaysWins() {
    assertEquals(new TopicLayout(2, (short) 5, 2), new TopicLayout(2, (short) 5, 0).resolve(6));
    assertEquals(new TopicLayout(2, (short) 3, 3), new TopicLayout(2, (short) 3, 3).resolve(3));
    assertEquals(new TopicLayout(2, (short) 1, 1), new TopicLayout(2, (short) 1, 0).resolve(3));
  }

  @Test
  void impossibleLayoutsAreRefusedWithTheReason() {
    IllegalArgumentException tooMany =
        assertThrows(IllegalArgumentException.class, () -> new TopicLayout(1, (short) 3, 0).resolve(1));
    assertTrue(tooMany.getMessage().contains("the cluster has 1"), tooMany.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new TopicLayout(1, (short) 2, 3));
    assertThrows(IllegalArgumentException.class, () -> new TopicLayout(0, (short) 0, 0));
  }
}
