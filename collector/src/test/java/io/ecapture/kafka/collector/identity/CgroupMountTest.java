package io.ecapture.kafka.collector.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupMountTest {
  /** systemd's hybrid layout: v1 controllers plus cgroup2 at unified (this test machine's). */
  private static final String HYBRID = """
      tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
      cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
      cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0
      cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
      """;
  private static final String UNIFIED = """
      proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
      cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0
      cgroup2 /run/other cgroup2 rw 0 0
      """;

  @Test
  void findsTheFirstCgroup2MountInEitherLayout() {
    assertEquals(Optional.of(new CgroupMount(Path.of("/sys/fs/cgroup/unified"))), CgroupMount.fromMounts(HYBRID));
    assertEquals(Optional.of(new CgroupMount(Path.of("/sys/fs/cgroup"))), CgroupMount.fromMounts(UNIFIED));
    assertEquals(Optional.empty(), CgroupMount.fromMounts("cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\n"));
    assertEquals(Optional.empty(), CgroupMount.fromMounts(""));
    assertEquals(Optional.of(new CgroupMount(Path.of("/mnt/my cgroup"))),
        CgroupMount.fromMounts("none /mnt/my\\040cgroup cgroup2 rw 0 0\n"), "octal escapes decode");
  }

  @Test
  void thisMachinesMountTableIsRead() throws Exception {
    Optional<CgroupMount> detected = CgroupMount.detect();
    assertEquals(CgroupMount.fromMounts(Files.readString(CgroupMount.PROC_MOUNTS)), detected);
    assertEquals(Optional.empty(), CgroupMount.detect(Path.of("/nonexistent/mounts")));
  }

  @Test
  void pathsRelativeToTheMountOrAbsoluteBelowItNameTheSameDirectory() {
    CgroupMount mount = new CgroupMount(Path.of("/sys/fs/cgroup/unified"));
    Path expected = Path.of("/sys/fs/cgroup/unified/kubepods.slice/kubepods-burstable.slice");
    assertEquals(expected, mount.directoryOf("/kubepods.slice/kubepods-burstable.slice"));
    assertEquals(expected, mount.directoryOf("kubepods.slice/kubepods-burstable.slice/"));
    assertEquals(expected, mount.directoryOf("/sys/fs/cgroup/unified/kubepods.slice/kubepods-burstable.slice"));
    assertEquals(mount.path(), mount.directoryOf("/"));
    assertEquals(mount.path(), mount.directoryOf("/sys/fs/cgroup/unified"));
    assertEquals("/kubepods.slice/kubepods-burstable.slice", mount.cgroupPathOf(expected));
    assertEquals("/", mount.cgroupPathOf(mount.path()));
    assertEquals(2, mount.levelOf(expected));
    assertEquals(0, mount.levelOf(mount.path()));
  }

  @Test
  void badPathsAreRefusedWithTheReason() {
    CgroupMount mount = new CgroupMount(Path.of("/sys/fs/cgroup/unified"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> mount.directoryOf("/kubepods.slice/../../etc"))
        .getMessage().contains(".."));
    assertThrows(IllegalArgumentException.class, () -> mount.directoryOf(""));
    assertThrows(IllegalArgumentException.class, () -> mount.directoryOf("a\0b"));
    assertThrows(IllegalArgumentException.class, () -> new CgroupMount(Path.of("relative")));
  }

  @Test
  void theIdOfACgroupIsItsDirectorysInode(@TempDir Path root) throws Exception {
    CgroupMount mount = new CgroupMount(root);
    Path dir = Files.createDirectories(root.resolve("a.slice/b.scope"));
    assertEquals((Long) Files.getAttribute(dir, "unix:ino"), mount.idOf("/a.slice/b.scope"));
    assertEquals((Long) Files.getAttribute(root, "unix:ino"), mount.idOf("/"));
    Files.writeString(root.resolve("cgroup.procs"), "");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> mount.idOf("/missing")).getMessage().contains("no cgroup /missing"));
    assertThrows(IllegalArgumentException.class, () -> mount.idOf("/cgroup.procs"));
  }
}
