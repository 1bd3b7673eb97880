package io.ecapture.kafka.processor.protocol.http2;

import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A direction's HPACK dynamic table as kept in its state ({@code hpack_entries}, oldest first,
 * {@code hpack_table_max_size}), updated exactly as RFC 7541 §4 and Netty's decoder update
 * theirs, so a restarted task can rebuild the decoder's table from it.
 *
 * <p>Strings are the octets of the fields as ISO-8859-1 characters (what Netty's
 * {@code AsciiString.toString()} gives), so sizes (§4.1: octets + 32) and the rebuilt octets are
 * exact for any byte.
 */
final class PersistedHpackTable {
  /** SETTINGS_HEADER_TABLE_SIZE default (RFC 9113 §6.5.2): the table's size until an update. */
  static final long DEFAULT_MAX_SIZE = 4096;
  private static final int ENTRY_OVERHEAD = 32;

  private PersistedHpackTable() {}

  static long maxSize(ProcessorDirectionState.Builder dir) {
    return dir.hasHpackTableMaxSize() ? Integer.toUnsignedLong(dir.getHpackTableMaxSize()) : DEFAULT_MAX_SIZE;
  }

  /** True when a fresh decoder already holds this table (empty, default size). */
  static boolean isFresh(ProcessorDirectionState.Builder dir) {
    return dir.getHpackEntriesCount() == 0 && !dir.hasHpackTableMaxSize();
  }

  /** The table restarts empty with the default size (a fresh decoder's table). */
  static void reset(ProcessorDirectionState.Builder dir) {
    if (!isFresh(dir)) {
      dir.clearHpackEntries().clearHpackTableMaxSize();
    }
    dir.setHpackTableVersion(dir.getHpackTableVersion() + 1);
  }

  /**
   * Applies one decoded block's changes: its size updates, then its incrementally indexed
   * fields in order ({@code fields} = name, value, name, value... of every emitted field).
   */
  static void apply(ProcessorDirectionState.Builder dir, HpackTableChanges changes,
      List<CharSequence> fields) {
    long size = size(dir);
    for (long update : changes.sizeUpdates()) {
      if (update == DEFAULT_MAX_SIZE) {
        dir.clearHpackTableMaxSize();
      } else {
        dir.setHpackTableMaxSize((int) update); // at most the decoder's limit (1 MiB)
      }
      size = evictTo(dir, size, update);
    }
    long max = maxSize(dir);
    for (int i = 0; i < changes.fields(); i++) {
      if (!changes.incremental()[i]) {
        continue;
      }
      String name = fields.get(2 * i).toString();
      String value = fields.get(2 * i + 1).toString();
      long entry = name.length() + value.length() + ENTRY_OVERHEAD;
      if (entry > max) {
        dir.clearHpackEntries(); // §4.4: an entry larger than the table empties it
        size = 0;
        continue;
      }
      size = evictTo(dir, size, max - entry);
      dir.addHpackEntries(Header.newBuilder().setName(name).setValue(value));
      size += entry;
    }
    dir.setHpackTableVersion(dir.getHpackTableVersion() + 1);
  }

  /**
   * A header block that makes a fresh decoder's table equal to the persisted one: a size update
   * when the size is not the default, then every entry, oldest first, as a literal field with
   * incremental indexing and a literal name (§6.2.1), no Huffman coding.
   */
  static byte[] insertionBlock(ProcessorDirectionState.Builder dir) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + dir.getHpackEntriesCount() * 32);
    if (dir.hasHpackTableMaxSize()) {
      integer(out, 0x20, 5, maxSize(dir));
    }
    for (Header entry : dir.getHpackEntriesList()) {
      out.write(0x40);
      string(out, entry.getName());
      string(out, entry.getValue());
    }
    return out.toByteArray();
  }

  /** Octets of the entries with their overhead (§4.1). */
  static long size(ProcessorDirectionState.Builder dir) {
    long size = 0;
    for (Header entry : dir.getHpackEntriesList()) {
      size += entry.getName().length() + entry.getValue().length() + ENTRY_OVERHEAD;
    }
    return size;
  }

  /** Drops the oldest entries until the table holds at most {@code limit} octets (§4.3). */
  private static long evictTo(ProcessorDirectionState.Builder dir, long size, long limit) {
    int drop = 0;
    while (size > limit && drop < dir.getHpackEntriesCount()) {
      Header oldest = dir.getHpackEntries(drop++);
      size -= oldest.getName().length() + oldest.getValue().length() + ENTRY_OVERHEAD;
    }
    if (drop == dir.getHpackEntriesCount()) {
      dir.clearHpackEntries();
    } else {
      for (int i = 0; i < drop; i++) {
        dir.removeHpackEntries(0);
      }
    }
    return size;
  }

  private static void string(ByteArrayOutputStream out, String value) {
    byte[] octets = value.getBytes(StandardCharsets.ISO_8859_1);
    integer(out, 0x00, 7, octets.length);
    out.writeBytes(octets);
  }

  /** An integer with an N-bit prefix after the pattern bits {@code first} (§5.1). */
  private static void integer(ByteArrayOutputStream out, int first, int prefixBits, long value) {
    int max = (1 << prefixBits) - 1;
    if (value < max) {
      out.write(first | (int) value);
      return;
    }
    out.write(first | max);
    long rest = value - max;
    while (rest >= 0x80) {
      out.write((int) (rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    out.write((int) rest);
  }
}
