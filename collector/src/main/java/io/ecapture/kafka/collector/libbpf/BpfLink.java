package io.ecapture.kafka.collector.libbpf;

import java.lang.foreign.MemorySegment;

/** An attached program; closing detaches it. */
public final class BpfLink implements AutoCloseable {
  private MemorySegment handle;

  BpfLink(MemorySegment handle) {
    this.handle = handle;
  }

  @Override
  public synchronized void close() {
    if (handle != null) {
      LibBpf.linkDestroy(handle);
      handle = null;
    }
  }
}
