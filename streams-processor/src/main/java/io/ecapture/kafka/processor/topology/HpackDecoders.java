package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Header;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * HPACK decoders (RFC 7541), one per connection direction, kept in memory by one task.
 *
 * <p>The dynamic table is the one piece of parser state that is not in the state store: after a
 * restart or a task migration a direction gets a fresh decoder, and blocks that reference
 * entries it never saw fail to decode. That "table unknown" state is expected (the same happens
 * when capture joins a connection midway): the message is emitted flagged, without headers.
 */
final class HpackDecoders {
  /** Decoders kept per task; the least recently used one is dropped past it. */
  static final int MAX_DECODERS = 10_000;
  /** We only observe: accept whatever table size the encoder's peer allowed (§4.2 bound 2^32-1). */
  private static final long MAX_TABLE_SIZE = 1L << 20;

  private final long maxHeaderListBytes;
  private final LinkedHashMap<String, DefaultHttp2HeadersDecoder> decoders =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, DefaultHttp2HeadersDecoder> eldest) {
          return size() > MAX_DECODERS;
        }
      };

  HpackDecoders(long maxHeaderListBytes) {
    this.maxHeaderListBytes = maxHeaderListBytes;
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
   * Decodes a complete block. Netty's decoder reads the whole block even when the header list is
   * too large or a field is invalid, so those failures leave the table right; only a compression
   * error (bad index, bad Huffman code, truncated block) loses it.
   */
  Decoded decode(String connectionId, Direction direction, int streamId, byte[] block) {
    DefaultHttp2HeadersDecoder decoder =
        decoders.computeIfAbsent(connectionId + '/' + direction.getNumber(), k -> newDecoder());
    ByteBuf buffer = Unpooled.wrappedBuffer(block);
    try {
      Http2Headers headers = decoder.decodeHeaders(streamId, buffer);
      List<Header> out = new ArrayList<>(headers.size());
      for (Map.Entry<CharSequence, CharSequence> field : headers) {
        out.add(Header.newBuilder()
            .setName(field.getKey().toString())
            .setValue(field.getValue().toString())
            .build());
      }
      return new Decoded(out, false);
    } catch (Http2Exception.HeaderListSizeException e) {
      return new Decoded(null, false);
    } catch (Http2Exception | RuntimeException e) {
      decoders.remove(connectionId + '/' + direction.getNumber());
      return new Decoded(null, true);
    } finally {
      buffer.release();
    }
  }

  /** The direction's table is no longer known (bytes were lost): drop its decoder. */
  void forget(String connectionId, Direction direction) {
    decoders.remove(connectionId + '/' + direction.getNumber());
  }

  void forget(String connectionId) {
    decoders.remove(connectionId + '/' + Direction.READ.getNumber());
    decoders.remove(connectionId + '/' + Direction.WRITE.getNumber());
  }

  private DefaultHttp2HeadersDecoder newDecoder() {
    DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false, maxHeaderListBytes);
    try {
      decoder.maxHeaderTableSize(MAX_TABLE_SIZE);
    } catch (Http2Exception e) {
      throw new IllegalStateException("HPACK table size rejected", e);
    }
    return decoder;
  }
}
