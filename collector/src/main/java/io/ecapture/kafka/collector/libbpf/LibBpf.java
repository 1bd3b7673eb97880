package io.ecapture.kafka.collector.libbpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Raw downcalls into libbpf.so.1 (libbpf 1.x: pointer-returning functions return NULL and set
 * errno; int-returning ones return a negative errno). Typed {@code invokeExact} handles only; no
 * logic here beyond turning failures into {@link LibBpfException}.
 */
public final class LibBpf {
  /** The shared object every distribution with libbpf 1.x ships. */
  public static final String LIBRARY = "libbpf.so.1";

  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LOOKUP = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
  private static final MemoryLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

  private static final MethodHandle OBJECT_OPEN_FILE =
      downcallWithErrno("bpf_object__open_file", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
  private static final MethodHandle OBJECT_LOAD =
      downcall("bpf_object__load", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle OBJECT_CLOSE =
      downcall("bpf_object__close", FunctionDescriptor.ofVoid(ADDRESS));
  private static final MethodHandle FIND_PROGRAM =
      downcall("bpf_object__find_program_by_name", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
  private static final MethodHandle FIND_MAP =
      downcall("bpf_object__find_map_by_name", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
  private static final MethodHandle MAP_SET_MAX_ENTRIES =
      downcall("bpf_map__set_max_entries", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle MAP_FD =
      downcall("bpf_map__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle MAP_REUSE_FD =
      downcall("bpf_map__reuse_fd", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle PROGRAM_ATTACH =
      downcallWithErrno("bpf_program__attach", FunctionDescriptor.of(ADDRESS, ADDRESS));
  private static final MethodHandle PROGRAM_ATTACH_UPROBE_OPTS =
      downcallWithErrno(
          "bpf_program__attach_uprobe_opts",
          FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
  private static final MethodHandle LINK_DESTROY =
      downcall("bpf_link__destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle RING_BUFFER_NEW =
      downcallWithErrno(
          "ring_buffer__new", FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
  private static final MethodHandle RING_BUFFER_POLL =
      downcall("ring_buffer__poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle RING_BUFFER_CONSUME =
      downcall("ring_buffer__consume", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle RING_BUFFER_FREE =
      downcall("ring_buffer__free", FunctionDescriptor.ofVoid(ADDRESS));
  private static final MethodHandle MAP_LOOKUP_ELEM =
      downcall("bpf_map_lookup_elem", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
  private static final MethodHandle MAP_UPDATE_ELEM =
      downcall(
          "bpf_map_update_elem", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
  private static final MethodHandle MAP_DELETE_ELEM =
      downcall("bpf_map_delete_elem", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
  private static final MethodHandle MAP_GET_NEXT_KEY =
      downcall("bpf_map_get_next_key", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
  private static final MethodHandle MAP_GET_FD_BY_ID =
      downcall("bpf_map_get_fd_by_id", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle SET_PRINT =
      downcall("libbpf_set_print", FunctionDescriptor.of(ADDRESS, ADDRESS));
  private static final MethodHandle PROGRAM_SET_AUTOLOAD =
      downcall("bpf_program__set_autoload", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_BYTE));
  private static final MethodHandle PROGRAM_SET_EXPECTED_ATTACH_TYPE =
      downcall("bpf_program__set_expected_attach_type", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  /** libc {@code syscall(SYS_bpf, cmd, attr, size)}: link types libbpf 1.1 cannot make. */
  private static final MethodHandle SYSCALL_BPF = LINKER.downcallHandle(
      LINKER.defaultLookup().find("syscall").orElseThrow(),
      FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT),
      Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
  private static final MethodHandle CLOSE = LINKER.downcallHandle(
      LINKER.defaultLookup().find("close").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final long SYS_BPF_X86_64 = 321;
  private static final MethodHandle NUM_POSSIBLE_CPUS =
      downcall("libbpf_num_possible_cpus", FunctionDescriptor.of(JAVA_INT));

  private static final MethodHandle PROGRAM_FD =
      downcall("bpf_program__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle TC_HOOK_CREATE =
      downcall("bpf_tc_hook_create", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle TC_ATTACH =
      downcall("bpf_tc_attach", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  private static final MethodHandle TC_DETACH =
      downcall("bpf_tc_detach", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  private static final MethodHandle TC_QUERY =
      downcall("bpf_tc_query", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

  private LibBpf() {}

  /** File descriptor of a loaded program, or -errno. */
  public static int programFd(MemorySegment program) {
    try {
      return (int) PROGRAM_FD.invokeExact(program);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code bpf_tc_hook_create(hook)}: adds the clsact qdisc; 0, -EEXIST when present, or -errno. */
  public static int tcHookCreate(MemorySegment hook) {
    try {
      return (int) TC_HOOK_CREATE.invokeExact(hook);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code bpf_tc_attach(hook, opts)}: 0 (opts.prog_id filled) or -errno. */
  public static int tcAttach(MemorySegment hook, MemorySegment opts) {
    try {
      return (int) TC_ATTACH.invokeExact(hook, opts);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code bpf_tc_detach(hook, opts)} (handle and priority set, the rest zero): 0 or -errno. */
  public static int tcDetach(MemorySegment hook, MemorySegment opts) {
    try {
      return (int) TC_DETACH.invokeExact(hook, opts);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code bpf_tc_query(hook, opts)} (handle and priority set): 0 (prog_id filled), -ENOENT, or -errno. */
  public static int tcQuery(MemorySegment hook, MemorySegment opts) {
    try {
      return (int) TC_QUERY.invokeExact(hook, opts);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code struct bpf_object *bpf_object__open_file(const char *path, opts)}. */
  public static MemorySegment objectOpenFile(String path, MemorySegment opts) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment object =
          (MemorySegment) OBJECT_OPEN_FILE.invokeExact(state, arena.allocateFrom(path), opts);
      if (object.equals(MemorySegment.NULL)) {
        throw new LibBpfException("bpf_object__open_file(" + path + ")", errno(state));
      }
      return object;
    } catch (LibBpfException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code int bpf_object__load(obj)}: 0 or -errno. */
  public static int objectLoad(MemorySegment object) {
    try {
      return (int) OBJECT_LOAD.invokeExact(object);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  public static void objectClose(MemorySegment object) {
    try {
      OBJECT_CLOSE.invokeExact(object);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** Program handle, or NULL when the object has no program of that name. */
  public static MemorySegment findProgram(MemorySegment object, String name) {
    try (Arena arena = Arena.ofConfined()) {
      return (MemorySegment) FIND_PROGRAM.invokeExact(object, arena.allocateFrom(name));
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** Map handle, or NULL when the object has no map of that name. */
  public static MemorySegment findMap(MemorySegment object, String name) {
    try (Arena arena = Arena.ofConfined()) {
      return (MemorySegment) FIND_MAP.invokeExact(object, arena.allocateFrom(name));
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code bpf_map__set_max_entries}: only before load; 0 or -errno. */
  public static int mapSetMaxEntries(MemorySegment map, int maxEntries) {
    try {
      return (int) MAP_SET_MAX_ENTRIES.invokeExact(map, maxEntries);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** File descriptor of a loaded map, or -errno. */
  public static int mapFd(MemorySegment map) {
    try {
      return (int) MAP_FD.invokeExact(map);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code bpf_map__reuse_fd}: before load, the map becomes the existing map {@code fd}; 0 or -errno. */
  public static int mapReuseFd(MemorySegment map, int fd) {
    try {
      return (int) MAP_REUSE_FD.invokeExact(map, fd);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** Attaches a program by its section name (tracepoints). */
  public static MemorySegment programAttach(MemorySegment program, String what) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment link = (MemorySegment) PROGRAM_ATTACH.invokeExact(state, program);
      if (link.equals(MemorySegment.NULL)) {
        throw new LibBpfException("bpf_program__attach(" + what + ")", errno(state));
      }
      return link;
    } catch (LibBpfException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code bpf_program__attach_uprobe_opts(prog, pid, binary, offset, opts)}. */
  public static MemorySegment programAttachUprobeOpts(
      MemorySegment program, int pid, String binaryPath, long offset, MemorySegment opts, String what) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment link =
          (MemorySegment)
              PROGRAM_ATTACH_UPROBE_OPTS.invokeExact(
                  state, program, pid, arena.allocateFrom(binaryPath), offset, opts);
      if (link.equals(MemorySegment.NULL)) {
        throw new LibBpfException("bpf_program__attach_uprobe_opts(" + what + ")", errno(state));
      }
      return link;
    } catch (LibBpfException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  public static int linkDestroy(MemorySegment link) {
    try {
      return (int) LINK_DESTROY.invokeExact(link);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code ring_buffer__new(map_fd, sample_cb, ctx, NULL)}. */
  public static MemorySegment ringBufferNew(int mapFd, MemorySegment callback) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment rb =
          (MemorySegment)
              RING_BUFFER_NEW.invokeExact(
                  state, mapFd, callback, MemorySegment.NULL, MemorySegment.NULL);
      if (rb.equals(MemorySegment.NULL)) {
        throw new LibBpfException("ring_buffer__new", errno(state));
      }
      return rb;
    } catch (LibBpfException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** Records consumed, or -errno (-EINTR when a signal interrupted the wait). */
  public static int ringBufferPoll(MemorySegment rb, int timeoutMs) {
    try {
      return (int) RING_BUFFER_POLL.invokeExact(rb, timeoutMs);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** Consumes what is available without waiting; records consumed or -errno. */
  public static int ringBufferConsume(MemorySegment rb) {
    try {
      return (int) RING_BUFFER_CONSUME.invokeExact(rb);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  public static void ringBufferFree(MemorySegment rb) {
    try {
      RING_BUFFER_FREE.invokeExact(rb);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code bpf_map_lookup_elem(fd, key, value)}: 0 or -errno. */
  public static int mapLookupElem(int mapFd, MemorySegment key, MemorySegment value) {
    try {
      return (int) MAP_LOOKUP_ELEM.invokeExact(mapFd, key, value);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code bpf_map_update_elem(fd, key, value, flags)}: 0 or -errno. */
  public static int mapUpdateElem(int mapFd, MemorySegment key, MemorySegment value, long flags) {
    try {
      return (int) MAP_UPDATE_ELEM.invokeExact(mapFd, key, value, flags);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code bpf_map_get_next_key(fd, key, next_key)}: 0, -ENOENT after the last key, or -errno. */
  public static int mapGetNextKey(int mapFd, MemorySegment key, MemorySegment nextKey) {
    try {
      return (int) MAP_GET_NEXT_KEY.invokeExact(mapFd, key, nextKey);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code bpf_map_delete_elem(fd, key)}: 0 or -errno (-ENOENT when absent). */
  public static int mapDeleteElem(int mapFd, MemorySegment key) {
    try {
      return (int) MAP_DELETE_ELEM.invokeExact(mapFd, key);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /**
   * {@code bpf_map_get_fd_by_id(id)}: a new file descriptor of the map with this id (another
   * process's map: needs CAP_SYS_ADMIN), or -errno. The map lives as long as any descriptor does.
   */
  public static int mapGetFdById(int id) {
    try {
      return (int) MAP_GET_FD_BY_ID.invokeExact(id);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code libbpf_set_print(fn)}: replaces libbpf's process-global message printer. */
  public static void setPrint(MemorySegment printFn) {
    try {
      MemorySegment previous = (MemorySegment) SET_PRINT.invokeExact(printFn);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** Possible CPUs, the number of values a per-CPU map lookup returns; or -errno. */
  public static int numPossibleCpus() {
    try {
      return (int) NUM_POSSIBLE_CPUS.invokeExact();
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  public static int programSetAutoload(MemorySegment program, boolean autoload) {
    try {
      return (int) PROGRAM_SET_AUTOLOAD.invokeExact(program, (byte) (autoload ? 1 : 0));
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  public static int programSetExpectedAttachType(MemorySegment program, int type) {
    try {
      return (int) PROGRAM_SET_EXPECTED_ATTACH_TYPE.invokeExact(program, type);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code bpf(cmd, attr, size)}; returns the result or throws with errno. */
  public static int bpfSyscall(int cmd, MemorySegment attr, String what) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      long rc = (long) SYSCALL_BPF.invokeExact(state, SYS_BPF_X86_64, cmd, attr, (int) attr.byteSize());
      if (rc < 0) {
        throw new LibBpfException(what, errno(state));
      }
      return (int) rc;
    } catch (LibBpfException e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  public static int close(int fd) {
    try {
      return (int) CLOSE.invokeExact(fd);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  private static int errno(MemorySegment state) {
    return (int) ERRNO.get(state, 0L);
  }

  private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(symbol(name), descriptor);
  }

  private static MethodHandle downcallWithErrno(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(
        symbol(name), descriptor, Linker.Option.captureCallState("errno"));
  }

  private static MemorySegment symbol(String name) {
    return LOOKUP
        .find(name)
        .orElseThrow(() -> new UnsatisfiedLinkError(name + " not found in " + LIBRARY));
  }
}
