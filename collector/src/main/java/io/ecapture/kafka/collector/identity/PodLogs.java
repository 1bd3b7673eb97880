package io.ecapture.kafka.collector.identity;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pod and container names from the kubelet's log directories, with no API server:
 *
 * <ul>
 *   <li>{@code <root>/<namespace>_<pod name>_<pod uid>/<container name>/<restart>.log}: one
 *       directory per pod (root {@code /var/log/pods} by default), one per container of it;
 *   <li>{@code <root>/../containers/<pod name>_<namespace>_<container name>-<container id>.log}:
 *       the kubelet's links, one per container instance, which name the container of an id.
 * </ul>
 *
 * Namespaces, pod names and container names are DNS names, so they hold no '_'. The directories
 * are read at each call (callers cache); a missing root reads as no pods.
 */
public final class PodLogs {
  /** The kubelet's default. */
  public static final Path DEFAULT_ROOT = Path.of("/var/log/pods");
  /** Most entries of a directory read in one call: bounds a lookup on a huge or hostile tree. */
  static final int MAX_ENTRIES = 100_000;

  private static final Pattern CONTAINER_LINK = Pattern.compile("^([^_/]+)_([^_/]+)_([^_/]+)-([0-9a-f]{64})\\.log$");

  private final Path root;
  private final Path containerLinks;

  public PodLogs(Path root) {
    this.root = root.toAbsolutePath().normalize();
    Path parent = this.root.getParent();
    this.containerLinks = parent == null ? this.root.resolve("containers") : parent.resolve("containers");
  }

  /** A pod's log directory. */
  public record Pod(String namespace, String name, String uid, Path directory) {}

  public Path root() {
    return root;
  }

  /** Where the container links are read: the root's sibling {@code containers}. */
  public Path containerLinks() {
    return containerLinks;
  }

  /**
   * The pod with this UID, from a directory {@code <namespace>_<name>_<uid>}.
   *
   * @throws IOException when the root exists but cannot be read
   */
  public Optional<Pod> pod(String uid) throws IOException {
    if (uid.isEmpty() || !Files.isDirectory(root)) {
      return Optional.empty();
    }
    String suffix = "_" + uid;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, "*" + suffix)) {
      int seen = 0;
      for (Path entry : entries) {
        if (++seen > MAX_ENTRIES) {
          break;
        }
        Optional<Pod> pod = parsePodDirectory(entry);
        if (pod.isPresent() && pod.get().uid().equals(uid)) {
          return pod;
        }
      }
    }
    return Optional.empty();
  }

  /** {@code <namespace>_<name>_<uid>} (a directory) as a pod; empty for any other name. */
  static Optional<Pod> parsePodDirectory(Path directory) {
    String name = directory.getFileName().toString();
    String[] parts = name.split("_", -1);
    if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()
        || !Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    return Optional.of(new Pod(parts[0], parts[1], parts[2], directory));
  }

  /**
   * The name of the pod's container with this id: from the kubelet's link {@code
   * <pod>_<namespace>_<container>-<id>.log}; without one, the pod's only container directory;
   * otherwise "" (several containers, none linked to the id, e.g. the pod's sandbox).
   *
   * @throws IOException when a directory exists but cannot be read
   */
  public String containerName(Pod pod, String containerId) throws IOException {
    if (!containerId.isEmpty() && Files.isDirectory(containerLinks)) {
      try (DirectoryStream<Path> links = Files.newDirectoryStream(containerLinks, "*-" + containerId + ".log")) {
        int seen = 0;
        for (Path link : links) {
          if (++seen > MAX_ENTRIES) {
            break;
          }
          Matcher m = CONTAINER_LINK.matcher(link.getFileName().toString());
          if (m.matches() && m.group(1).equals(pod.name()) && m.group(2).equals(pod.namespace())
              && m.group(4).equals(containerId)) {
            return m.group(3);
          }
        }
      }
    }
    List<String> containers = containers(pod);
    return containers.size() == 1 ? containers.getFirst() : "";
  }

  /** The container directories of a pod. */
  public List<String> containers(Pod pod) throws IOException {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(pod.directory())) {
      for (Path entry : entries) {
        if (names.size() >= MAX_ENTRIES) {
          break;
        }
        if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
          names.add(entry.getFileName().toString());
        }
      }
    }
    return names;
  }

  /** How many pod directories the root holds now (0 when it is missing or unreadable). */
  public int podCount() {
    if (!Files.isDirectory(root)) {
      return 0;
    }
    int count = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
      for (Path entry : entries) {
        if (parsePodDirectory(entry).isPresent() && ++count >= MAX_ENTRIES) {
          break;
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return count;
  }
}
