package io.ecapture.kafka.collector.sink;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.common.utils.Utils;

/**
 * Which partitions of ecapture.raw this collector wrote to lately, and the key that routes a
 * progress mark to each: Kafka's default partitioner maps a key to {@code
 * toPositive(murmur2(key)) % partitions}, so a mark's key is {@code <host id>#mark#<n>} with the
 * first {@code n} that maps to its partition.
 *
 * <p>{@link #wroteKey} runs on the ring-buffer thread for every event: one murmur2 of the
 * connection id and an array write, nothing that blocks.
 */
final class ProgressMarks {
  private final String hostId;
  /** Last write per partition (System.nanoTime); replaced when the partition count changes. */
  private volatile AtomicLongArray lastWrite = new AtomicLongArray(0);
  private final ConcurrentHashMap<Long, byte[]> keys = new ConcurrentHashMap<>();

  ProgressMarks(String hostId) {
    this.hostId = hostId;
  }

  /** The topic's partition count, from the producer's metadata (unknown until first set). */
  void partitions(int count) {
    if (count > 0 && count != lastWrite.length()) {
      AtomicLongArray old = lastWrite;
      AtomicLongArray grown = new AtomicLongArray(count);
      for (int i = 0; i < Math.min(count, old.length()); i++) {
        grown.set(i, old.get(i));
      }
      lastWrite = grown;
    }
  }

  int partitions() {
    return lastWrite.length();
  }

  /**
   * A record with this key is being appended: its partition (by the default partitioner) is
   * active from now.
   *
   * @return the partition when it was not active before (no write within {@code windowNs}, or
   *     never): the caller puts a mark in front of the record; -1 otherwise or while the partition
   *     count is unknown
   */
  int wroteKey(byte[] key, long nowNs, long windowNs) {
    AtomicLongArray writes = lastWrite;
    if (writes.length() == 0) {
      return -1;
    }
    int partition = partitionOf(key, writes.length());
    long last = writes.getAndSet(partition, nowNs);
    return last == 0 || nowNs - last > windowNs ? partition : -1;
  }

  /** Data was acknowledged in {@code partition}. */
  void wrote(int partition, long nowNs) {
    AtomicLongArray writes = lastWrite;
    if (partition >= 0 && partition < writes.length()) {
      writes.set(partition, nowNs);
    }
  }

  /** Partitions written to within {@code windowNs} before {@code nowNs}. */
  List<Integer> active(long nowNs, long windowNs) {
    AtomicLongArray writes = lastWrite;
    List<Integer> active = new ArrayList<>();
    for (int i = 0; i < writes.length(); i++) {
      long last = writes.get(i);
      if (last != 0 && nowNs - last <= windowNs) {
        active.add(i);
      }
    }
    return active;
  }

  /** A key the default partitioner maps to {@code partition} of the current partition count. */
  byte[] keyFor(int partition) {
    int count = partitions();
    return keys.computeIfAbsent(((long) count << 32) | partition, unused -> {
      for (int n = 0; ; n++) {
        byte[] key = (hostId + "#mark#" + n).getBytes(StandardCharsets.UTF_8);
        if (partitionOf(key, count) == partition) {
          return key;
        }
      }
    });
  }

  /** Kafka's default partitioner for a keyed record. */
  static int partitionOf(byte[] key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key)) % partitions;
  }
}
