package io.ecapture.kafka.collector.packets;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A network interface of this network namespace as {@code /sys/class/net} describes it, with how
 * its frames start: {@code l2Length} bytes before the IP header and the PCAP link type of its
 * frames.
 *
 * @param linkType PCAP LINKTYPE: {@link #LINKTYPE_ETHERNET} (Ethernet, and loopback, whose frames
 *     carry a zeroed Ethernet header) or {@link #LINKTYPE_RAW} (tun, wireguard, IP tunnels)
 */
public record NetInterface(String name, int index, boolean loopback, int l2Length, int linkType) {
  public static final int LINKTYPE_ETHERNET = 1;
  public static final int LINKTYPE_RAW = 101;
  private static final Path SYS_CLASS_NET = Path.of("/sys/class/net");
  private static final int IFF_LOOPBACK = 0x8;
  private static final int ARPHRD_ETHER = 1;
  private static final int ARPHRD_LOOPBACK = 772;
  /** ARPHRD_NONE (tun, wireguard), ARPHRD_TUNNEL, ARPHRD_TUNNEL6, ARPHRD_SIT: frames start at IP. */
  private static final List<Integer> RAW_IP_TYPES = List.of(65534, 768, 769, 776);

  /** Every interface of this network namespace, by name, in ifindex order. */
  public static Map<String, NetInterface> all() {
    Map<String, NetInterface> found = new LinkedHashMap<>();
    try (Stream<Path> entries = Files.list(SYS_CLASS_NET)) {
      List<NetInterface> list = new ArrayList<>();
      for (Path dir : entries.toList()) {
        try {
          read(dir).ifPresent(list::add);
        } catch (IOException | RuntimeException e) {
          // an interface removed while we read it, or one of an unknown kind: not capturable
        }
      }
      list.sort(java.util.Comparator.comparingInt(NetInterface::index));
      list.forEach(i -> found.put(i.name(), i));
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + SYS_CLASS_NET + ": " + e.getMessage(), e);
    }
    return found;
  }

  /**
   * The interfaces {@code names} choose: each name must exist; {@value PacketsConfig#ALL} adds every
   * interface but loopback.
   *
   * @throws IllegalArgumentException for an unknown name or an interface whose frames cannot be
   *     written to PCAP (an unknown link type)
   */
  public static List<NetInterface> resolve(List<String> names) {
    Map<String, NetInterface> all = all();
    Map<String, NetInterface> chosen = new LinkedHashMap<>();
    for (String name : names) {
      if (name.equals(PacketsConfig.ALL)) {
        all.values().stream().filter(i -> !i.loopback() && i.linkType() != 0).forEach(i -> chosen.put(i.name(), i));
        continue;
      }
      NetInterface found = all.get(name);
      if (found == null) {
        throw new IllegalArgumentException("no network interface '" + name + "' (have: " + all.keySet() + ")");
      }
      if (found.linkType() == 0) {
        throw new IllegalArgumentException("interface '" + name + "' has a link type the packets module does not"
            + " know (not Ethernet, loopback or raw IP)");
      }
      chosen.put(name, found);
    }
    return List.copyOf(chosen.values());
  }

  private static java.util.Optional<NetInterface> read(Path dir) throws IOException {
    if (!Files.isRegularFile(dir.resolve("ifindex"))) {
      return java.util.Optional.empty();
    }
    String name = dir.getFileName().toString();
    int index = Integer.parseInt(Files.readString(dir.resolve("ifindex")).strip());
    int type = Integer.parseInt(Files.readString(dir.resolve("type")).strip());
    int flags = Integer.decode(Files.readString(dir.resolve("flags")).strip());
    boolean loopback = (flags & IFF_LOOPBACK) != 0;
    if (type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK) {
      return java.util.Optional.of(new NetInterface(name, index, loopback, 14, LINKTYPE_ETHERNET));
    }
    if (RAW_IP_TYPES.contains(type)) {
      return java.util.Optional.of(new NetInterface(name, index, loopback, 0, LINKTYPE_RAW));
    }
    return java.util.Optional.of(new NetInterface(name, index, loopback, 0, 0)); // unknown: refused
  }
}
