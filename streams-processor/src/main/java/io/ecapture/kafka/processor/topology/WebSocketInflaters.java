package io.ecapture.kafka.processor.topology;

import com.google.protobuf.UnsafeByteOperations;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.websocket.MessageInflater;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * permessage-deflate inflaters, one per connection direction, in memory; with context takeover
 * the direction's LZ77 window (its last 32 KiB inflated) is also copied into its state after
 * every message ({@code ws_inflate_window}). An inflater missing here (restart, task move,
 * eviction) or behind the state (a rolled-back transaction) is rebuilt from that window, so the
 * next message still inflates. After a capture gap or a cut message the window is dropped and
 * the direction starts afresh: a fresh inflater inflates correctly or fails, never guesses (see
 * {@link MessageInflater}).
 */
final class WebSocketInflaters {
  /** Inflaters kept per task; the least recently used one is dropped (rebuilt when needed). */
  static final int MAX_INFLATERS = 4096;
  /** Inflated bytes produced per message at most: 64 x the kept limit stops decompression bombs. */
  private static final int WORK_FACTOR = 64;

  private final int maxOutputBytes;
  private final ProcessorMetrics metrics;
  private final LinkedHashMap<String, Slot> inflaters =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Slot> eldest) {
          if (size() > MAX_INFLATERS) {
            eldest.getValue().inflater.close();
            return true;
          }
          return false;
        }
      };

  /** An inflater and the state version its window equals. */
  private record Slot(MessageInflater inflater, long version) {}

  WebSocketInflaters(int maxOutputBytes, ProcessorMetrics metrics) {
    this.maxOutputBytes = maxOutputBytes;
    this.metrics = metrics;
  }

  /** Inflates one message of the direction whose state is {@code dir}, updating its window. */
  MessageInflater.Result inflate(String connectionId, Direction direction,
      ProcessorDirectionState.Builder dir, byte[] compressed, boolean complete,
      boolean noContextTakeover) {
    String key = key(connectionId, direction);
    Slot slot = inflaters.get(key);
    if (slot == null || (!noContextTakeover && slot.version() != dir.getWsInflateVersion())) {
      if (slot != null) {
        slot.inflater().close();
      }
      byte[] history = noContextTakeover ? null : dir.getWsInflateWindow().toByteArray();
      slot = new Slot(new MessageInflater(maxOutputBytes, (long) maxOutputBytes * WORK_FACTOR,
          history), dir.getWsInflateVersion());
      if (history != null && history.length > 0) {
        metrics.contextRestored();
      }
      inflaters.put(key, slot);
    }
    MessageInflater.Result result = slot.inflater().inflate(compressed, complete, noContextTakeover);
    if (result.contextLost()) {
      forget(connectionId, direction, dir);
    } else if (!noContextTakeover) {
      dir.setWsInflateWindow(UnsafeByteOperations.unsafeWrap(slot.inflater().window())) // a fresh copy
          .setWsInflateVersion(dir.getWsInflateVersion() + 1);
      inflaters.put(key, new Slot(slot.inflater(), dir.getWsInflateVersion()));
    }
    return result;
  }

  /** The direction's history is gone (gap, cut message): the next message starts afresh. */
  void forget(String connectionId, Direction direction, ProcessorDirectionState.Builder dir) {
    close(inflaters.remove(key(connectionId, direction)));
    if (!dir.getWsInflateWindow().isEmpty()) {
      dir.clearWsInflateWindow();
    }
    dir.setWsInflateVersion(dir.getWsInflateVersion() + 1);
  }

  /** The connection is gone (its state with it). */
  void forget(String connectionId) {
    close(inflaters.remove(key(connectionId, Direction.READ)));
    close(inflaters.remove(key(connectionId, Direction.WRITE)));
  }

  /** Drops every inflater: the state store is the reference again (task (re)initialised). */
  void clear() {
    inflaters.values().forEach(slot -> slot.inflater().close());
    inflaters.clear();
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
