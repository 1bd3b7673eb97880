package io.ecapture.kafka.collector.sink;

import io.ecapture.kafka.collector.control.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A bounded, ordered, on-disk FIFO of key/value records: the write-ahead buffer between the ring
 * buffer and Kafka. Appends never wait for anything but a memory copy into a memory-mapped
 * segment file; a single reader takes records in append order and later {@link #release}s what
 * the broker acknowledged. What is not released survives a restart ({@link #open} resumes at the
 * last saved cursor, so at worst the records of the last second are delivered again).
 *
 * <p>A position is {@code segment sequence << 32 | byte offset}: positions grow in append order.
 * Record layout in a segment: {@code int bodyLength, int crc32c(body), body = int keyLength, key,
 * value}; a zero length (the file is pre-sized and sparse) or a bad CRC ends a segment on
 * recovery. One lock guards segments and the read cursor: both sides hold it only for a copy.
 */
final class DiskSpool implements AutoCloseable {
  /** One record read back, with the position to acknowledge it by. */
  record Entry(long position, byte[] key, byte[] value) {}

  static final String CURSOR_FILE = "cursor";
  static final String LOCK_FILE = "lock";
  private static final String SUFFIX = ".seg";
  private static final int RECORD_HEADER = 8;
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

  private final Path dir;
  private final int segmentBytes;
  private final int maxSegments;
  private final SpoolFullPolicy policy;
  private final ReentrantLock lock = new ReentrantLock();
  private final TreeMap<Long, Segment> segments = new TreeMap<>();
  private Segment writing;
  private long nextSequence;
  private long readPosition;
  private long savedCursor = -1; // the reader thread's: the cursor file holds this position
  private long droppedRecords;
  private long appendedRecords;
  private boolean closed;
  private FileChannel lockChannel;
  private java.nio.channels.FileLock ownerLock;

  private static final class Segment {
    final long sequence;
    final Path file;
    final Arena arena;
    final MemorySegment map;
    int end;
    int records;

    Segment(long sequence, Path file, Arena arena, MemorySegment map) {
      this.sequence = sequence;
      this.file = file;
      this.arena = arena;
      this.map = map;
    }
  }

  private DiskSpool(Path dir, int segmentBytes, int maxSegments, SpoolFullPolicy policy) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.maxSegments = maxSegments;
    this.policy = policy;
  }

  /**
   * Opens (creating if needed) the spool in {@code dir}: existing segments are recovered up to
   * their last intact record and read from the saved cursor on; new records go to a new segment.
   *
   * @param maxBytes disk the segments may use; at least two segments
   * @param segmentBytes size of one segment file; larger than any record
   */
  static DiskSpool open(Path dir, long maxBytes, int segmentBytes, SpoolFullPolicy policy) throws IOException {
    if (maxBytes / segmentBytes < 2) {
      throw new IllegalArgumentException("spool of " + maxBytes + " bytes holds fewer than two segments of " + segmentBytes);
    }
    PrivateFiles.directory(dir); // 0700: segments hold captured plaintext and TLS secrets
    DiskSpool spool = new DiskSpool(dir, segmentBytes, (int) Math.min(Integer.MAX_VALUE, maxBytes / segmentBytes), policy);
    spool.lock();
    try {
      spool.recover();
    } catch (IOException | RuntimeException e) {
      spool.close();
      throw e;
    }
    return spool;
  }

  /** Two writers on one directory would corrupt each other's segments: one owner at a time. */
  private void lock() throws IOException {
    lockChannel = PrivateFiles.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      ownerLock = lockChannel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      ownerLock = null; // held by this JVM
    }
    if (ownerLock == null) {
      lockChannel.close();
      throw new IOException("spool directory " + dir + " is in use by another collector (give each its own --spool-dir)");
    }
  }

  private void recover() throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
    }
    long cursor = readCursor();
    for (Path file : files) {
      long sequence = Long.parseLong(file.getFileName().toString().replace(SUFFIX, ""));
      if (sequence < sequenceOf(cursor) || Files.size(file) < RECORD_HEADER) {
        Files.deleteIfExists(file); // fully delivered before the last stop, or never written
        continue;
      }
      Segment segment = map(sequence, file, Files.size(file));
      scan(segment);
      segments.put(sequence, segment);
      nextSequence = sequence + 1;
    }
    readPosition = cursor;
  }

  /** Finds the end of the intact records of a recovered segment. */
  private static void scan(Segment segment) {
    long size = segment.map.byteSize();
    int offset = 0;
    while (offset + RECORD_HEADER <= size) {
      int length = segment.map.get(INT, offset);
      if (length < 4 || offset + RECORD_HEADER + (long) length > size) {
        break;
      }
      int crc = segment.map.get(INT, offset + 4);
      if (crc != crc(segment.map.asSlice(offset + RECORD_HEADER, length))) {
        break; // torn write at a crash: everything from here on is unusable
      }
      offset += RECORD_HEADER + length;
      segment.records++;
    }
    segment.end = offset;
  }

  /**
   * Appends one record. Never blocks on I/O beyond page-cache memory copies.
   *
   * @return false when the record was refused (spool full under DROP_NEWEST, record larger than a
   *     segment, or the disk refused a new segment); counted in {@link #droppedRecords}
   */
  boolean append(byte[] key, byte[] value) {
    int length = 4 + key.length + value.length;
    int needed = RECORD_HEADER + length;
    lock.lock();
    try {
      if (closed || needed > segmentBytes) {
        droppedRecords++;
        return false;
      }
      if (writing == null || writing.end + needed > writing.map.byteSize()) {
        if (!rollOver()) {
          droppedRecords++;
          return false;
        }
      }
      MemorySegment map = writing.map;
      int offset = writing.end;
      map.set(INT, offset + RECORD_HEADER, key.length);
      MemorySegment.copy(key, 0, map, ValueLayout.JAVA_BYTE, offset + RECORD_HEADER + 4, key.length);
      MemorySegment.copy(value, 0, map, ValueLayout.JAVA_BYTE, offset + RECORD_HEADER + 4 + key.length, value.length);
      map.set(INT, offset + 4, crc(map.asSlice(offset + RECORD_HEADER, length)));
      map.set(INT, offset, length); // last: a crash before it leaves a zero length (end of segment)
      writing.end += needed;
      writing.records++;
      appendedRecords++;
      return true;
    } finally {
      lock.unlock();
    }
  }

  private boolean rollOver() {
    while (segments.size() >= maxSegments) {
      if (policy == SpoolFullPolicy.DROP_NEWEST) {
        return false;
      }
      dropOldest();
    }
    long sequence = nextSequence++;
    Path file = dir.resolve(String.format("%016d%s", sequence, SUFFIX));
    try {
      writing = map(sequence, file, segmentBytes);
    } catch (IOException e) {
      writing = null;
      return false; // disk full or unwritable: the caller counts the record
    }
    segments.put(sequence, writing);
    return true;
  }

  private void dropOldest() {
    Segment oldest = segments.firstEntry().getValue();
    int unread = 0;
    if (sequenceOf(readPosition) <= oldest.sequence) {
      int offset = sequenceOf(readPosition) == oldest.sequence ? offsetOf(readPosition) : 0;
      unread = countRecords(oldest, offset);
      readPosition = position(oldest.sequence + 1, 0);
    }
    droppedRecords += unread;
    remove(oldest);
  }

  private static int countRecords(Segment segment, int from) {
    int count = 0;
    for (int offset = from; offset < segment.end; offset += RECORD_HEADER + segment.map.get(INT, offset)) {
      count++;
    }
    return count;
  }

  /** The next record in append order, or null when the reader has caught up. */
  Entry next() {
    lock.lock();
    try {
      while (true) {
        Map.Entry<Long, Segment> found = segments.ceilingEntry(sequenceOf(readPosition));
        if (found == null) {
          return null;
        }
        Segment segment = found.getValue();
        if (segment.sequence != sequenceOf(readPosition)) {
          readPosition = position(segment.sequence, 0); // that segment was released or dropped
        }
        int offset = offsetOf(readPosition);
        if (offset < segment.end) {
          int length = segment.map.get(INT, offset);
          int keyLength = segment.map.get(INT, offset + RECORD_HEADER);
          long body = offset + RECORD_HEADER + 4;
          byte[] key = segment.map.asSlice(body, keyLength).toArray(ValueLayout.JAVA_BYTE);
          byte[] value = segment.map.asSlice(body + keyLength, length - 4 - keyLength).toArray(ValueLayout.JAVA_BYTE);
          Entry entry = new Entry(readPosition, key, value);
          readPosition += RECORD_HEADER + length;
          return entry;
        }
        if (segment == writing || segments.higherKey(segment.sequence) == null) {
          return null;
        }
        readPosition = position(segment.sequence + 1, 0);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Position of the record {@link #next} returns next. */
  long readPosition() {
    lock.lock();
    try {
      return readPosition;
    } finally {
      lock.unlock();
    }
  }

  /** Moves the reader back (or forward) to {@code position}: records from there are read again. */
  void seek(long position) {
    lock.lock();
    try {
      readPosition = position;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Everything before {@code position} is delivered: deletes the segments wholly before it and
   * saves it as the restart cursor.
   */
  void release(long position) {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      while (!segments.isEmpty()) {
        Segment first = segments.firstEntry().getValue();
        if (first == writing || first.sequence >= sequenceOf(position)) {
          break;
        }
        remove(first);
      }
    } finally {
      lock.unlock();
    }
    // outside the lock: appends (the ring-buffer thread) must not wait for file I/O; only the one
    // reader thread releases, so cursor writes never race. An unchanged cursor is not rewritten:
    // an idle sender releases now and then and must not touch the disk each time
    if (position != savedCursor) {
      writeCursor(position);
      savedCursor = position;
    }
  }

  /** True when every appended record has been read. */
  boolean caughtUp() {
    lock.lock();
    try {
      Map.Entry<Long, Segment> last = segments.lastEntry();
      return last == null || readPosition >= position(last.getKey(), last.getValue().end);
    } finally {
      lock.unlock();
    }
  }

  /** Records refused or dropped because of the size limit (or a disk error). */
  long droppedRecords() {
    lock.lock();
    try {
      return droppedRecords;
    } finally {
      lock.unlock();
    }
  }

  long appendedRecords() {
    lock.lock();
    try {
      return appendedRecords;
    } finally {
      lock.unlock();
    }
  }

  /** Bytes of records in the live segments (delivered ones included until their segment goes). */
  long usedBytes() {
    lock.lock();
    try {
      long used = 0;
      for (Segment segment : segments.values()) {
        used += segment.end;
      }
      return used;
    } finally {
      lock.unlock();
    }
  }

  int segmentCount() {
    lock.lock();
    try {
      return segments.size();
    } finally {
      lock.unlock();
    }
  }

  private void remove(Segment segment) {
    segments.remove(segment.sequence);
    if (segment == writing) {
      writing = null;
    }
    segment.arena.close();
    try {
      Files.deleteIfExists(segment.file);
    } catch (IOException e) {
      // recovery deletes it later (its sequence is below the cursor)
    }
  }

  private Segment map(long sequence, Path file, long size) throws IOException {
    Arena arena = Arena.ofShared();
    // 0600 from its creation on (and an older, wider segment tightened): it holds plaintext
    try (FileChannel channel =
        PrivateFiles.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      if (channel.size() < size) {
        // a sparse file of the full size: mapping past the end of a file is not allowed
        channel.position(size - 1);
        channel.write(java.nio.ByteBuffer.wrap(new byte[1]));
      }
      return new Segment(sequence, file, arena, channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena));
    } catch (IOException | RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  private long readCursor() throws IOException {
    Path file = dir.resolve(CURSOR_FILE);
    if (!Files.exists(file)) {
      return 0;
    }
    try {
      return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).strip());
    } catch (NumberFormatException e) {
      return 0; // unreadable: replay everything still on disk rather than lose it
    }
  }

  private void writeCursor(long position) {
    try {
      PrivateFiles.writeAtomically(dir.resolve(CURSOR_FILE), Long.toString(position));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the spool cursor in " + dir, e);
    }
  }

  private static int crc(MemorySegment body) {
    CRC32C crc = new CRC32C();
    crc.update(body.asByteBuffer());
    return (int) crc.getValue();
  }

  static long position(long sequence, int offset) {
    return sequence << 32 | Integer.toUnsignedLong(offset);
  }

  static long sequenceOf(long position) {
    return position >>> 32;
  }

  static int offsetOf(long position) {
    return (int) position;
  }

  @Override
  public String toString() {
    return "spool " + dir;
  }

  /** Unmaps every segment; records not released stay on disk for the next {@link #open}. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (Segment segment : new ArrayList<>(segments.values())) {
        segment.arena.close();
      }
      segments.clear();
      writing = null;
      if (lockChannel != null) {
        try {
          lockChannel.close(); // releases the lock
        } catch (IOException e) {
          // closing a lock file cannot lose data
        }
      }
    } finally {
      lock.unlock();
    }
  }
}
