package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/** eBPF must work in CI (root, capable kernel); elsewhere a capture test says why it cannot run. */
final class CaptureAvailability {
  private CaptureAvailability() {}

  static void unavailable(String reason) {
    String message = "eBPF capture unavailable: " + reason;
    if (System.getenv("CI") != null) {
      fail(message + " (CI must run as root on a kernel with BTF and uprobes)");
    }
    Assumptions.abort(message);
  }

  static void require(Fleet fleet) {
    if (!fleet.capturing()) {
      unavailable(fleet.captureError());
    }
  }
}
