package io.ecapture.kafka.collector.identity;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a cgroup v2 path alone says about a process: the container it runs in and, on a
 * Kubernetes node, the pod's UID. Pure text parsing, no file access; see {@link #parse}.
 *
 * @param containerId the container id (64 lower-case hex digits), "" when the path names none
 * @param podUid the pod UID with dashes, as the API shows it (36 characters; a static pod's
 *     32-hex hash as is), "" when the path names no pod
 */
public record CgroupIdentity(String containerId, String podUid) {
  public static final CgroupIdentity NONE = new CgroupIdentity("", "");

  private static final String HEX64 = "([0-9a-f]{64})";
  /** A pod UID: a UUID (dashes, or underscores in systemd unit names) or a static pod's 32-hex hash. */
  private static final String UID = "([0-9a-f]{8}[-_]?[0-9a-f]{4}[-_]?[0-9a-f]{4}[-_]?[0-9a-f]{4}[-_]?[0-9a-f]{12})";

  /**
   * Container cgroups, by runtime and cgroup driver:
   * docker {@code docker-<id>.scope} (systemd) or {@code /docker/<id>} (cgroupfs);
   * containerd {@code cri-containerd-<id>.scope}; cri-o {@code crio-<id>.scope} (its
   * {@code crio-conmon-<id>.scope} monitor is no container); podman {@code libpod-<id>.scope};
   * nerdctl {@code nerdctl-<id>.scope}; any runtime with the cgroupfs driver: a bare 64-hex
   * component ({@code /kubepods/burstable/pod<uid>/<id>}).
   */
  private static final Pattern CONTAINER =
      Pattern.compile("^(?:(?:docker|cri-containerd|crio|libpod|nerdctl)-)?" + HEX64 + "(?:\\.scope)?$");
  /** systemd driver: {@code kubepods-pod<uid>.slice} (Guaranteed), {@code kubepods-<qos>-pod<uid>.slice},
   * also below a kubelet --cgroup-root ({@code kubelet-kubepods-burstable-pod<uid>.slice}). */
  private static final Pattern SYSTEMD_POD =
      Pattern.compile("^(?:[a-z0-9_.-]+-)?kubepods(?:-[a-z]+)?-pod" + UID + "\\.slice$");
  /** cgroupfs driver: {@code pod<uid>} below a {@code kubepods} component. */
  private static final Pattern CGROUPFS_POD = Pattern.compile("^pod" + UID + "$");

  /**
   * Parses a cgroup path such as {@code
   * /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice/cri-containerd-<id>.scope}.
   * The container is the deepest container-shaped component (a container may make sub-cgroups
   * of its own: {@code .../docker-<id>.scope/init.scope}); the pod is the deepest pod-shaped
   * component (the cgroupfs form {@code pod<uid>} only below a component named {@code kubepods*}).
   * When a pod is found, only a container below it counts: one above it is the node itself run
   * as a container (kind), not the pod's. Upper-case hex is accepted and reported in lower case.
   */
  public static CgroupIdentity parse(String cgroupPath) {
    String[] components = cgroupPath.toLowerCase(Locale.ROOT).split("/");
    String container = "";
    int containerAt = -1;
    String pod = "";
    int podAt = -1;
    boolean belowKubepods = false;
    for (int i = 0; i < components.length; i++) {
      String component = components[i];
      Matcher containerShape = CONTAINER.matcher(component);
      Matcher systemdPod = SYSTEMD_POD.matcher(component);
      Matcher cgroupfsPod = CGROUPFS_POD.matcher(component);
      if (containerShape.matches()) {
        container = containerShape.group(1);
        containerAt = i;
      } else if (systemdPod.matches()) {
        pod = uid(systemdPod.group(1));
        podAt = i;
      } else if (belowKubepods && cgroupfsPod.matches()) {
        pod = uid(cgroupfsPod.group(1));
        podAt = i;
      }
      if (component.startsWith("kubepods") || component.endsWith("-kubepods.slice")) {
        belowKubepods = true;
      }
    }
    if (podAt >= 0 && containerAt < podAt) {
      container = "";
    }
    return container.isEmpty() && pod.isEmpty() ? NONE : new CgroupIdentity(container, pod);
  }

  /** Underscores (systemd escaping of '-') back to dashes. */
  private static String uid(String raw) {
    return raw.replace('_', '-');
  }
}
