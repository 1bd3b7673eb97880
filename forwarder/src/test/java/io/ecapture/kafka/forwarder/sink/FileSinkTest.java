package io.ecapture.kafka.forwarder.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSinkTest {
  @TempDir Path dir;

  private static Item line(int i) {
    return new Item((String.format("record %04d ", i) + "x".repeat(40) + "\n").getBytes(StandardCharsets.UTF_8), false, true, null, i);
  }

  private List<String> allLines(Path file, int keep) throws IOException {
    List<String> lines = new ArrayList<>();
    for (int n = keep; n >= 1; n--) {
      Path p = file.resolveSibling(file.getFileName() + "." + n);
      if (Files.exists(p)) {
        lines.addAll(Files.readAllLines(p));
      }
    }
    lines.addAll(Files.readAllLines(file));
    return lines;
  }

  @Test
  void rotatesBySizeKeepingTheNewestFilesAndNeverSplittingARecord() throws IOException {
    Path file = dir.resolve("events.log");
    int lineSize = line(0).size();
    try (FileSink sink = new FileSink(file, lineSize * 10L, 3, Duration.ZERO, Clock.systemUTC())) {
      for (int i = 1; i <= 100; i++) {
        sink.accept(line(i));
      }
      assertEquals(100, sink.doneThrough());
      assertEquals(100, sink.counters().sent.sum());
      assertEquals(9, sink.counters().rotations.sum());
    }
    assertTrue(Files.exists(file.resolveSibling("events.log.3")));
    assertFalse(Files.exists(file.resolveSibling("events.log.4")), "only 3 rotated files are kept");
    for (int n = 1; n <= 3; n++) {
      assertTrue(Files.size(file.resolveSibling("events.log." + n)) <= lineSize * 10L);
    }
    // the current file and the 3 kept ones hold the last 40 records, in order, whole
    List<String> lines = allLines(file, 3);
    assertEquals(40, lines.size());
    for (int i = 0; i < 40; i++) {
      assertTrue(lines.get(i).startsWith(String.format("record %04d ", 61 + i)), lines.get(i));
    }
  }

  @Test
  void rotatesByTime() throws IOException {
    Path file = dir.resolve("t.log");
    MutableClock clock = new MutableClock();
    try (FileSink sink = new FileSink(file, 0, 5, Duration.ofSeconds(30), clock)) {
      sink.accept(line(1));
      sink.accept(line(2));
      clock.advance(Duration.ofSeconds(29));
      sink.accept(line(3));
      assertEquals(0, sink.counters().rotations.sum());
      clock.advance(Duration.ofSeconds(2));
      sink.accept(line(4));
      assertEquals(1, sink.counters().rotations.sum());
      clock.advance(Duration.ofSeconds(31));
      sink.accept(line(5));
      assertEquals(2, sink.counters().rotations.sum());
    }
    assertEquals(3, Files.readAllLines(dir.resolve("t.log.2")).size());
    assertEquals(1, Files.readAllLines(dir.resolve("t.log.1")).size());
    assertEquals(List.of(line(5).bytes().length), List.of((int) Files.size(file)));
  }

  @Test
  void aFullDiskDropsAndCountsRecordsAndRecoversWhenThereIsRoomAgain() throws Exception {
    Path mount = dir.resolve("small");
    Files.createDirectories(mount);
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      String reason = "cannot mount a size-limited tmpfs (needs root): " + out.strip();
      if (System.getenv("CI") != null) {
        fail(reason);
      }
      Assumptions.abort(reason);
    }
    try {
      Path file = mount.resolve("events.log");
      Path filler = mount.resolve("filler");
      try (FileSink sink = new FileSink(file, 0, 1, Duration.ZERO, Clock.systemUTC())) {
        int i = 0;
        // fill the 64 KiB file system through the sink itself
        while (sink.counters().dropped.sum() == 0 && i < 10_000) {
          sink.accept(line(++i));
        }
        assertEquals(1, sink.counters().dropped.sum(), "the first record that does not fit is dropped and counted");
        assertTrue(sink.counters().lastError().contains("No space left on device"), sink.counters().lastError());
        long sent = sink.counters().sent.sum();
        assertEquals(i - 1, sent);
        // no partial record was left behind
        List<String> lines = Files.readAllLines(file);
        assertEquals(sent, lines.size());
        assertTrue(lines.getLast().startsWith(String.format("record %04d ", sent)));
        sink.accept(line(++i));
        assertEquals(2, sink.counters().dropped.sum());
        assertEquals(i, sink.doneThrough(), "dropped records are done: the consumer does not stall");
        // room again: rotate the full file away by hand, as an operator would, and write on
        Files.delete(file);
        sink.accept(line(++i));
        assertEquals(sent + 1, sink.counters().sent.sum());
        assertEquals(List.of(new String(line(i).bytes(), StandardCharsets.UTF_8).strip()), Files.readAllLines(file));
      }
      Files.deleteIfExists(filler);
    } finally {
      new ProcessBuilder("umount", mount.toString()).start().waitFor();
    }
  }

  static final class MutableClock extends Clock {
    private Instant now = Instant.parse("2026-12-06T07:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
