package io.ecapture.kafka.collector.decode;

import io.ecapture.kafka.proto.capture.Workload;

/**
 * The {@link Workload} (cgroup, container, pod) of a cgroup v2 id, as {@link RawEventDecoder}
 * puts it on every event. Called on the ring-buffer thread for every record: implementations
 * answer from a cache in the common case and never throw (what they cannot resolve they leave
 * empty, with the cgroup id set).
 */
@FunctionalInterface
public interface WorkloadSource {
  /** Knows nothing but the id. */
  WorkloadSource CGROUP_ID_ONLY = (cgroupId, pid) -> Workload.newBuilder().setCgroupId(cgroupId).build();

  /**
   * @param cgroupId the cgroup v2 id the kernel recorded for the connection's owner (non-zero)
   * @param pid the owning process (tgid): a hint where to look first; it may have exited or moved
   */
  Workload workload(long cgroupId, long pid);
}
