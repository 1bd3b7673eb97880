package io.ecapture.kafka.collector.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kubelet's /var/log/pods and /var/log/containers layout, built under a temporary root. */
class PodLogsTest {
  private static final String UID = "8c6e5b0a-1f2d-4c3b-9a8e-7d6c5b4a3f21";
  private static final String APP_ID = "3f2a9c1b7e8d4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718";
  private static final String SIDECAR_ID = "aa".repeat(32);

  @TempDir Path log;

  /** /var/log/pods/<ns>_<pod>_<uid>/<container>/0.log, and the container link the kubelet makes. */
  private Path container(String namespace, String pod, String uid, String container, String containerId) throws Exception {
    Path dir = Files.createDirectories(log.resolve("pods").resolve(namespace + "_" + pod + "_" + uid).resolve(container));
    Path file = Files.writeString(dir.resolve("0.log"), "");
    if (containerId != null) {
      Path links = Files.createDirectories(log.resolve("containers"));
      Files.createSymbolicLink(links.resolve(pod + "_" + namespace + "_" + container + "-" + containerId + ".log"), file);
    }
    return dir;
  }

  @Test
  void podNamesComeFromTheDirectoryOfItsUid() throws Exception {
    container("payments", "checkout-7d9f8b6c5d-x2x9z", UID, "app", APP_ID);
    container("kube-system", "coredns-5d78c9869d-abcde", "11111111-2222-3333-4444-555555555555", "coredns", null);
    PodLogs logs = new PodLogs(log.resolve("pods"));
    PodLogs.Pod pod = logs.pod(UID).orElseThrow();
    assertEquals("payments", pod.namespace());
    assertEquals("checkout-7d9f8b6c5d-x2x9z", pod.name());
    assertEquals(UID, pod.uid());
    assertEquals(Optional.empty(), logs.pod("99999999-2222-3333-4444-555555555555"));
    assertEquals(Optional.empty(), logs.pod(""));
    assertEquals(2, logs.podCount());
    assertEquals(log.resolve("containers"), logs.containerLinks());
  }

  @Test
  void theContainerOfAnIdIsNamedByTheKubeletsLinkWhenThePodHasSeveral() throws Exception {
    container("payments", "checkout", UID, "app", APP_ID);
    container("payments", "checkout", UID, "istio-proxy", SIDECAR_ID);
    container("payments", "checkout", UID, "istio-init", null); // an init container, long gone
    PodLogs logs = new PodLogs(log.resolve("pods"));
    PodLogs.Pod pod = logs.pod(UID).orElseThrow();
    assertEquals("app", logs.containerName(pod, APP_ID));
    assertEquals("istio-proxy", logs.containerName(pod, SIDECAR_ID));
    // the pod's sandbox (pause) container has no logs: several candidates, no name
    assertEquals("", logs.containerName(pod, "bb".repeat(32)));
    assertEquals("", logs.containerName(pod, ""));
  }

  @Test
  void aLinkOfAnotherPodDoesNotNameThisOnesContainer() throws Exception {
    container("payments", "checkout", UID, "app", null);
    container("payments", "checkout", UID, "worker", null);
    container("other", "checkout", "22222222-2222-3333-4444-555555555555", "db", APP_ID);
    PodLogs logs = new PodLogs(log.resolve("pods"));
    assertEquals("", logs.containerName(logs.pod(UID).orElseThrow(), APP_ID));
  }

  @Test
  void aPodWithOneContainerNeedsNoLink() throws Exception {
    container("default", "web-0", UID, "nginx", null);
    PodLogs logs = new PodLogs(log.resolve("pods"));
    assertEquals("nginx", logs.containerName(logs.pod(UID).orElseThrow(), APP_ID));
  }

  @Test
  void strayEntriesAndAMissingRootAreNoPods() throws Exception {
    Files.createDirectories(log.resolve("pods/not-a-pod"));
    Files.createDirectories(log.resolve("pods/a_b_c_d"));
    Files.writeString(log.resolve("pods/ns_file_" + UID), "a file, not a directory");
    PodLogs logs = new PodLogs(log.resolve("pods"));
    assertEquals(0, logs.podCount());
    assertEquals(Optional.empty(), logs.pod(UID));
    PodLogs missing = new PodLogs(log.resolve("nowhere"));
    assertEquals(0, missing.podCount());
    assertTrue(missing.pod(UID).isEmpty());
  }
}
