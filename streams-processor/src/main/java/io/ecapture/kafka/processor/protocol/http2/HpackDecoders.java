package io.ecapture.kafka.processor.protocol.http2;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.util.ArrayList;
import java.util.List;

/**
 * HPACK decoders (RFC 7541), one per connection direction: Netty's decoder in memory, its
 * dynamic table also in the direction's state ({@link PersistedHpackTable}), updated whenever a
 * block changes it. A decoder missing in memory (restart, task move, eviction here) or behind
 * the state (a rolled-back transaction) is rebuilt from the state before the next block, so
 * blocks that refer to earlier entries still decode.
 *
 * <p>"Table unknown" remains for real losses: a block that was lost or broke off restarts the
 * table empty (see {@link Http2StreamAssembler#tableLost}); later blocks that refer to entries
 * from before fail and are flagged, never resolved to wrong fields.
 *
 * <p>At most {@code maxDecoders} decoders stay in memory per task (a Caffeine cache, evicting
 * synchronously on the caller's thread; which decoder goes is Caffeine's choice, not strictly the
 * least recently used): an evicted one is rebuilt from the state when needed, so eviction costs
 * time, never correctness.
 */
final class HpackDecoders {
  /** Netty's own header list limit is off (its maximum): the limit is applied here. */
  private static final long NETTY_HEADER_LIST_LIMIT = 0xffffffffL;

  private final long maxHeaderListBytes;
  private final long maxTableSize;
  private final ProcessorMetrics metrics;
  private final Cache<String, Slot> decoders;

  /** A decoder and the state version its table equals. */
  private static final class Slot {
    final RecordingDecoder decoder;
    long version;

    Slot(long maxTableSize, long version) {
      this.decoder = new RecordingDecoder(maxTableSize);
      this.version = version;
    }
  }

  /**
   * @param maxHeaderListBytes decoded header lists larger than this are not shown (RFC 7541 §4.1
   *     sizes)
   * @param maxTableSize largest dynamic table accepted: we only observe, so whatever table size
   *     the encoder's peer allowed up to this (§4.2 bound 2^32-1)
   * @param maxDecoders decoders kept in memory
   */
  HpackDecoders(long maxHeaderListBytes, long maxTableSize, int maxDecoders,
      ProcessorMetrics metrics) {
    this.maxHeaderListBytes = maxHeaderListBytes;
    this.maxTableSize = maxTableSize;
    this.metrics = metrics;
    this.decoders = Caffeine.newBuilder().maximumSize(maxDecoders).executor(Runnable::run).build();
  }

  /**
   * Outcome of decoding one header block.
   *
   * @param headers the fields in wire order, or null when the block could not be shown
   * @param tableLost the block broke off mid-way (HPACK compression error), so the dynamic table
   *     may be half-updated: every later block of this direction must be flagged, not guessed
   */
  record Decoded(List<Header> headers, boolean tableLost) {}

  /**
   * Decodes a complete block of the direction whose state is {@code dir}, and records the
   * table changes in it. Netty's decoder reads the whole block even when a field is invalid, so
   * that leaves the table right; only a compression error (bad index, bad Huffman code,
   * truncated block) loses it. A header list over the limit is not shown (table kept).
   */
  Decoded decode(String connectionId, Direction direction, ProcessorDirectionState.Builder dir,
      int streamId, byte[] block) {
    String key = key(connectionId, direction);
    Slot slot = decoders.getIfPresent(key);
    if (slot == null || slot.version != dir.getHpackTableVersion()) {
      slot = restore(dir);
      if (slot == null) {
        decoders.invalidate(key);
        return new Decoded(null, true);
      }
      decoders.put(key, slot);
    }
    List<CharSequence> fields;
    ByteBuf buffer = Unpooled.wrappedBuffer(block);
    try {
      fields = ((FieldRecorder) slot.decoder.decodeHeaders(streamId, buffer)).fields;
    } catch (Http2Exception | RuntimeException e) {
      decoders.invalidate(key);
      return new Decoded(null, true);
    } finally {
      buffer.release();
    }
    List<Header> headers = withinLimit(fields) ? headers(fields) : null;
    HpackTableChanges changes = HpackTableChanges.scan(block);
    if (changes == null || 2 * changes.fields() != fields.size()) {
      // cannot happen for a block Netty decoded; if it does, the copy in the state is unknown
      decoders.invalidate(key);
      return new Decoded(headers, true);
    }
    if (!changes.none()) {
      PersistedHpackTable.apply(dir, changes, fields);
      slot.version = dir.getHpackTableVersion();
    }
    return new Decoded(headers, false);
  }

