package io.ecapture.kafka.collector.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Cgroup paths as container runtimes and the kubelet name them, with either cgroup driver. */
class CgroupIdentityTest {
  private static final String ID = "3f2a9c1b7e8d4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718";
  private static final String NODE = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  private static final String UID = "8c6e5b0a-1f2d-4c3b-9a8e-7d6c5b4a3f21";
  private static final String UID_ = UID.replace('-', '_');
  private static final String STATIC_UID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

  private static void assertIdentity(String path, String container, String pod) {
    assertEquals(new CgroupIdentity(container, pod), CgroupIdentity.parse(path), path);
  }

  @Test
  void containerdWithTheSystemdDriverInEveryQosClass() {
    assertIdentity("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice/cri-containerd-" + ID + ".scope", ID, UID);
    assertIdentity("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + UID_ + ".slice/cri-containerd-" + ID + ".scope", ID, UID);
    // Guaranteed pods sit right below kubepods.slice
    assertIdentity("/kubepods.slice/kubepods-pod" + UID_ + ".slice/cri-containerd-" + ID + ".scope", ID, UID);
  }

  @Test
  void crioAndItsMonitor() {
    String pod = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice/";
    assertIdentity(pod + "crio-" + ID + ".scope", ID, UID);
    // conmon, cri-o's per-container monitor, runs in the pod but is no container
    assertIdentity(pod + "crio-conmon-" + ID + ".scope", "", UID);
    assertIdentity("/kubepods/besteffort/pod" + UID + "/crio-" + ID, ID, UID);
  }

  @Test
  void cgroupfsDriverUsesBareIdsAndPodDirectories() {
    assertIdentity("/kubepods/burstable/pod" + UID + "/" + ID, ID, UID);
    assertIdentity("/kubepods/besteffort/pod" + UID + "/" + ID, ID, UID);
    assertIdentity("/kubepods/pod" + UID + "/" + ID, ID, UID);
    // the pod cgroup itself (a process not in any container of it)
    assertIdentity("/kubepods/burstable/pod" + UID, "", UID);
    // "pod<uid>" means nothing outside kubepods
    assertIdentity("/user.slice/pod" + UID, "", "");
  }

  @Test
  void dockerWithEitherDriverAndDockershimPods() {
    assertIdentity("/system.slice/docker-" + ID + ".scope", ID, "");
    assertIdentity("/docker/" + ID, ID, "");
    assertIdentity("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice/docker-" + ID + ".scope", ID, UID);
  }

  @Test
  void subCgroupsInsideAContainerKeepItsIdentity() {
    assertIdentity("/system.slice/docker-" + ID + ".scope/init.scope", ID, "");
    assertIdentity("/docker/" + ID + "/system.slice/nginx.service", ID, "");
    assertIdentity("/machine.slice/libpod-" + ID + ".scope/container", ID, "");
    assertIdentity("/system.slice/nerdctl-" + ID + ".scope", ID, "");
  }

  @Test
  void kubernetesInsideANodeContainerNamesThePodsContainerNotTheNode() {
    String kubelet = "/system.slice/docker-" + NODE + ".scope/kubelet.slice/kubelet-kubepods.slice/"
        + "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" + UID_ + ".slice";
    assertIdentity(kubelet + "/cri-containerd-" + ID + ".scope", ID, UID);
    // in the pod but in none of its containers: the node container is not the pod's
    assertIdentity(kubelet, "", UID);
    // the node's own processes: only the node container
    assertIdentity("/system.slice/docker-" + NODE + ".scope/kubelet.slice", NODE, "");
  }

  @Test
  void staticPodsHaveAHashForUid() {
    assertIdentity("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + STATIC_UID + ".slice/cri-containerd-" + ID + ".scope",
        ID, STATIC_UID);
    assertIdentity("/kubepods/burstable/pod" + STATIC_UID + "/" + ID, ID, STATIC_UID);
  }

  @Test
  void upperCaseHexIsReportedInLowerCase() {
    assertIdentity("/docker/" + ID.toUpperCase(), ID, "");
    assertIdentity("/kubepods/pod" + UID.toUpperCase() + "/" + ID, ID, UID);
  }

  @Test
  void hostProcessesAndLookAlikesHaveNoIdentity() {
    assertIdentity("/", "", "");
    assertIdentity("", "", "");
    assertIdentity("/user.slice/user-1000.slice/session-2.scope", "", "");
    assertIdentity("/system.slice/sshd.service", "", "");
    assertIdentity("/system.slice/containerd.service", "", "");
    assertIdentity("/kubepods.slice/kubepods-burstable.slice", "", "");
    assertIdentity("/docker/" + ID.substring(1), "", ""); // 63 hex digits
    assertIdentity("/docker/" + ID + "0", "", ""); // 65
    assertIdentity("/system.slice/docker-" + ID + ".service", "", "");
    assertIdentity("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_.substring(2) + ".slice", "", "");
  }
}
