package io.ecapture.kafka.collector.identity;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Limits and sources of the container / pod identity put on every captured event ({@link
 * WorkloadResolver}). Start from {@link #defaults()} or {@link #builder()}.
 *
 * @param podLogRoot the kubelet's pod log directory, read for namespace, pod and container names
 *     ({@code <root>/<namespace>_<pod>_<uid>/<container>/}; container ids are named by the links
 *     in its sibling {@code containers}). Default {@code /var/log/pods}.
 * @param maxCachedCgroups most cgroup ids whose workload is kept in memory (least recently used
 *     go first); at least 16. Default 16384.
 * @param maxScannedCgroups most cgroup directories one walk of the cgroup2 tree records; at least
 *     16. Default 200000.
 * @param refreshInterval least time between two walks of the cgroup2 tree (a walk runs when an
 *     id is unknown and its process's /proc entry does not name it), and how long an incomplete
 *     answer (cgroup unknown, or a pod whose log directory is missing yet) is kept before it is
 *     looked up again; 10 ms to 1 h. Default 2 s.
 */
public record IdentityConfig(Path podLogRoot, int maxCachedCgroups, int maxScannedCgroups, Duration refreshInterval) {
  public static final Path DEFAULT_POD_LOG_ROOT = PodLogs.DEFAULT_ROOT;
  public static final int DEFAULT_MAX_CACHED_CGROUPS = 16_384;
  public static final int DEFAULT_MAX_SCANNED_CGROUPS = 200_000;
  public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(2);
  public static final int MIN_CGROUPS = 16;

  public IdentityConfig {
    Objects.requireNonNull(podLogRoot, "podLogRoot");
    Objects.requireNonNull(refreshInterval, "refreshInterval");
    if (maxCachedCgroups < MIN_CGROUPS || maxScannedCgroups < MIN_CGROUPS) {
      throw new IllegalArgumentException("maxCachedCgroups and maxScannedCgroups must be >= " + MIN_CGROUPS);
    }
    if (refreshInterval.toMillis() < 10 || refreshInterval.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("refreshInterval must be 10 ms to 1 h: " + refreshInterval);
    }
  }

  public static IdentityConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .podLogRoot(podLogRoot)
        .maxCachedCgroups(maxCachedCgroups)
        .maxScannedCgroups(maxScannedCgroups)
        .refreshInterval(refreshInterval);
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private Path podLogRoot = DEFAULT_POD_LOG_ROOT;
    private int maxCachedCgroups = DEFAULT_MAX_CACHED_CGROUPS;
    private int maxScannedCgroups = DEFAULT_MAX_SCANNED_CGROUPS;
    private Duration refreshInterval = DEFAULT_REFRESH_INTERVAL;

    private Builder() {}

    /** Null: the default. */
    public Builder podLogRoot(Path v) {
      podLogRoot = v == null ? DEFAULT_POD_LOG_ROOT : v;
      return this;
    }

    public Builder maxCachedCgroups(int v) {
      maxCachedCgroups = v;
      return this;
    }

    public Builder maxScannedCgroups(int v) {
      maxScannedCgroups = v;
      return this;
    }

    public Builder refreshInterval(Duration v) {
      refreshInterval = v;
      return this;
    }

    public IdentityConfig build() {
      return new IdentityConfig(podLogRoot, maxCachedCgroups, maxScannedCgroups, refreshInterval);
    }
  }
}
