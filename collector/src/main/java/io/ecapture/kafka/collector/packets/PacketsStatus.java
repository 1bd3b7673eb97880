package io.ecapture.kafka.collector.packets;

import java.util.List;

/**
 * The packets module in {@code /status}: where it is attached, what it matches, and its counters.
 * Kernel counters read -1 when their map could not be read.
 *
 * @param interfaces every classifier attached (interface, ifindex, hook, kernel program id)
 * @param ports the port list: configured and learned
 * @param seen frames on the attached hooks
 * @param matched frames of TLS flows (port or flow match)
 * @param captured frames copied to the ring buffer
 * @param droppedInKernel frames lost because the ring buffer was full
 * @param truncated frames cut at the snap length (still captured)
 * @param loadFailed frames lost because copying them failed
 * @param malformed ring-buffer records that did not decode
 * @param sent records {@code ecapture.packets} acknowledged
 * @param sendErrors records that could not be sent (lost: frames are not spooled)
 * @param learnedFlows connections of the TLS probes added to the flow map
 * @param leftoversRemoved filters of an earlier run detached at start
 */
public record PacketsStatus(
    List<Hook> interfaces, List<Integer> ports, int snapLength, boolean matchFlows,
    long seen, long matched, long captured, long droppedInKernel, long truncated, long loadFailed,
    long malformed, long sent, long sendErrors, long learnedFlows, int leftoversRemoved) {

  /** One classifier: interface name and index, {@code ingress} or {@code egress}, program id. */
  public record Hook(String name, int index, String hook, int programId) {}
}
