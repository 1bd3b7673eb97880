package io.ecapture.kafka.collector.identity;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * What {@code /status} says about container / pod identity (key {@code identity}) and what
 * {@code /metrics} exports of it.
 *
 * @param cgroup2Mount the cgroup2 mount in use, "" when none was found (events then carry only
 *     their cgroup id, and a cgroup filter is refused)
 * @param podLogRoot the kubelet pod log directory read for names
 * @param knownCgroups cgroups of the last walk of the cgroup2 tree
 * @param knownPods pod directories under {@code podLogRoot} now
 * @param cachedCgroups cgroup ids whose workload is cached
 * @param treeScans walks of the cgroup2 tree so far
 * @param unresolvedCgroups lookups of a cgroup id that no /proc entry and no walk could name
 *     (the cgroup was removed before its events were decoded, or lies outside this mount)
 * @param podsWithoutLogs lookups of a pod UID with no directory under {@code podLogRoot}
 * @param errors reads that failed (unreadable directories, I/O errors), with the last one in
 *     {@code lastError}
 * @param lastError the last error's message, "" when none
 */
@JsonPropertyOrder({"cgroup2Mount", "podLogRoot", "knownCgroups", "knownPods", "cachedCgroups", "treeScans",
    "unresolvedCgroups", "podsWithoutLogs", "errors", "lastError"})
public record IdentityStatus(
    String cgroup2Mount,
    String podLogRoot,
    long knownCgroups,
    long knownPods,
    long cachedCgroups,
    long treeScans,
    long unresolvedCgroups,
    long podsWithoutLogs,
    long errors,
    String lastError) {}
