package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.protocol.websocket.MessageInflater;
import io.ecapture.kafka.proto.capture.Direction;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * permessage-deflate inflaters, one per connection direction, in memory (like the HPACK tables:
 * a 32 KiB LZ77 window per direction is not worth a changelog write per message). After a
 * restart, a task move or a capture gap a direction starts with a fresh inflater, which inflates
 * correctly or fails, never guesses (see {@link MessageInflater}).
 */
final class WebSocketInflaters {
  /** Inflaters kept per task; the least recently used one is dropped (its context lost) past it. */
  static final int MAX_INFLATERS = 4096;
  /** Inflated bytes produced per message at most: 64 x the kept limit stops decompression bombs. */
  private static final int WORK_FACTOR = 64;

  private final int maxOutputBytes;
  private final LinkedHashMap<String, MessageInflater> inflaters =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, MessageInflater> eldest) {
          if (size() > MAX_INFLATERS) {
            eldest.getValue().close();
            return true;
          }
          return false;
        }
      };

  WebSocketInflaters(int maxOutputBytes) {
    this.maxOutputBytes = maxOutputBytes;
  }

  MessageInflater.Result inflate(String connectionId, Direction direction, byte[] compressed,
      boolean complete, boolean noContextTakeover) {
    String key = connectionId + '/' + direction.getNumber();
    MessageInflater inflater = inflaters.computeIfAbsent(key,
        k -> new MessageInflater(maxOutputBytes, (long) maxOutputBytes * WORK_FACTOR));
    MessageInflater.Result result = inflater.inflate(compressed, complete, noContextTakeover);
    if (result.contextLost()) {
      forget(connectionId, direction);
    }
    return result;
  }

  /** The direction's history is gone (gap, cut message): the next message starts afresh. */
  void forget(String connectionId, Direction direction) {
    MessageInflater inflater = inflaters.remove(connectionId + '/' + direction.getNumber());
    if (inflater != null) {
      inflater.close();
    }
  }

  void forget(String connectionId) {
    forget(connectionId, Direction.READ);
    forget(connectionId, Direction.WRITE);
  }
}
