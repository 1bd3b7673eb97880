package io.ecapture.kafka.collector.identity;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * One walk of the cgroup2 tree: every cgroup's id (its directory's inode number) and path.
 *
 * <p>One stat per entry: cgroup2 (kernfs) gives a directory a link count of 2 plus its number of
 * subdirectories, so a leaf cgroup (most of them: containers) is recorded without listing its
 * control files. Cgroups come and go during the walk; one that vanished is skipped. Bounded: at
 * most {@code maxCgroups} directories are recorded.
 */
final class CgroupTree {
  private static final String ATTRIBUTES = "unix:ino,nlink,mode";
  private static final int S_IFMT = 0170000;
  private static final int S_IFDIR = 0040000;

  private CgroupTree() {}

  /** A finished walk: id to kernel-form path, and whether the bound cut it short. */
  record Scan(Map<Long, String> paths, boolean truncated) {
    static final Scan EMPTY = new Scan(Map.of(), false);
  }

  /** @throws IOException when the mount itself cannot be read */
  static Scan scan(CgroupMount mount, int maxCgroups) throws IOException {
    Map<Long, String> paths = new HashMap<>();
    Deque<Path> parents = new ArrayDeque<>();
    Map<String, Object> root = Files.readAttributes(mount.path(), ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
    paths.put((Long) root.get("ino"), "/");
    if (mayHaveSubdirectories(root)) {
      parents.add(mount.path());
    }
    boolean truncated = false;
    while (!parents.isEmpty() && !truncated) {
      Path parent = parents.poll();
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent)) {
        for (Path entry : entries) {
          Map<String, Object> attributes;
          try {
            attributes = Files.readAttributes(entry, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
          } catch (IOException gone) {
            continue;
          }
          if (((Integer) attributes.get("mode") & S_IFMT) != S_IFDIR) {
            continue; // a control file (cgroup.procs, memory.max, ...)
          }
          if (paths.size() >= maxCgroups) {
            truncated = true;
            break;
          }
          paths.put((Long) attributes.get("ino"), mount.cgroupPathOf(entry));
          if (mayHaveSubdirectories(attributes)) {
            parents.add(entry);
          }
        }
      } catch (IOException gone) {
        // removed while we walked (the mount itself was read above)
      }
    }
    return new Scan(Map.copyOf(paths), truncated);
  }

  /** A link count of exactly 2 is a directory without subdirectories (kernfs, ext4, tmpfs); file
   * systems that do not count them (btrfs: 1) are listed. */
  private static boolean mayHaveSubdirectories(Map<String, Object> attributes) {
    return (Integer) attributes.get("nlink") != 2;
  }
}
