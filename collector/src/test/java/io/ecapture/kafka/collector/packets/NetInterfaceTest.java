package io.ecapture.kafka.collector.packets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Interface names to interfaces, read from this machine's /sys/class/net. */
class NetInterfaceTest {
  @Test
  void loopbackIsEthernetFramedAndNamedExplicitly() {
    List<NetInterface> lo = NetInterface.resolve(List.of("lo"));
    assertEquals(1, lo.size());
    assertTrue(lo.getFirst().loopback());
    assertEquals(14, lo.getFirst().l2Length());
    assertEquals(NetInterface.LINKTYPE_ETHERNET, lo.getFirst().linkType());
    assertTrue(lo.getFirst().index() > 0);
  }

  @Test
  void allMeansEveryInterfaceButLoopback() {
    List<NetInterface> all = NetInterface.resolve(List.of("all"));
    assertFalse(all.stream().anyMatch(NetInterface::loopback));
    long known = NetInterface.all().values().stream().filter(i -> !i.loopback() && i.linkType() != 0).count();
    assertEquals(known, all.size());
    // lo added by name as well: once
    assertEquals(known + 1, NetInterface.resolve(List.of("all", "lo", "lo")).size());
  }

  @Test
  void anUnknownInterfaceIsRefusedWithTheKnownNames() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NetInterface.resolve(List.of("no-such-if0")));
    assertTrue(e.getMessage().contains("no-such-if0") && e.getMessage().contains("lo"), e.getMessage());
  }
}
