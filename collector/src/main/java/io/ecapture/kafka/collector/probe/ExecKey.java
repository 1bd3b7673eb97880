package io.ecapture.kafka.collector.probe;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * An executable's identity as the kernel sees it at exec ({@code struct exec_key} of
 * exec_watch.h): device (kernel encoding), inode and modification time. Replacing a file makes a
 * new inode, rewriting it in place a new mtime: either way a new key, examined again.
 *
 * @param dev the superblock's device number, kernel encoding ({@code major << 20 | minor}), not
 *     the {@code st_dev} stat(2) returns (see {@link #kernelDev})
 */
public record ExecKey(long dev, long ino, long mtimeSec, int mtimeNsec) {
  /** sizeof(struct exec_key). */
  static final int SIZE = 32;
  static final long DEV = 0;
  static final long INO = 8;
  static final long MTIME_SEC = 16;
  static final long MTIME_NSEC = 24;

  private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
  private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;

  /** Reads a struct exec_key at {@code offset}. */
  static ExecKey read(MemorySegment segment, long offset) {
    return new ExecKey(segment.get(U64, offset + DEV), segment.get(U64, offset + INO),
        segment.get(U64, offset + MTIME_SEC), segment.get(U32, offset + MTIME_NSEC));
  }

  /** Writes it as a struct exec_key (padding zeroed) at {@code offset}. */
  void write(MemorySegment segment, long offset) {
    segment.asSlice(offset, SIZE).fill((byte) 0);
    segment.set(U64, offset + DEV, dev);
    segment.set(U64, offset + INO, ino);
    segment.set(U64, offset + MTIME_SEC, mtimeSec);
    segment.set(U32, offset + MTIME_NSEC, mtimeNsec);
  }

  /**
   * The key of a file from stat(2) (following links); empty when it cannot be read. Matches what
   * the kernel reports for files on ordinary file systems; on overlayfs stat may report the
   * underlying layer's device and inode, so such files are keyed from the exec event instead.
   */
  static Optional<ExecKey> of(Path file) {
    try {
      Map<String, Object> stat = Files.readAttributes(file, "unix:dev,ino,lastModifiedTime");
      Instant mtime = ((FileTime) stat.get("lastModifiedTime")).toInstant();
      return Optional.of(new ExecKey(kernelDev((Long) stat.get("dev")), (Long) stat.get("ino"),
          mtime.getEpochSecond(), mtime.getNano()));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
      return Optional.empty();
    }
  }

  /**
   * The kernel's device number ({@code MKDEV}: major in bits 20.., minor in bits 0..19) of a
   * user-space {@code st_dev} (glibc's {@code makedev}: minor in bits 0..7 and 20..43, major in bits 8..19
   * and 32..63).
   */
  static long kernelDev(long userDev) {
    long major = ((userDev >>> 8) & 0xfffL) | ((userDev >>> 32) & 0xfffff000L);
    long minor = (userDev & 0xffL) | ((userDev >>> 12) & 0xffffff00L);
    return (major << 20) | (minor & 0xfffffL);
  }
}