  /** The direction's table is no longer known (bytes were lost): it restarts empty. */
  void forget(String connectionId, Direction direction, ProcessorDirectionState.Builder dir) {
    decoders.invalidate(key(connectionId, direction));
    PersistedHpackTable.reset(dir);
  }

  /** The connection is gone (its state with it). */
  void forget(String connectionId) {
    decoders.invalidate(key(connectionId, Direction.READ));
    decoders.invalidate(key(connectionId, Direction.WRITE));
  }

  /** Drops every decoder: the state store is the reference again (task (re)initialised). */
  void clear() {
    decoders.invalidateAll();
  }

  /**
   * A decoder whose table equals the persisted one: a fresh decoder fed a block that inserts the
   * entries oldest first; null when the persisted table does not decode (corrupt state).
   */
  private Slot restore(ProcessorDirectionState.Builder dir) {
    Slot slot = new Slot(maxTableSize, dir.getHpackTableVersion());
    if (PersistedHpackTable.isFresh(dir)) {
      return slot;
    }
    ByteBuf buffer = Unpooled.wrappedBuffer(PersistedHpackTable.insertionBlock(dir));
    try {
      slot.decoder.decodeHeaders(0, buffer);
    } catch (Http2Exception | RuntimeException e) {
      return null;
    } finally {
      buffer.release();
    }
    metrics.contextRestored();
    return slot;
  }

  private boolean withinLimit(List<CharSequence> fields) {
    long size = 0;
    for (int i = 0; i < fields.size(); i += 2) {
      size += fields.get(i).length() + fields.get(i + 1).length() + 32; // §4.1, as Netty counts
    }
    return size <= maxHeaderListBytes;
  }

  private static List<Header> headers(List<CharSequence> fields) {
    List<Header> out = new ArrayList<>(fields.size() / 2);
    for (int i = 0; i < fields.size(); i += 2) {
      out.add(Header.newBuilder()
          .setName(fields.get(i).toString())
          .setValue(fields.get(i + 1).toString())
          .build());
    }
    return out;
  }

  private static String key(String connectionId, Direction direction) {
    return connectionId + '/' + direction.getNumber();
  }

  /** Netty's decoder (public API) handing every decoded field, in wire order, to a recorder. */
  private static final class RecordingDecoder extends DefaultHttp2HeadersDecoder {
    RecordingDecoder(long maxTableSize) {
      super(false, NETTY_HEADER_LIST_LIMIT);
      try {
        maxHeaderTableSize(maxTableSize);
      } catch (Http2Exception e) {
        throw new IllegalStateException("HPACK table size rejected", e);
      }
    }

    @Override
    protected Http2Headers newHeaders() {
      return new FieldRecorder();
    }
  }

  /**
   * Keeps (name, value) references in the order the decoder emits them (one per representation),
   * which is what the table changes are matched against; no hashing, no validation.
   */
  private static final class FieldRecorder extends DefaultHttp2Headers {
    final List<CharSequence> fields = new ArrayList<>(32);

    FieldRecorder() {
      super(false, 2);
    }

    @Override
    public Http2Headers add(CharSequence name, CharSequence value) {
      fields.add(name);
      fields.add(value);
      return this;
    }
  }
}
