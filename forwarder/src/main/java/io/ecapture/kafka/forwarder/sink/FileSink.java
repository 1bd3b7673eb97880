package io.ecapture.kafka.forwarder.sink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends records to a file and rotates it: when the next record would take it past {@code
 * maxBytes}, or when it has been open for {@code interval}, {@code FILE} becomes {@code FILE.1}
 * ({@code FILE.1} becomes {@code FILE.2} ...) and a new {@code FILE} starts; at most {@code keep}
 * rotated files stay, the oldest is deleted. Each record is written whole with one {@code write}
 * on the consumer thread; {@link #flush} forces the file to disk ({@code fsync}), so the offsets
 * committed after it are on disk.
 *
 * <p>A write that fails (a full disk, a removed directory) drops that record, counted in {@code
 * dropped} with the error in the log (the first and then every power of two) and in {@code
 * lastError}; the next record tries again (reopening the file), so the sink recovers once there
 * is room. Nothing else stops.
 */
public final class FileSink implements Sink {
  private static final Logger log = LoggerFactory.getLogger(FileSink.class);

  private final Path file;
  private final long maxBytes;
  private final int keep;
  private final long intervalMs;
  private final Clock clock;
  private final SinkCounters counters = new SinkCounters();
  private FileChannel channel;
  private long size;
  private long openedAtMs;
  private long failures;
  private boolean dirty;
  private long lastAccepted;
  private long syncedThrough;

  /**
   * @param maxBytes rotate before exceeding this size; 0 = no size rotation
   * @param keep rotated files kept (at least 1)
   * @param interval rotate after this long; zero = no time rotation
   */
  public FileSink(Path file, long maxBytes, int keep, Duration interval, Clock clock) {
    if (keep < 1) {
      throw new IllegalArgumentException("files kept must be >= 1");
    }
    this.file = file.toAbsolutePath();
    this.maxBytes = maxBytes;
    this.keep = keep;
    this.intervalMs = interval.toMillis();
    this.clock = clock;
  }

  @Override
  public synchronized void accept(Item item) {
    lastAccepted = item.seq();
    try {
      if (channel == null) {
        open();
      }
      long now = clock.millis();
      if ((maxBytes > 0 && size > 0 && size + item.size() > maxBytes)
          || (intervalMs > 0 && now - openedAtMs >= intervalMs && size > 0)) {
        rotate();
      }
      ByteBuffer buffer = ByteBuffer.wrap(item.bytes());
      long before = size;
      try {
        while (buffer.hasRemaining()) {
          size += channel.write(buffer);
        }
      } catch (IOException e) {
        // a partial record must not stay: cut the file back to where the record began
        truncateTo(before);
        throw e;
      }
      dirty = true;
      counters.sent.increment();
      counters.sentBytes.add(item.size());
      counters.connected(true);
    } catch (IOException | RuntimeException e) {
      failed(e);
    }
  }

  private void failed(Exception e) {
    counters.dropped.increment();
    counters.connected(false);
    String message = "cannot write " + file + ": " + e;
    counters.error(message);
    failures++;
    if (Long.bitCount(failures) == 1) {
      log.error("{} (record dropped; {} dropped so far, the next record tries again)", message, failures);
    }
    closeChannel();
  }

  private void truncateTo(long length) {
    try {
      channel.truncate(length);
      size = length;
    } catch (IOException ignored) {
      // the failure is reported by the caller; the file is reopened on the next record
    }
  }

  private void open() throws IOException {
    Path parent = file.getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    size = channel.size();
    openedAtMs = clock.millis();
  }

  private void rotate() throws IOException {
    channel.force(false);
    closeChannel();
    Files.deleteIfExists(rotated(keep));
    for (int i = keep - 1; i >= 1; i--) {
      if (Files.exists(rotated(i))) {
        Files.move(rotated(i), rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.move(file, rotated(1), StandardCopyOption.REPLACE_EXISTING);
    counters.rotations.increment();
    open();
  }

  /** The {@code n}th rotated file ({@code FILE.n}). */
  public Path rotated(int n) {
    return file.resolveSibling(file.getFileName() + "." + n);
  }

  @Override
  public synchronized boolean flush(Duration timeout) {
    long through = lastAccepted;
    if (channel != null && dirty) {
      try {
        channel.force(false);
        dirty = false;
      } catch (IOException e) {
        // what was written is in the page cache; report and let the next flush try again
        counters.error("cannot sync " + file + ": " + e);
        return false;
      }
    }
    syncedThrough = through;
    return true;
  }

  @Override
  public synchronized long doneThrough() {
    flush(Duration.ZERO);
    return syncedThrough;
  }

  @Override
  public SinkCounters counters() {
    return counters;
  }

  @Override
  public String describe() {
    return file.toString();
  }

  private void closeChannel() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing left to do with it
      }
      channel = null;
    }
  }

  @Override
  public synchronized void close() {
    flush(Duration.ZERO);
    closeChannel();
  }
}
