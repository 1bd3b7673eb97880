package io.ecapture.kafka.collector.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.ecapture.kafka.collector.decode.WorkloadSource;
import io.ecapture.kafka.proto.capture.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Turns the cgroup v2 id of an event into its {@link Workload}: cgroup path, container id, pod
 * UID, and from the kubelet's log directories the pod's namespace and name and the container's
 * name. No API server, no container runtime socket.
 *
 * <ol>
 *   <li>Cache (Caffeine, {@link IdentityConfig#maxCachedCgroups} ids, least recently used out).
 *       Cgroup ids are never reused while the machine runs, so a complete answer stays valid; an
 *       incomplete one (cgroup not found, pod directory not there yet) is looked up again after
 *       {@link IdentityConfig#refreshInterval}.
 *   <li>On a miss: the owning process's {@code /proc/PID/cgroup} names its cgroup v2 path; it is
 *       taken when that directory's inode is the id (the process may have moved or exited).
 *   <li>Else the id in the last walk of the cgroup2 tree, walking again first when the last walk
 *       is older than the refresh interval.
 *   <li>The path is parsed ({@link CgroupIdentity}); a pod UID is looked up in {@link PodLogs}.
 * </ol>
 *
 * Never throws from {@link #workload}: what cannot be read is counted ({@link #status()}) and left
 * empty. Thread-safe; meant for the ring-buffer thread.
 */
public final class WorkloadResolver implements WorkloadSource {
  private final Optional<CgroupMount> mount;
  private final PodLogs podLogs;
  private final IdentityConfig config;
  private final Path proc;
  private final LongSupplier nanoTime;
  private final Cache<Long, Workload> cache;
  private final AtomicLong treeScans = new AtomicLong();
  private final AtomicLong unresolved = new AtomicLong();
  private final AtomicLong podsWithoutLogs = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private volatile String lastError = "";
  private volatile CgroupTree.Scan scan = CgroupTree.Scan.EMPTY;
  private long lastScanNs;
  private boolean scanned;

  /**
   * @param mount the cgroup2 mount ({@link CgroupMount#detect()}); empty: events keep only their id
   */
  public WorkloadResolver(Optional<CgroupMount> mount, IdentityConfig config) {
    this(mount, config, Path.of("/proc"), System::nanoTime);
  }

  WorkloadResolver(Optional<CgroupMount> mount, IdentityConfig config, Path proc, LongSupplier nanoTime) {
    this.mount = mount;
    this.config = config;
    this.podLogs = new PodLogs(config.podLogRoot());
    this.proc = proc;
    this.nanoTime = nanoTime;
    long incompleteNs = config.refreshInterval().toNanos();
    this.cache = Caffeine.newBuilder()
        .maximumSize(config.maxCachedCgroups())
        .expireAfter(new Expiry<Long, Workload>() {
          @Override
          public long expireAfterCreate(Long id, Workload workload, long now) {
            return complete(workload) ? Long.MAX_VALUE : incompleteNs;
          }

          @Override
          public long expireAfterUpdate(Long id, Workload workload, long now, long current) {
            return expireAfterCreate(id, workload, now);
          }

          @Override
          public long expireAfterRead(Long id, Workload workload, long now, long current) {
            return current;
          }
        })
        .ticker(nanoTime::getAsLong)
        .executor(Runnable::run) // maintenance on the caller: no pool threads in an agent
        .build();
  }

  /** The cgroup2 mount in use, if any. */
  public Optional<CgroupMount> mount() {
    return mount;
  }

  /** Walks the cgroup2 tree once now (so {@code /status} counts cgroups from the start). */
  public void scanNow() {
    mount.ifPresent(m -> rescan(m, true));
  }

  @Override
  public Workload workload(long cgroupId, long pid) {
    Workload known = cache.getIfPresent(cgroupId);
    if (known != null) {
      return known;
    }
    Workload resolved = resolve(cgroupId, pid);
    cache.put(cgroupId, resolved);
    return resolved;
  }

  private Workload resolve(long cgroupId, long pid) {
    Workload.Builder workload = Workload.newBuilder().setCgroupId(cgroupId);
    if (mount.isEmpty()) {
      return workload.build();
    }
    CgroupMount m = mount.get();
    String path = fromProc(m, cgroupId, pid);
    if (path == null) {
      path = scan.paths().get(cgroupId);
    }
    if (path == null && rescan(m, false)) {
      path = scan.paths().get(cgroupId);
    }
    if (path == null) {
      unresolved.incrementAndGet();
      return workload.build();
    }
    CgroupIdentity identity = CgroupIdentity.parse(path);
    workload.setCgroupPath(path).setContainerId(identity.containerId()).setPodUid(identity.podUid());
    if (!identity.podUid().isEmpty()) {
      try {
        Optional<PodLogs.Pod> pod = podLogs.pod(identity.podUid());
        if (pod.isPresent()) {
          workload.setPodNamespace(pod.get().namespace())
              .setPodName(pod.get().name())
              .setContainerName(podLogs.containerName(pod.get(), identity.containerId()));
        } else {
          podsWithoutLogs.incrementAndGet();
        }
      } catch (IOException | RuntimeException e) {
        error("reading pod logs under " + podLogs.root() + ": " + e);
      }
    }
    return workload.build();
  }

  /** The cgroup path /proc/PID/cgroup names, when its directory is the cgroup with this id. */
  private String fromProc(CgroupMount m, long cgroupId, long pid) {
    if (pid <= 0) {
      return null;
    }
    try {
      for (String line : Files.readAllLines(proc.resolve(Long.toString(pid)).resolve("cgroup"))) {
        if (line.startsWith("0::/")) {
          String path = line.substring(3);
          return CgroupMount.inode(m.directoryOf(path)) == cgroupId ? path : null;
        }
      }
    } catch (IOException | RuntimeException gone) {
      // exited, or a path outside our view: the tree walk decides
    }
    return null;
  }

  /** Walks the tree unless one ran within the refresh interval ({@code force}: always). */
  private synchronized boolean rescan(CgroupMount m, boolean force) {
    long now = nanoTime.getAsLong();
    if (!force && scanned && now - lastScanNs < config.refreshInterval().toNanos()) {
      return false;
    }
    scanned = true;
    lastScanNs = now;
    treeScans.incrementAndGet();
    try {
      scan = CgroupTree.scan(m, config.maxScannedCgroups());
      if (scan.truncated()) {
        error("cgroup2 tree has more than " + config.maxScannedCgroups() + " cgroups: the rest are not named");
      }
      return true;
    } catch (IOException | RuntimeException e) {
      error("walking the cgroup2 tree " + m.path() + ": " + e);
      return false;
    }
  }

  private void error(String message) {
    errors.incrementAndGet();
    lastError = message;
  }

  /** A complete answer needs no new lookup: its cgroup was named, and its pod's names found. */
  static boolean complete(Workload workload) {
    return !workload.getCgroupPath().isEmpty() && (workload.getPodUid().isEmpty() || !workload.getPodName().isEmpty());
  }

  /** Counters and sources, for {@code /status} and {@code /metrics}. */
  public IdentityStatus status() {
    return new IdentityStatus(
        mount.map(m -> m.path().toString()).orElse(""),
        podLogs.root().toString(),
        scan.paths().size(),
        podLogs.podCount(),
        cache.estimatedSize(),
        treeScans.get(),
        unresolved.get(),
        podsWithoutLogs.get(),
        errors.get(),
        lastError);
  }
}
