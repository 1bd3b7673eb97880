package io.ecapture.kafka.collector.libbpf;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;

/**
 * Layouts of the libbpf 1.1 option structs passed by pointer (x86-64). A test compiles a C program
 * against /usr/include/bpf/libbpf.h and compares every offset and size with these.
 */
public final class NativeStructs {
  /** {@code struct bpf_uprobe_opts}. */
  public static final StructLayout UPROBE_OPTS =
      structLayout(
          JAVA_LONG.withName("sz"),
          JAVA_LONG.withName("ref_ctr_offset"),
          JAVA_LONG.withName("bpf_cookie"),
          JAVA_BYTE.withName("retprobe"),
          paddingLayout(7),
          ADDRESS.withName("func_name"));

  /** {@code struct bpf_object_open_opts}. */
  public static final StructLayout OBJECT_OPEN_OPTS =
      structLayout(
          JAVA_LONG.withName("sz"),
          ADDRESS.withName("object_name"),
          JAVA_BYTE.withName("relaxed_maps"),
          paddingLayout(7),
          ADDRESS.withName("pin_root_path"),
          paddingLayout(8), // removed attach_prog_fd (__u32 :32) + alignment
          ADDRESS.withName("kconfig"),
          ADDRESS.withName("btf_custom_path"),
          ADDRESS.withName("kernel_log_buf"),
          JAVA_LONG.withName("kernel_log_size"),
          JAVA_INT.withName("kernel_log_level"),
          paddingLayout(4));

  /** {@code struct bpf_tc_hook}. */
  public static final StructLayout TC_HOOK =
      structLayout(
          JAVA_LONG.withName("sz"),
          JAVA_INT.withName("ifindex"),
          JAVA_INT.withName("attach_point"),
          JAVA_INT.withName("parent"),
          paddingLayout(4)); // size_t :0

  /** {@code struct bpf_tc_opts}. */
  public static final StructLayout TC_OPTS =
      structLayout(
          JAVA_LONG.withName("sz"),
          JAVA_INT.withName("prog_fd"),
          JAVA_INT.withName("flags"),
          JAVA_INT.withName("prog_id"),
          JAVA_INT.withName("handle"),
          JAVA_INT.withName("priority"),
          paddingLayout(4)); // size_t :0

  /** Byte offset of a named field of a layout. */
  public static long offsetOf(StructLayout layout, String field) {
    return layout.byteOffset(PathElement.groupElement(field));
  }

  private NativeStructs() {}
}
