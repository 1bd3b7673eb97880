package io.ecapture.kafka.collector.libbpf;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.OptionalInt;

/**
 * A BPF classifier on an interface's clsact qdisc (libbpf's {@code bpf_tc_*}, netlink underneath),
 * named by the interface, the hook and a (handle, priority) pair. Unlike a {@link BpfLink}, such a
 * filter belongs to the interface, not to the process: it stays attached (holding its program)
 * when the process that attached it dies, until someone detaches it. So callers pick a fixed
 * (handle, priority) that names their filters, look for it at start ({@link #query}) and detach
 * what an earlier run left ({@link #detach}).
 */
public final class TcFilter {
  /** The clsact hook a filter runs on. */
  public enum Hook {
    INGRESS(1),
    EGRESS(2);

    /** {@code enum bpf_tc_attach_point}. */
    final int attachPoint;

    Hook(int attachPoint) {
      this.attachPoint = attachPoint;
    }
  }

  private static final int EEXIST = 17;

  private TcFilter() {}

  /**
   * Adds the clsact qdisc to the interface unless it has one.
   *
   * @return true when this call created it, false when it was there
   */
  public static boolean ensureClsact(int ifindex) {
    try (Arena arena = Arena.ofConfined()) {
      // BPF_TC_INGRESS | BPF_TC_EGRESS: the clsact qdisc itself
      int rc = LibBpf.tcHookCreate(hook(arena, ifindex, Hook.INGRESS.attachPoint | Hook.EGRESS.attachPoint));
      if (rc == -EEXIST) {
        return false;
      }
      if (rc < 0) {
        throw new LibBpfException("bpf_tc_hook_create(ifindex " + ifindex + ", clsact)", -rc);
      }
      return true;
    }
  }

  /**
   * Attaches the program as a direct-action classifier with this handle and priority, replacing a
   * filter with the same pair.
   *
   * @return the kernel's id of the attached program
   */
  public static int attach(int ifindex, Hook hook, int programFd, int handle, int priority) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment opts = opts(arena, handle, priority);
      opts.set(JAVA_INT, NativeStructs.offsetOf(NativeStructs.TC_OPTS, "prog_fd"), programFd);
      opts.set(JAVA_INT, NativeStructs.offsetOf(NativeStructs.TC_OPTS, "flags"), 1); // BPF_TC_F_REPLACE
      int rc = LibBpf.tcAttach(hook(arena, ifindex, hook.attachPoint), opts);
      if (rc < 0) {
        throw new LibBpfException("bpf_tc_attach(ifindex " + ifindex + ", " + hook + ")", -rc);
      }
      return opts.get(JAVA_INT, NativeStructs.offsetOf(NativeStructs.TC_OPTS, "prog_id"));
    }
  }

  /**
   * The program id of the filter with this handle and priority, or empty when there is none (also
   * when the interface has no clsact qdisc or is gone).
   */
  public static OptionalInt query(int ifindex, Hook hook, int handle, int priority) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment opts = opts(arena, handle, priority);
      int rc = LibBpf.tcQuery(hook(arena, ifindex, hook.attachPoint), opts);
      if (rc < 0) {
        return OptionalInt.empty();
      }
      return OptionalInt.of(opts.get(JAVA_INT, NativeStructs.offsetOf(NativeStructs.TC_OPTS, "prog_id")));
    }
  }

  /**
   * Detaches the filter with this handle and priority.
   *
   * @return true when one was detached, false when there was none
   */
  public static boolean detach(int ifindex, Hook hook, int handle, int priority) {
    try (Arena arena = Arena.ofConfined()) {
      int rc = LibBpf.tcDetach(hook(arena, ifindex, hook.attachPoint), opts(arena, handle, priority));
      if (rc == -Errno.ENOENT || rc == -Errno.EINVAL) { // no such filter, no clsact, interface gone
        return false;
      }
      if (rc < 0) {
        throw new LibBpfException("bpf_tc_detach(ifindex " + ifindex + ", " + hook + ")", -rc);
      }
      return true;
    }
  }

  private static MemorySegment hook(Arena arena, int ifindex, int attachPoint) {
    MemorySegment hook = arena.allocate(NativeStructs.TC_HOOK); // zeroed
    hook.set(JAVA_LONG, 0, NativeStructs.TC_HOOK.byteSize());
    hook.set(JAVA_INT, NativeStructs.offsetOf(NativeStructs.TC_HOOK, "ifindex"), ifindex);
    hook.set(JAVA_INT, NativeStructs.offsetOf(NativeStructs.TC_HOOK, "attach_point"), attachPoint);
    return hook;
  }

  private static MemorySegment opts(Arena arena, int handle, int priority) {
    MemorySegment opts = arena.allocate(NativeStructs.TC_OPTS); // zeroed
    opts.set(JAVA_LONG, 0, NativeStructs.TC_OPTS.byteSize());
    opts.set(JAVA_INT, NativeStructs.offsetOf(NativeStructs.TC_OPTS, "handle"), handle);
    opts.set(JAVA_INT, NativeStructs.offsetOf(NativeStructs.TC_OPTS, "priority"), priority);
    return opts;
  }
}
