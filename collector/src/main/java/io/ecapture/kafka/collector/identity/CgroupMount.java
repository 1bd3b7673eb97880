package io.ecapture.kafka.collector.identity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the cgroup v2 hierarchy is mounted ({@code /sys/fs/cgroup} on a unified host, {@code
 * /sys/fs/cgroup/unified} in systemd's hybrid mode), found in {@code /proc/mounts}, never assumed.
 * A cgroup v2 id, as {@code bpf_get_current_cgroup_id()} reports it, is the inode number of the
 * cgroup's directory below this mount.
 *
 * <p>Cgroup paths are written as the kernel shows them in {@code /proc/PID/cgroup}: relative to
 * the mount, with a leading '/' ("/" is the root cgroup).
 *
 * @param path the mount point (absolute, normalised)
 */
public record CgroupMount(Path path) {
  /** The kernel's mount table of this process's mount namespace. */
  public static final Path PROC_MOUNTS = Path.of("/proc/mounts");

  public CgroupMount {
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException("cgroup2 mount must be absolute: " + path);
    }
    path = path.normalize();
  }

  /** The first cgroup2 mount of {@link #PROC_MOUNTS}; empty when there is none or it is unreadable. */
  public static Optional<CgroupMount> detect() {
    return detect(PROC_MOUNTS);
  }

  /** As {@link #detect()} from another mount table file. */
  public static Optional<CgroupMount> detect(Path mounts) {
    try {
      return fromMounts(Files.readString(mounts));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * The first line of a {@code /proc/mounts} text whose file-system type is {@code cgroup2}; the
   * mount point's octal escapes ({@code \040} for a space) are decoded.
   */
  public static Optional<CgroupMount> fromMounts(String mounts) {
    for (String line : mounts.split("\n")) {
      String[] fields = line.trim().split("\\s+");
      if (fields.length >= 3 && fields[2].equals("cgroup2") && fields[1].startsWith("/")) {
        return Optional.of(new CgroupMount(Path.of(unescape(fields[1]))));
      }
    }
    return Optional.empty();
  }

  /**
   * The directory of a cgroup given as a path relative to the mount ("/kubepods.slice/x",
   * "kubepods.slice/x", "/" for the root) or as an absolute path below the mount
   * ("/sys/fs/cgroup/unified/kubepods.slice/x", eCapture's {@code --cgroup_path} form).
   *
   * @throws IllegalArgumentException when the text is empty, holds a ".." component or a NUL
   */
  public Path directoryOf(String cgroupPath) {
    if (cgroupPath.isBlank() || cgroupPath.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("bad cgroup path '" + cgroupPath + "'");
    }
    for (String component : cgroupPath.split("/")) {
      if (component.equals("..")) {
        throw new IllegalArgumentException("cgroup path must not contain '..': " + cgroupPath);
      }
    }
    Path given = Path.of(cgroupPath).normalize();
    if (given.isAbsolute() && given.startsWith(path)) {
      return given;
    }
    String relative = cgroupPath.replaceAll("^/+", "");
    return relative.isEmpty() ? path : path.resolve(relative).normalize();
  }

  /** The kernel's form of a directory below the mount: "/" + its path relative to the mount. */
  public String cgroupPathOf(Path directory) {
    Path relative = path.relativize(directory.normalize());
    String text = relative.toString();
    return text.isEmpty() ? "/" : "/" + text;
  }

  /** Levels below the root of a directory below the mount (the root is level 0). */
  public int levelOf(Path directory) {
    Path relative = path.relativize(directory.normalize());
    return relative.toString().isEmpty() ? 0 : relative.getNameCount();
  }

  /**
   * The cgroup v2 id of a cgroup (see {@link #directoryOf}): its directory's inode number.
   *
   * @throws IllegalArgumentException when it is no directory below this mount
   * @throws IOException when the directory cannot be read
   */
  public long idOf(String cgroupPath) throws IOException {
    Path directory = directoryOf(cgroupPath);
    if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalArgumentException("no cgroup " + cgroupPath + " (" + directory + " is not a directory"
          + " of the cgroup2 mount " + path + ")");
    }
    return inode(directory);
  }

  /** The inode number of a file; the cgroup v2 id when it is a cgroup directory. */
  static long inode(Path file) throws IOException {
    try {
      return (Long) Files.getAttribute(file, "unix:ino", LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException e) {
      throw new IOException("no inode numbers on this platform: " + e.getMessage(), e);
    }
  }

  /** /proc/mounts escapes space, tab, newline and backslash as three octal digits. */
  static String unescape(String field) {
    StringBuilder out = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && isOctal(field, i + 1)) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static boolean isOctal(String text, int from) {
    if (from + 3 > text.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '7') {
        return false;
      }
    }
    return true;
  }
}
