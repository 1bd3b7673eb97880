package io.ecapture.kafka.collector.sink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskSpoolTest {
  private static final int SEGMENT = 256 * 1024;
  /** 1000-byte values plus 8 header, 4 key length and a 4-byte key: 1016 bytes a record. */
  private static final int RECORD = 1016;
  private static final int PER_SEGMENT = SEGMENT / RECORD;

  @TempDir Path dir;

  @Test
  void recordsComeBackInAppendOrderAcrossSegments() throws IOException {
    try (DiskSpool spool = DiskSpool.open(dir, 4L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_NEWEST)) {
      int count = PER_SEGMENT * 2 + 10;
      for (int i = 0; i < count; i++) {
        assertTrue(spool.append(key(i), value(i)));
      }
      assertEquals(3, spool.segmentCount());
      for (int i = 0; i < count; i++) {
        DiskSpool.Entry entry = spool.next();
        assertArrayEquals(key(i), entry.key(), "record " + i);
        assertArrayEquals(value(i), entry.value(), "record " + i);
      }
      assertNull(spool.next());
      assertTrue(spool.caughtUp());
      assertEquals(count, spool.appendedRecords());
    }
  }

  /**
   * Segments hold captured plaintext and key-log lines: the directory is 0700 and every file 0600
   * from its creation, whatever the umask (a test JVM's is usually 022), and a segment an older
   * version left world-readable is tightened when the spool opens.
   */
  @Test
  void everyFileIsPrivateToItsOwner() throws IOException {
    Path spoolDir = dir.resolve("data/spool/h");
    try (DiskSpool spool = DiskSpool.open(spoolDir, 4L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_NEWEST)) {
      for (int i = 0; i < PER_SEGMENT + 5; i++) {
        spool.append(key(i), value(i));
      }
      spool.next();
      spool.release(spool.readPosition()); // writes the cursor file
    }
    assertEquals("rwx------", mode(spoolDir));
    assertEquals("rwx------", mode(spoolDir.getParent()), "the parents it created too");
    List<Path> files;
    try (Stream<Path> list = Files.list(spoolDir)) {
      files = list.toList();
    }
    assertTrue(files.stream().filter(f -> f.toString().endsWith(".seg")).count() >= 2, files.toString());
    assertTrue(files.size() >= 4, "segments, lock and cursor: " + files);
    for (Path file : files) {
      assertEquals("rw-------", mode(file), file.toString());
    }

    Path old = files.stream().filter(f -> f.toString().endsWith(".seg")).sorted().toList().getLast();
    Files.setPosixFilePermissions(old, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(spoolDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    try (DiskSpool spool = DiskSpool.open(spoolDir, 4L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_NEWEST)) {
      assertEquals("rw-------", mode(old), "an existing segment is tightened");
      assertEquals("rwx------", mode(spoolDir));
    }
  }

  private static String mode(Path path) throws IOException {
    return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  @Test
  void seekBackReadsTheSameRecordsAgain() throws IOException {
    try (DiskSpool spool = DiskSpool.open(dir, 4L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_NEWEST)) {
      for (int i = 0; i < 5; i++) {
        spool.append(key(i), value(i));
      }
      spool.next();
      long second = spool.next().position();
      spool.next();
      spool.seek(second);
      assertArrayEquals(key(1), spool.next().key());
      assertArrayEquals(key(2), spool.next().key());
    }
  }

  @Test
  void dropNewestRefusesAndCountsOnceFull() throws IOException {
    try (DiskSpool spool = DiskSpool.open(dir, 2L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_NEWEST)) {
      int accepted = 0;
      for (int i = 0; i < PER_SEGMENT * 3; i++) {
        if (spool.append(key(i), value(i))) {
          accepted++;
        }
      }
      assertEquals(PER_SEGMENT * 2, accepted);
      assertEquals(PER_SEGMENT, spool.droppedRecords());
      // the oldest data is what is kept
      assertArrayEquals(key(0), spool.next().key());
    }
  }

  @Test
  void dropOldestDeletesTheOldestSegmentAndCountsItsUnreadRecords() throws IOException {
    try (DiskSpool spool = DiskSpool.open(dir, 2L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_OLDEST)) {
      for (int i = 0; i < 3; i++) {
        spool.append(key(i), value(i));
      }
      spool.next(); // record 0 read (in flight), 1.. unread
      for (int i = 3; i < PER_SEGMENT * 2 + 1; i++) {
        assertTrue(spool.append(key(i), value(i)));
      }
      assertEquals(PER_SEGMENT - 1, spool.droppedRecords(), "unread records of the dropped segment");
      assertEquals(2, spool.segmentCount());
      assertArrayEquals(key(PER_SEGMENT), spool.next().key(), "reading resumes at the oldest kept record");
    }
  }

  @Test
  void restartResumesAtTheReleasedPosition() throws IOException {
    long third;
    try (DiskSpool spool = DiskSpool.open(dir, 4L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_NEWEST)) {
      for (int i = 0; i < PER_SEGMENT + 5; i++) {
        spool.append(key(i), value(i));
      }
      spool.next();
      spool.next();
      third = spool.next().position();
      spool.release(third); // 0 and 1 delivered; 2 was in flight
    }
    try (DiskSpool reopened = DiskSpool.open(dir, 4L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_NEWEST)) {
      List<Integer> seen = new ArrayList<>();
      for (DiskSpool.Entry e = reopened.next(); e != null; e = reopened.next()) {
        seen.add(Integer.parseInt(new String(e.key(), StandardCharsets.US_ASCII)));
      }
      assertEquals(PER_SEGMENT + 3, seen.size());
      assertEquals(2, seen.getFirst());
      assertEquals(PER_SEGMENT + 4, seen.getLast());
      // new records go after the recovered ones
      reopened.append(key(9999), value(1));
      assertArrayEquals(key(9999), reopened.next().key());
    }
  }

  @Test
  void releaseDeletesDeliveredSegments() throws IOException {
    try (DiskSpool spool = DiskSpool.open(dir, 4L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_NEWEST)) {
      for (int i = 0; i < PER_SEGMENT * 2 + 1; i++) {
        spool.append(key(i), value(i));
      }
      DiskSpool.Entry e;
      long last = 0;
      while ((e = spool.next()) != null) {
        last = e.position();
      }
      spool.release(last);
      assertEquals(1, spool.segmentCount());
      assertEquals(1, segmentFiles().size());
    }
  }

  @Test
  void aTornRecordEndsRecoveryOfItsSegment() throws IOException {
    try (DiskSpool spool = DiskSpool.open(dir, 4L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_NEWEST)) {
      for (int i = 0; i < 3; i++) {
        spool.append(key(i), value(i));
      }
    }
    try (RandomAccessFile file = new RandomAccessFile(segmentFiles().getFirst().toFile(), "rw")) {
      file.seek(2L * RECORD + 100); // inside the third record's payload
      file.write(0x55);
    }
    try (DiskSpool reopened = DiskSpool.open(dir, 4L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_NEWEST)) {
      assertArrayEquals(key(0), reopened.next().key());
      assertArrayEquals(key(1), reopened.next().key());
      assertNull(reopened.next(), "the corrupt record and what follows are not delivered");
    }
  }

  @Test
  void aRecordLargerThanASegmentIsRefusedAndCounted() throws IOException {
    try (DiskSpool spool = DiskSpool.open(dir, 4L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_OLDEST)) {
      assertFalse(spool.append(key(1), new byte[SEGMENT]));
      assertEquals(1, spool.droppedRecords());
      assertNull(spool.next());
    }
  }

  @Test
  void aSecondOwnerOfTheDirectoryIsRefused() throws IOException {
    try (DiskSpool spool = DiskSpool.open(dir, 4L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_OLDEST)) {
      IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
          () -> DiskSpool.open(dir, 4L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_OLDEST));
      assertTrue(e.getMessage().contains("in use by another collector"), e.getMessage());
      assertTrue(spool.append(key(1), value(1)), "the first owner is unaffected");
    }
    try (DiskSpool again = DiskSpool.open(dir, 4L * SEGMENT, SEGMENT, SpoolFullPolicy.DROP_OLDEST)) {
      assertArrayEquals(key(1), again.next().key(), "free again after close");
    }
  }

  private List<Path> segmentFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
    }
  }

  private static byte[] key(int i) {
    return String.format("%04d", i).getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] value(int i) {
    byte[] value = new byte[1000];
    java.util.Arrays.fill(value, (byte) i);
    return value;
  }
}
