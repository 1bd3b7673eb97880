package io.ecapture.kafka.collector;

import io.ecapture.kafka.collector.identity.CgroupMount;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A Kubernetes pod as a node shows it, made for real: cgroup v2 groups named as the kubelet
 * (systemd driver) and containerd name them, {@code
 * /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid with _>.slice/cri-containerd-<64 hex>.scope},
 * under the cgroup2 mount of /proc/mounts, and the kubelet's log directories for it under a log
 * root ({@code <root>/pods/<namespace>_<pod>_<uid>/<container>/0.log} plus the link {@code
 * <root>/containers/<pod>_<namespace>_<container>-<id>.log}). Commands run inside the container's
 * cgroup with {@link #start}. {@link #close} removes the groups it made (after its processes
 * ended) and leaves shared parents another test still uses.
 *
 * <p>Needs root and a writable cgroup2: {@link #create} fails under CI (env CI) and aborts the
 * test elsewhere when they are missing, as the eBPF tests do. Published in the test-jar.
 */
public final class KubePodCgroup implements AutoCloseable {
  public final CgroupMount mount;
  public final String namespace;
  public final String podName;
  public final String podUid = UUID.randomUUID().toString();
  public final String containerName;
  public final String containerId;
  /** The pod log root to give the collector ({@code --pod-log-root}). */
  public final Path podLogRoot;
  private final List<Path> created = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();

  private KubePodCgroup(CgroupMount mount, Path logDir, String namespace, String podName, String containerName) {
    this.mount = mount;
    this.namespace = namespace;
    this.podName = podName;
    this.containerName = containerName;
    byte[] id = new byte[32];
    ThreadLocalRandom.current().nextBytes(id);
    this.containerId = HexFormat.of().formatHex(id);
    this.podLogRoot = logDir.resolve("pods");
  }

  /**
   * Makes the pod's cgroups and log directories ({@code logDir}/pods and {@code logDir}/containers).
   */
  public static KubePodCgroup create(Path logDir, String namespace, String podName, String containerName) throws IOException {
    EbpfEnvironment.requireEbpf(); // root
    CgroupMount mount = CgroupMount.detect().orElse(null);
    if (mount == null) {
      EbpfEnvironment.unavailable("no cgroup2 file system in /proc/mounts");
    }
    KubePodCgroup pod = new KubePodCgroup(mount, logDir, namespace, podName, containerName);
    try {
      pod.makeCgroups();
    } catch (IOException e) {
      pod.close();
      EbpfEnvironment.unavailable("cgroup2 at " + mount.path() + " is not writable: " + e);
    }
    Path containerLogs = Files.createDirectories(pod.podLogRoot.resolve(namespace + "_" + podName + "_" + pod.podUid)
        .resolve(containerName));
    Path log = Files.writeString(containerLogs.resolve("0.log"), "");
    Path links = Files.createDirectories(logDir.resolve("containers"));
    Files.createSymbolicLink(links.resolve(podName + "_" + namespace + "_" + containerName + "-" + pod.containerId + ".log"), log);
    return pod;
  }

  /** The pod's cgroup, as the kernel names it (relative to the mount). */
  public String podCgroupPath() {
    return "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podUid.replace('-', '_') + ".slice";
  }

  /** The container's cgroup, as the kernel names it. */
  public String containerCgroupPath() {
    return podCgroupPath() + "/cri-containerd-" + containerId + ".scope";
  }

  /** The container's cgroup id (its directory's inode in cgroup2). */
  public long containerCgroupId() throws IOException {
    return mount.idOf(containerCgroupPath());
  }

  /** Starts {@code command} inside the container's cgroup (moved there before it execs). */
  public Process start(List<String> command) throws IOException {
    List<String> shell = new ArrayList<>(List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
        mount.directoryOf(containerCgroupPath()).resolve("cgroup.procs").toString()));
    shell.addAll(command);
    Process process = new ProcessBuilder(shell).redirectErrorStream(true).start();
    processes.add(process);
    return process;
  }

  /**
   * mkdir of each level; a level that exists is shared with another test and not ours to remove.
   * Another test's cleanup may remove a shared parent between two mkdirs: then start over.
   */
  private void makeCgroups() throws IOException {
    for (int attempt = 0; ; attempt++) {
      Path dir = mount.path();
      try {
        for (String component : containerCgroupPath().substring(1).split("/")) {
          dir = dir.resolve(component);
          try {
            Files.createDirectory(dir);
            created.add(dir);
          } catch (FileAlreadyExistsException shared) {
            // kubepods.slice of another test
          }
        }
        return;
      } catch (NoSuchFileException raced) {
        if (attempt >= 3) {
          throw raced;
        }
      }
    }
  }

  /** Ends what still runs in the group, then removes the groups made here (innermost first). */
  @Override
  public void close() {
    for (Process process : processes) {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (int i = created.size() - 1; i >= 0; i--) {
      try {
        Files.deleteIfExists(created.get(i)); // rmdir: a cgroup with no process and no child
      } catch (IOException busy) {
        // a parent another test's pod still lives in (EBUSY/ENOTEMPTY): it removes it
      }
    }
  }
}
