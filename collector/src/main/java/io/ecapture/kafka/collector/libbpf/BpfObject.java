package io.ecapture.kafka.collector.libbpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * A BPF object file opened with libbpf: {@link #open}, adjust maps, {@link #load}, then attach
 * its programs. Closing frees the kernel objects (programs, maps) it holds; close every link and
 * ring buffer made from it first.
 */
public final class BpfObject implements AutoCloseable {
  private static final int VERIFIER_LOG_BYTES = 1 << 20;

  private final Arena arena = Arena.ofShared();
  private final MemorySegment handle;
  private final MemorySegment verifierLog;
  private boolean closed;

  private BpfObject(Path file) {
    LibBpfLogging.install();
    verifierLog = arena.allocate(VERIFIER_LOG_BYTES);
    MemorySegment opts = arena.allocate(NativeStructs.OBJECT_OPEN_OPTS);
    opts.set(JAVA_LONG, 0, NativeStructs.OBJECT_OPEN_OPTS.byteSize());
    opts.set(ADDRESS, NativeStructs.offsetOf(NativeStructs.OBJECT_OPEN_OPTS, "kernel_log_buf"), verifierLog);
    opts.set(JAVA_LONG, NativeStructs.offsetOf(NativeStructs.OBJECT_OPEN_OPTS, "kernel_log_size"), VERIFIER_LOG_BYTES);
    // level 0: libbpf asks the kernel for a log only when a load fails (then retries with level 1)
    opts.set(JAVA_INT, NativeStructs.offsetOf(NativeStructs.OBJECT_OPEN_OPTS, "kernel_log_level"), 0);
    try {
      handle = LibBpf.objectOpenFile(file.toString(), opts);
    } catch (RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  /** Opens (parses, does not load) a BPF object file. */
  public static BpfObject open(Path file) {
    return new BpfObject(file);
  }

  /**
   * Opens (parses, does not load) the object file {@code extract} writes into a new temporary
   * directory named after {@code tempPrefix} (an embedded {@code BpfObjects} entry's {@code
   * extract}); the file and the directory are deleted once libbpf has read it.
   */
  public static BpfObject openExtracted(String tempPrefix, Function<Path, Path> extract) {
    Path dir;
    try {
      dir = Files.createTempDirectory(tempPrefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path file = extract.apply(dir);
    try {
      return open(file);
    } finally {
      try {
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
      } catch (IOException e) {
        // a stale temp file is harmless
      }
    }
  }

  /** Sets a map's max_entries (ring buffer: size in bytes, a power-of-2 multiple of the page size). */
  public void setMaxEntries(String mapName, int maxEntries) {
    int rc = LibBpf.mapSetMaxEntries(map(mapName), maxEntries);
    if (rc < 0) {
      throw new LibBpfException("bpf_map__set_max_entries(" + mapName + ", " + maxEntries + ")", -rc);
    }
  }

  /** Whether {@code programName} is loaded by {@link #load} (before load; default yes). */
  public void setAutoload(String programName, boolean autoload) {
    int rc = LibBpf.programSetAutoload(program(programName), autoload);
    if (rc < 0) {
      throw new LibBpfException("bpf_program__set_autoload(" + programName + ")", -rc);
    }
  }

  /** Sets the attach type the kernel verifies {@code programName} for (before load). */
  public void setExpectedAttachType(String programName, int attachType) {
    int rc = LibBpf.programSetExpectedAttachType(program(programName), attachType);
    if (rc < 0) {
      throw new LibBpfException("bpf_program__set_expected_attach_type(" + programName + ")", -rc);
    }
  }

  /** BPF_TRACE_UPROBE_SESSION of enum bpf_attach_type (Linux 6.13). */
  public static final int TRACE_UPROBE_SESSION = 57;
  private static final int BPF_LINK_CREATE = 28;

  /**
   * Attaches a program loaded for {@link #TRACE_UPROBE_SESSION} at file offset {@code offset} of
   * {@code binary} (one uprobe_multi link of one function; pid -1: every process). libbpf 1.1
   * predates uprobe_multi links, so the link is made with the bpf syscall directly.
   */
  public BpfLink attachUprobeSession(String programName, Path binary, long offset, long cookie, int pid) {
    int progFd = LibBpf.programFd(program(programName));
    if (progFd < 0) {
      throw new LibBpfException("bpf_program__fd(" + programName + ")", -progFd);
    }
    try (Arena call = Arena.ofConfined()) {
      MemorySegment path = call.allocateFrom(binary.toString());
      MemorySegment offsets = call.allocate(JAVA_LONG);
      offsets.set(JAVA_LONG, 0, offset);
      MemorySegment cookies = call.allocate(JAVA_LONG);
      cookies.set(JAVA_LONG, 0, cookie);
      MemorySegment attr = call.allocate(64, 8); // union bpf_attr, link_create.uprobe_multi
      attr.set(JAVA_INT, 0, progFd);
      attr.set(JAVA_INT, 8, TRACE_UPROBE_SESSION);
      attr.set(JAVA_LONG, 16, path.address());
      attr.set(JAVA_LONG, 24, offsets.address());
      attr.set(JAVA_LONG, 40, cookies.address());
      attr.set(JAVA_INT, 48, 1);
      attr.set(JAVA_INT, 56, Math.max(pid, 0));
      String what = "uprobe session " + programName + " -> " + binary + "+0x" + Long.toHexString(offset)
          + (pid < 0 ? "" : " pid " + pid);
      return BpfLink.ofFd(LibBpf.bpfSyscall(BPF_LINK_CREATE, attr, what));
    }
  }

  /**
   * Before {@link #load}: the map {@code mapName} becomes the already loaded map {@code fd} (of
   * another object), so two objects share it (a ring buffer, filter maps).
   */
  public void reuseMap(String mapName, int fd) {
    int rc = LibBpf.mapReuseFd(map(mapName), fd);
    if (rc < 0) {
      throw new LibBpfException("bpf_map__reuse_fd(" + mapName + ")", -rc);
    }
  }

  /** Loads programs and maps into the kernel; a rejection carries the verifier log. */
  public void load() {
    int rc = LibBpf.objectLoad(handle);
    if (rc < 0) {
      throw new LibBpfException("bpf_object__load", -rc, verifierLogText());
    }
  }

  /** Attaches a tracepoint (or other auto-attachable) program by name. */
  public BpfLink attach(String programName) {
    return new BpfLink(LibBpf.programAttach(program(programName), programName));
  }

  /**
   * Attaches a program as uprobe ({@code retprobe} false) or uretprobe on {@code function} of the
   * ELF file {@code binary}, for every process (pid -1). The program reads {@code cookie} with
   * bpf_get_attach_cookie.
   */
  public BpfLink attachUprobe(String programName, Path binary, String function, boolean retprobe, long cookie) {
    return attachUprobe(programName, binary, function, retprobe, cookie, -1);
  }

  /**
   * As {@link #attachUprobe(String, Path, String, boolean, long)} but only for the process {@code
   * pid} (-1: every process): other processes then never trap into the kernel for it.
   */
  public BpfLink attachUprobe(String programName, Path binary, String function, boolean retprobe, long cookie, int pid) {
    try (Arena call = Arena.ofConfined()) {
      MemorySegment opts = call.allocate(NativeStructs.UPROBE_OPTS);
      opts.set(JAVA_LONG, 0, NativeStructs.UPROBE_OPTS.byteSize());
      opts.set(JAVA_LONG, NativeStructs.offsetOf(NativeStructs.UPROBE_OPTS, "bpf_cookie"), cookie);
      opts.set(JAVA_BYTE, NativeStructs.offsetOf(NativeStructs.UPROBE_OPTS, "retprobe"), (byte) (retprobe ? 1 : 0));
      opts.set(ADDRESS, NativeStructs.offsetOf(NativeStructs.UPROBE_OPTS, "func_name"), call.allocateFrom(function));
      String what = programName + " -> " + binary + ":" + function + (pid < 0 ? "" : " pid " + pid);
      return new BpfLink(
          LibBpf.programAttachUprobeOpts(program(programName), pid, binary.toString(), 0, opts, what));
    }
  }

  /**
   * Attaches a program as uprobe or uretprobe at {@code fileOffset} of {@code binary} (no symbol:
   * for functions located by offset, e.g. an explicit {@code --mysql-offset}), for every process.
   */
  public BpfLink attachUprobeAt(String programName, Path binary, long fileOffset, boolean retprobe, long cookie) {
    try (Arena call = Arena.ofConfined()) {
      MemorySegment opts = call.allocate(NativeStructs.UPROBE_OPTS);
      opts.set(JAVA_LONG, 0, NativeStructs.UPROBE_OPTS.byteSize());
      opts.set(JAVA_LONG, NativeStructs.offsetOf(NativeStructs.UPROBE_OPTS, "bpf_cookie"), cookie);
      opts.set(JAVA_BYTE, NativeStructs.offsetOf(NativeStructs.UPROBE_OPTS, "retprobe"), (byte) (retprobe ? 1 : 0));
      String what = programName + " -> " + binary + "+0x" + Long.toHexString(fileOffset);
      return new BpfLink(LibBpf.programAttachUprobeOpts(program(programName), -1, binary.toString(), fileOffset, opts, what));
    }
  }

  /** File descriptor of a loaded program (for TC attachment, {@link TcFilter}). */
  public int programFd(String programName) {
    int fd = LibBpf.programFd(program(programName));
    if (fd < 0) {
      throw new LibBpfException("bpf_program__fd(" + programName + ")", -fd);
    }
    return fd;
  }

  /**
   * As {@link #attachUprobe(String, Path, String, boolean, long, int)} at a file offset of {@code
   * binary} instead of a function name (libbpf then does not parse the ELF file).
   */
  public BpfLink attachUprobeAt(String programName, Path binary, long fileOffset, boolean retprobe, long cookie, int pid) {
    try (Arena call = Arena.ofConfined()) {
      MemorySegment opts = call.allocate(NativeStructs.UPROBE_OPTS);
      opts.set(JAVA_LONG, 0, NativeStructs.UPROBE_OPTS.byteSize());
      opts.set(JAVA_LONG, NativeStructs.offsetOf(NativeStructs.UPROBE_OPTS, "bpf_cookie"), cookie);
      opts.set(JAVA_BYTE, NativeStructs.offsetOf(NativeStructs.UPROBE_OPTS, "retprobe"), (byte) (retprobe ? 1 : 0));
      String what = programName + " -> " + binary + "+0x" + Long.toHexString(fileOffset) + (pid < 0 ? "" : " pid " + pid);
      return new BpfLink(
          LibBpf.programAttachUprobeOpts(program(programName), pid, binary.toString(), fileOffset, opts, what));
    }
  }

  /** File descriptor of a loaded map. */
  public int mapFd(String mapName) {
    int fd = LibBpf.mapFd(map(mapName));
    if (fd < 0) {
      throw new LibBpfException("bpf_map__fd(" + mapName + ")", -fd);
    }
    return fd;
  }

  private MemorySegment program(String name) {
    MemorySegment program = LibBpf.findProgram(handle, name);
    if (program.equals(MemorySegment.NULL)) {
      throw new LibBpfException("bpf_object__find_program_by_name(" + name + ")", Errno.ENOENT);
    }
    return program;
  }

  private MemorySegment map(String name) {
    MemorySegment map = LibBpf.findMap(handle, name);
    if (map.equals(MemorySegment.NULL)) {
      throw new LibBpfException("bpf_object__find_map_by_name(" + name + ")", Errno.ENOENT);
    }
    return map;
  }

  private String verifierLogText() {
    String text = verifierLog.getString(0);
    // The end of the log says why the program was rejected; keep that part.
    int keep = 8192;
    return text.length() <= keep ? text : "..." + text.substring(text.length() - keep);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    LibBpf.objectClose(handle);
    arena.close();
  }
}
