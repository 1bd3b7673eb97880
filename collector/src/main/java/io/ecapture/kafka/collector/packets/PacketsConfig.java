package io.ecapture.kafka.collector.packets;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The packets module's settings: which interfaces get the TC classifiers and which frames they
 * copy. Immutable; {@link #disabled()} (no interface) is the collector's default.
 *
 * @param interfaces interface names ({@code lo} allowed) or {@value #ALL} for every interface but
 *     loopback; empty: the module is off. Default empty.
 * @param ports TCP ports whose frames are captured (either end). Default {@link #DEFAULT_PORTS}.
 * @param learnPorts also capture the server port of every connection the TLS probes decode (so
 *     later connections to a TLS service on another port are captured whole, handshake
 *     included). Default true.
 * @param matchFlows also capture the frames of every connection the TLS probes decoded, by its
 *     4-tuple, whatever its ports (from the moment it was decoded, so without its handshake).
 *     Default true.
 * @param snapLength bytes of each frame kept, 1 to {@link #MAX_SNAP_LENGTH}; longer frames are cut
 *     (their original length is kept). Default {@link #MAX_SNAP_LENGTH}: whole frames, which
 *     Wireshark needs to decrypt.
 * @param ringBufferBytes size of the packets' own kernel ring buffer, a power of two of at least
 *     {@link #MIN_RING_BUFFER_BYTES}. Default {@link #DEFAULT_RING_BUFFER_BYTES}.
 */
public record PacketsConfig(
    List<String> interfaces, Set<Integer> ports, boolean learnPorts, boolean matchFlows, int snapLength,
    int ringBufferBytes) {

  /** The interface name meaning every interface but loopback. */
  public static final String ALL = "all";
  public static final Set<Integer> DEFAULT_PORTS = Set.of(443);
  /**
   * The BPF side's limit (packets.h PACKET_MAX_SNAP). Frames are seen before GSO segmentation: on
   * loopback with BIG TCP they reach 128 KiB (131032 bytes measured on Linux 6.18).
   */
  public static final int MAX_SNAP_LENGTH = 256 << 10;
  public static final int DEFAULT_SNAP_LENGTH = MAX_SNAP_LENGTH;
  public static final int DEFAULT_RING_BUFFER_BYTES = 32 << 20;
  /** Room for a few whole frames of the largest snap length. */
  public static final int MIN_RING_BUFFER_BYTES = 1 << 20;
  /** Ports the BPF map holds, configured and learned together (packets.bpf.c packet_ports). */
  public static final int MAX_PORTS = 1024;

  public PacketsConfig {
    interfaces = List.copyOf(interfaces);
    ports = Set.copyOf(new TreeSet<>(ports));
    for (String name : interfaces) {
      if (name.isBlank() || name.contains("/")) {
        throw new IllegalArgumentException("bad interface name: '" + name + "'");
      }
    }
    for (int port : ports) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
    }
    if (ports.size() > MAX_PORTS) {
      throw new IllegalArgumentException("at most " + MAX_PORTS + " ports");
    }
    if (snapLength < 1 || snapLength > MAX_SNAP_LENGTH) {
      throw new IllegalArgumentException("snap length must be 1 to " + MAX_SNAP_LENGTH + ": " + snapLength);
    }
    if (ringBufferBytes < MIN_RING_BUFFER_BYTES || Integer.bitCount(ringBufferBytes) != 1) {
      throw new IllegalArgumentException(
          "packets ring buffer must be a power of two >= " + MIN_RING_BUFFER_BYTES + ": " + ringBufferBytes);
    }
  }

  /** The module off (no interface); every other setting at its default. */
  public static PacketsConfig disabled() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().interfaces(interfaces).ports(ports).learnPorts(learnPorts).matchFlows(matchFlows)
        .snapLength(snapLength).ringBufferBytes(ringBufferBytes);
  }

  /** True when at least one interface is chosen. */
  public boolean enabled() {
    return !interfaces.isEmpty();
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private List<String> interfaces = List.of();
    private Set<Integer> ports = DEFAULT_PORTS;
    private boolean learnPorts = true;
    private boolean matchFlows = true;
    private int snapLength = DEFAULT_SNAP_LENGTH;
    private int ringBufferBytes = DEFAULT_RING_BUFFER_BYTES;

    private Builder() {}

    public Builder interfaces(List<String> v) {
      interfaces = Objects.requireNonNull(v, "interfaces");
      return this;
    }

    public Builder ports(Set<Integer> v) {
      ports = Objects.requireNonNull(v, "ports");
      return this;
    }

    public Builder learnPorts(boolean v) {
      learnPorts = v;
      return this;
    }

    public Builder matchFlows(boolean v) {
      matchFlows = v;
      return this;
    }

    public Builder snapLength(int v) {
      snapLength = v;
      return this;
    }

    public Builder ringBufferBytes(int v) {
      ringBufferBytes = v;
      return this;
    }

    public PacketsConfig build() {
      return new PacketsConfig(interfaces, ports, learnPorts, matchFlows, snapLength, ringBufferBytes);
    }
  }
}
