package io.ecapture.kafka.collector.libbpf;

import java.lang.foreign.MemorySegment;

/** An attached program; closing detaches it. */
public final class BpfLink implements AutoCloseable {
  private MemorySegment handle;
  private int fd = -1;

  BpfLink(MemorySegment handle) {
    this.handle = handle;
  }

  /** A link made with the bpf syscall directly (its fd; closing it detaches). */
  static BpfLink ofFd(int fd) {
    BpfLink link = new BpfLink(null);
    link.fd = fd;
    return link;
  }

  @Override
  public synchronized void close() {
    if (handle != null) {
      LibBpf.linkDestroy(handle);
      handle = null;
    }
    if (fd >= 0) {
      LibBpf.close(fd);
      fd = -1;
    }
  }
}
