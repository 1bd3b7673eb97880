package io.ecapture.kafka.collector.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.capture.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resolver over a directory tree shaped like a cgroup2 mount (ids are the directories'
 * inodes, as in cgroup2), a fake /proc and a pod log root, with a hand-moved clock.
 */
class WorkloadResolverTest {
  private static final String UID = "8c6e5b0a-1f2d-4c3b-9a8e-7d6c5b4a3f21";
  private static final String ID = "3f2a9c1b7e8d4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718";
  private static final String POD_PATH = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
      + UID.replace('-', '_') + ".slice";
  private static final String CONTAINER_PATH = POD_PATH + "/cri-containerd-" + ID + ".scope";
  private static final Duration REFRESH = Duration.ofSeconds(2);

  @TempDir Path tmp;
  private Path cgroups;
  private Path proc;
  private Path logs;
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private WorkloadResolver resolver;

  @BeforeEach
  void tree() throws Exception {
    cgroups = Files.createDirectories(tmp.resolve("cgroup"));
    proc = Files.createDirectories(tmp.resolve("proc"));
    logs = tmp.resolve("log/pods");
    Files.createDirectories(cgroups.resolve(CONTAINER_PATH.substring(1)));
    Files.createDirectories(cgroups.resolve("system.slice/sshd.service"));
    resolver = new WorkloadResolver(Optional.of(new CgroupMount(cgroups)),
        IdentityConfig.builder().podLogRoot(logs).refreshInterval(REFRESH).build(), proc, clock::get);
  }

  private long id(String path) throws Exception {
    return new CgroupMount(cgroups).idOf(path);
  }

  private void podLogs() throws Exception {
    Path container = Files.createDirectories(logs.resolve("shop_cart-6b7f9d_" + UID + "/server"));
    Files.writeString(container.resolve("0.log"), "");
  }

  private void process(long pid, String cgroupPath) throws Exception {
    Files.createDirectories(proc.resolve(Long.toString(pid)));
    Files.writeString(proc.resolve(pid + "/cgroup"), "9:name=systemd:/\n4:memory:/x\n0::" + cgroupPath + "\n");
  }

  @Test
  void aContainerOfAPodGetsEveryField() throws Exception {
    podLogs();
    Workload workload = resolver.workload(id(CONTAINER_PATH), 4242);
    assertEquals(Workload.newBuilder().setCgroupId(id(CONTAINER_PATH)).setCgroupPath(CONTAINER_PATH).setContainerId(ID)
        .setPodUid(UID).setPodNamespace("shop").setPodName("cart-6b7f9d").setContainerName("server").build(), workload);
    assertEquals(1, resolver.status().treeScans(), "found by walking the tree (no /proc entry)");
    assertEquals(7, resolver.status().knownCgroups(), "root, kubepods.slice, burstable, pod, container, system.slice, sshd");
  }

  @Test
  void theProcessesOwnProcEntryNamesItsCgroupWithoutAWalk() throws Exception {
    process(77, CONTAINER_PATH);
    Workload workload = resolver.workload(id(CONTAINER_PATH), 77);
    assertEquals(CONTAINER_PATH, workload.getCgroupPath());
    assertEquals(ID, workload.getContainerId());
    assertEquals(0, resolver.status().treeScans());
    assertEquals(1, resolver.status().podsWithoutLogs(), "no pod directory yet");
  }

  @Test
  void aProcEntryNamingAnotherCgroupIsNotTrusted() throws Exception {
    process(78, "/system.slice/sshd.service"); // moved after the connection began
    assertEquals(CONTAINER_PATH, resolver.workload(id(CONTAINER_PATH), 78).getCgroupPath());
    assertEquals(1, resolver.status().treeScans());
  }

  @Test
  void anIncompleteAnswerIsLookedUpAgainAfterTheRefreshInterval() throws Exception {
    long container = id(CONTAINER_PATH);
    assertEquals("", resolver.workload(container, 0).getPodName(), "pod logs not there yet");
    podLogs();
    assertEquals("", resolver.workload(container, 0).getPodName(), "cached within the interval");
    clock.addAndGet(REFRESH.toNanos() + 1);
    assertEquals("cart-6b7f9d", resolver.workload(container, 0).getPodName());
    clock.addAndGet(REFRESH.toNanos() * 100);
    Files.delete(logs.resolve("shop_cart-6b7f9d_" + UID + "/server/0.log"));
    Files.delete(logs.resolve("shop_cart-6b7f9d_" + UID + "/server"));
    Files.delete(logs.resolve("shop_cart-6b7f9d_" + UID));
    assertEquals("cart-6b7f9d", resolver.workload(container, 0).getPodName(), "a complete answer stays");
  }

  @Test
  void anUnknownIdIsCountedAndTheTreeIsWalkedAtMostOncePerInterval() throws Exception {
    Workload unknown = resolver.workload(999_999_999L, 0);
    assertEquals(Workload.newBuilder().setCgroupId(999_999_999L).build(), unknown);
    assertEquals(1, resolver.status().unresolvedCgroups());
    assertEquals(1, resolver.status().treeScans());
    // a cgroup made right after the walk is found once the interval passed
    Path fresh = Files.createDirectories(cgroups.resolve("system.slice/docker-" + ID + ".scope"));
    long freshId = (Long) Files.getAttribute(fresh, "unix:ino");
    assertEquals("", resolver.workload(freshId, 0).getCgroupPath());
    assertEquals(1, resolver.status().treeScans(), "no second walk within the interval");
    clock.addAndGet(REFRESH.toNanos() + 1);
    Workload found = resolver.workload(freshId, 0);
    assertEquals("/system.slice/docker-" + ID + ".scope", found.getCgroupPath());
    assertEquals(ID, found.getContainerId());
    assertEquals("", found.getPodUid());
    assertEquals(2, resolver.status().treeScans());
  }

  @Test
  void withoutACgroup2MountOnlyTheIdIsKnown() {
    WorkloadResolver none = new WorkloadResolver(Optional.empty(), IdentityConfig.defaults());
    assertEquals(Workload.newBuilder().setCgroupId(5).build(), none.workload(5, 1));
    none.scanNow();
    assertEquals("", none.status().cgroup2Mount());
    assertEquals(0, none.status().treeScans());
  }

  @Test
  void statusNamesTheMountAndCountsPods() throws Exception {
    podLogs();
    resolver.scanNow();
    IdentityStatus status = resolver.status();
    assertEquals(cgroups.toString(), status.cgroup2Mount());
    assertEquals(logs.toString(), status.podLogRoot());
    assertEquals(1, status.knownPods());
    assertEquals(7, status.knownCgroups(), status.toString());
    assertEquals(0, status.errors());
  }
}
