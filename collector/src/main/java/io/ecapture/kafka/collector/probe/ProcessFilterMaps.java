package io.ecapture.kafka.collector.probe;

import io.ecapture.kafka.collector.control.CaptureFilter;
import io.ecapture.kafka.collector.identity.CgroupMount;
import io.ecapture.kafka.collector.libbpf.BpfObject;
import io.ecapture.kafka.collector.libbpf.LibBpf;
import io.ecapture.kafka.collector.libbpf.LibBpfException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Writes a {@link CaptureFilter} into the BPF maps {@code filter_pids}, {@code filter_uids},
 * {@code filter_comms}, {@code filter_cgroups} and the on/off flags of {@code capture_filter}
 * (tlscapture.h enum filter_key). Cgroup paths are resolved to their ids before any map is
 * touched, so a bad path changes nothing. Order keeps every intermediate state sensible: a filter
 * being turned off is switched off first; a set being changed gets its new members before losing
 * old ones, and is switched on last.
 */
final class ProcessFilterMaps {
  static final String PIDS_MAP = "filter_pids";
  static final String UIDS_MAP = "filter_uids";
  static final String COMMS_MAP = "filter_comms";
  static final String CGROUPS_MAP = "filter_cgroups";
  static final int FILTER_BY_PID = 1;
  static final int FILTER_BY_UID = 2;
  static final int FILTER_BY_COMM = 3;
  static final int FILTER_BY_CGROUP = 4;
  /** MAX_CGROUP_LEVELS of tlscapture.h: the kernel looks at ancestor levels 0 (root) to 31. */
  static final int MAX_CGROUP_LEVELS = 32;
  private static final int COMM_KEY_BYTES = 16;
  private static final int ENOENT = 2;

  private final BpfObject object;

  ProcessFilterMaps(BpfObject object) {
    this.object = object;
  }

  /** @throws IllegalArgumentException when a cgroup path cannot be resolved (nothing written then) */
  void apply(CaptureFilter filter, Optional<CgroupMount> cgroupMount) {
    List<byte[]> cgroups = cgroupKeys(filter.cgroups(), cgroupMount);
    sync(FILTER_BY_PID, PIDS_MAP, Integer.BYTES, filter.pids().stream().map(ProcessFilterMaps::intKey).toList());
    sync(FILTER_BY_UID, UIDS_MAP, Integer.BYTES, filter.uids().stream().map(ProcessFilterMaps::intKey).toList());
    sync(FILTER_BY_COMM, COMMS_MAP, COMM_KEY_BYTES, filter.comms().stream().map(ProcessFilterMaps::commKey).toList());
    sync(FILTER_BY_CGROUP, CGROUPS_MAP, Long.BYTES, cgroups);
  }

  /** The cgroup ids of the paths, as map keys. */
  static List<byte[]> cgroupKeys(Set<String> paths, Optional<CgroupMount> cgroupMount) {
    if (paths.isEmpty()) {
      return List.of();
    }
    CgroupMount mount = cgroupMount.orElseThrow(() -> new IllegalArgumentException(
        "no cgroup2 file system in /proc/mounts: cannot filter by cgroup"));
    List<byte[]> keys = new ArrayList<>();
    for (String path : paths) {
      int level = mount.levelOf(mount.directoryOf(path));
      if (level >= MAX_CGROUP_LEVELS) {
        throw new IllegalArgumentException("cgroup " + path + " is " + level + " levels deep; the kernel filter looks at "
            + MAX_CGROUP_LEVELS + " levels at most");
      }
      try {
        keys.add(longKey(mount.idOf(path)));
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read cgroup " + path + ": " + e.getMessage(), e);
      }
    }
    return keys;
  }

  private void sync(int flag, String mapName, int keySize, List<byte[]> wanted) {
    int mapFd = object.mapFd(mapName);
    int flagsFd = object.mapFd(TlsProbes.CAPTURE_FILTER_MAP);
    if (wanted.isEmpty()) {
      setFlag(flagsFd, flag, 0);
    }
    try (Arena arena = Arena.ofConfined()) {
      Set<String> wantedHex = new HashSet<>();
      MemorySegment value = arena.allocate(ValueLayout.JAVA_BYTE);
      value.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
      for (byte[] key : wanted) {
        wantedHex.add(HexFormat.of().formatHex(key));
        check(LibBpf.mapUpdateElem(mapFd, arena.allocateFrom(ValueLayout.JAVA_BYTE, key), value, 0), "update", mapName);
      }
      for (byte[] key : keys(arena, mapFd, keySize)) {
        if (!wantedHex.contains(HexFormat.of().formatHex(key))) {
          int rc = LibBpf.mapDeleteElem(mapFd, arena.allocateFrom(ValueLayout.JAVA_BYTE, key));
          if (rc != -ENOENT) {
            check(rc, "delete", mapName);
          }
        }
      }
    }
    if (!wanted.isEmpty()) {
      setFlag(flagsFd, flag, 1);
    }
  }

  private static List<byte[]> keys(Arena arena, int mapFd, int keySize) {
    List<byte[]> keys = new ArrayList<>();
    MemorySegment current = MemorySegment.NULL;
    MemorySegment next = arena.allocate(keySize);
    while (LibBpf.mapGetNextKey(mapFd, current, next) == 0) {
      byte[] key = next.toArray(ValueLayout.JAVA_BYTE);
      keys.add(key);
      current = arena.allocateFrom(ValueLayout.JAVA_BYTE, key);
    }
    return keys;
  }

  private static void setFlag(int flagsFd, int flag, long on) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
      key.set(ValueLayout.JAVA_INT, 0, flag);
      MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
      value.set(ValueLayout.JAVA_LONG, 0, on);
      check(LibBpf.mapUpdateElem(flagsFd, key, value, 0), "update", TlsProbes.CAPTURE_FILTER_MAP);
    }
  }

  private static void check(int rc, String operation, String mapName) {
    if (rc < 0) {
      throw new LibBpfException("bpf_map_" + operation + "_elem(" + mapName + ")", -rc);
    }
  }

  private static byte[] longKey(long value) {
    byte[] key = new byte[Long.BYTES];
    for (int i = 0; i < Long.BYTES; i++) {
      key[i] = (byte) (value >>> (8 * i));
    }
    return key;
  }

  private static byte[] intKey(int value) {
    return new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)};
  }

  /** The task name NUL-padded to 16 bytes, as bpf_get_current_comm writes it. */
  static byte[] commKey(String comm) {
    byte[] key = new byte[COMM_KEY_BYTES];
    byte[] bytes = comm.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(bytes, 0, key, 0, Math.min(bytes.length, COMM_KEY_BYTES - 1));
    return key;
  }
}
