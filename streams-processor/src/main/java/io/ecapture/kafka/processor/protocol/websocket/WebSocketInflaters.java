package io.ecapture.kafka.processor.protocol.websocket;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.UnsafeByteOperations;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.proto.capture.Direction;

/**
 * permessage-deflate inflaters, one per connection direction, in memory; with context takeover
 * the direction's LZ77 window (its last 32 KiB inflated) is also copied into its state after
 * every message ({@code ws_inflate_window}). An inflater missing here (restart, task move,
 * eviction) or behind the state (a rolled-back transaction) is rebuilt from that window, so the
 * next message still inflates. After a capture gap or a cut message the window is dropped and
 * the direction starts afresh: a fresh inflater inflates correctly or fails, never guesses (see
 * {@link MessageInflater}).
 *
 * <p>At most {@code maxInflaters} stay in memory (a Caffeine cache evicting synchronously on the
 * caller's thread, not strictly the least recently used one); an evicted inflater is closed (its
 * native memory freed) and rebuilt from the window when needed. An inflater is put into the cache
 * only after the message it inflates, so an eviction never closes one in use.
 */
final class WebSocketInflaters {
  private final int maxOutputBytes;
  private final long maxWorkBytes;
  private final ProcessorMetrics metrics;
  private final Cache<String, Slot> inflaters;

  /** An inflater and the state version its window equals. */
  private record Slot(MessageInflater inflater, long version) {}

  /**
   * @param maxOutputBytes inflated bytes kept per message
   * @param workFactor inflated bytes produced per message at most, in multiples of {@code
   *     maxOutputBytes}: decompression bombs stop there
   * @param maxInflaters inflaters kept in memory
   */
  WebSocketInflaters(int maxOutputBytes, int workFactor, int maxInflaters,
      ProcessorMetrics metrics) {
    this.maxOutputBytes = maxOutputBytes;
    this.maxWorkBytes = (long) maxOutputBytes * workFactor;
    this.metrics = metrics;
    this.inflaters = Caffeine.newBuilder()
        .maximumSize(maxInflaters)
        .executor(Runnable::run)
        .<String, Slot>evictionListener((key, slot, cause) -> close(slot))
        .build();
  }

  /** Inflates one message of the direction whose state is {@code dir}, updating its window. */
  MessageInflater.Result inflate(String connectionId, Direction direction,
      ProcessorDirectionState.Builder dir, byte[] compressed, boolean complete,
      boolean noContextTakeover) {
    String key = key(connectionId, direction);
    Slot slot = inflaters.asMap().remove(key);
    if (slot == null || (!noContextTakeover && slot.version() != dir.getWsInflateVersion())) {
      close(slot);
      byte[] history = noContextTakeover ? null : dir.getWsInflateWindow().toByteArray();
      slot = new Slot(new MessageInflater(maxOutputBytes, maxWorkBytes, history),
          dir.getWsInflateVersion());
      if (history != null && history.length > 0) {
        metrics.contextRestored();
      }
    }
    MessageInflater.Result result = slot.inflater().inflate(compressed, complete, noContextTakeover);
    if (result.contextLost()) {
      close(slot);
      forget(connectionId, direction, dir);
    } else if (!noContextTakeover) {
      dir.setWsInflateWindow(UnsafeByteOperations.unsafeWrap(slot.inflater().window())) // a fresh copy
          .setWsInflateVersion(dir.getWsInflateVersion() + 1);
      inflaters.put(key, new Slot(slot.inflater(), dir.getWsInflateVersion()));
    } else {
      inflaters.put(key, slot);
    }
    return result;
  }

  /** The direction's history is gone (gap, cut message): the next message starts afresh. */
  void forget(String connectionId, Direction direction, ProcessorDirectionState.Builder dir) {
    close(inflaters.asMap().remove(key(connectionId, direction)));
    if (!dir.getWsInflateWindow().isEmpty()) {
      dir.clearWsInflateWindow();
    }
    dir.setWsInflateVersion(dir.getWsInflateVersion() + 1);
  }

  /** The connection is gone (its state with it). */
  void forget(String connectionId) {
    close(inflaters.asMap().remove(key(connectionId, Direction.READ)));
    close(inflaters.asMap().remove(key(connectionId, Direction.WRITE)));
  }

  /** Drops every inflater: the state store is the reference again (task (re)initialised). */
  void clear() {
    inflaters.asMap().values().forEach(WebSocketInflaters::close);
    inflaters.invalidateAll();
  }

  private static void close(Slot slot) {
    if (slot != null) {
      slot.inflater().close();
    }
  }

  private static String key(String connectionId, Direction direction) {
    return connectionId + '/' + direction.getNumber();
  }
}
